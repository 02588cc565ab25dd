import { describe, expect, it } from 'vitest';
import { parsePointer, planRestore, pointerMetadata, type CheckpointMeta, type Intent } from './epoch-log.js';

function intent(epoch: number, id: string, prev: string, start: number | null, next: number): Intent {
  return {
    partition: 0, epoch, intentId: id, prevIntentId: prev, startOffset: start, nextOffset: next, watermarks: {}, maxKeys: 10,
    params: '{}', messages: 1, records: 1, flowRows: 0, outlierRows: 0, netflowRows: 0, healthRows: 0,
  };
}
const cp = (epoch: number, id: string, next: number): CheckpointMeta => ({ slot: epoch % 2, epoch, intentId: id, nextOffset: next, chunks: 1 });

describe('planRestore', () => {
  const chain = [intent(1, 'a', '', 0, 10), intent(2, 'b', 'a', 10, 20), intent(3, 'c', 'b', 20, 30), intent(4, 'd', 'c', 30, 40)];

  it('walks back from the committed intent to the newest checkpoint on the chain and replays the rest', () => {
    const plan = planRestore('d', chain, [cp(2, 'b', 20), cp(1, 'a', 10)]);
    expect(plan.base).toEqual(cp(2, 'b', 20));
    expect(plan.replay.map((i) => i.intentId)).toEqual(['c', 'd']);
    expect(plan.seekTo).toBe(20);
    expect(plan.head).toEqual({ intentId: 'd', epoch: 4 });
    expect(plan.warnings).toEqual([]);
  });

  it('ignores intents and checkpoints that are not on the committed chain (written by an instance that lost the partition)', () => {
    const zombie = [intent(3, 'z3', 'b', 20, 35), intent(4, 'z4', 'z3', 35, 50)];
    const plan = planRestore('d', [...chain, ...zombie], [cp(4, 'z4', 50), cp(3, 'z3', 35), cp(2, 'b', 20)]);
    expect(plan.base?.intentId).toBe('b');
    expect(plan.replay.map((i) => i.intentId)).toEqual(['c', 'd']);
  });

  it('without a checkpoint replays the whole chain from the first intent\'s offset', () => {
    const plan = planRestore('c', chain, []);
    expect(plan.base).toBeNull();
    expect(plan.replay.map((i) => i.intentId)).toEqual(['a', 'b', 'c']);
    expect(plan.seekTo).toBe(0);
  });

  it('a committed intent that is itself checkpointed needs no replay; nothing committed means a fresh start', () => {
    expect(planRestore('b', chain, [cp(2, 'b', 20)])).toMatchObject({ base: cp(2, 'b', 20), replay: [], seekTo: 20 });
    expect(planRestore(null, [], [])).toMatchObject({ base: null, replay: [], seekTo: null, head: null });
  });

  it('says so when it cannot follow the chain', () => {
    const broken = planRestore('d', [chain[3]], [cp(1, 'a', 10)]);
    expect(broken.warnings[0]).toMatch(/chain breaks at d/);
    expect(broken.base?.intentId).toBe('a');
    const noPointer = planRestore(null, chain, [cp(2, 'b', 20)]);
    expect(noPointer.warnings[0]).toMatch(/no intent is committed/);
    expect(noPointer.replay.map((i) => i.intentId)).toEqual(['c', 'd']);
    const unknown = planRestore('gone', chain, [cp(2, 'b', 20)]);
    expect(unknown.warnings[0]).toMatch(/not in ClickHouse/);
    expect(unknown.base?.intentId).toBe('b');
  });

  it('round-trips the pointer through the Kafka offset metadata and ignores foreign metadata', () => {
    expect(parsePointer(pointerMetadata('0-12-abc'))).toBe('0-12-abc');
    expect(parsePointer('something else')).toBeNull();
    expect(parsePointer(null)).toBeNull();
  });
});
