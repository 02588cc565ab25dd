import { describe, expect, it } from 'vitest';
import { messageBytes, produceGroups } from './produce-groups.js';

const msg = (partition: number | undefined, bytes: number) => ({ partition, value: Buffer.alloc(bytes) });

describe('produceGroups', () => {
  it('keeps every partition of every group under the limit, in order, losing nothing', () => {
    const messages = Array.from({ length: 200 }, (_, i) => msg(i % 3, 10_000 + (i * 7919) % 50_000));
    const groups = produceGroups(messages, 200_000);
    expect(groups.flat()).toEqual(messages);
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) {
      for (const p of [0, 1, 2]) {
        expect(g.filter((m) => m.partition === p).reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(200_000);
      }
    }
  });

  it('packs partitions side by side: one group while each partition fits', () => {
    const messages = [msg(0, 500), msg(1, 500), msg(2, 500), msg(0, 400)];
    expect(produceGroups(messages, 1000)).toEqual([messages]);
  });

  it('sends a message larger than the limit alone, and counts keyed messages as one partition', () => {
    const big = msg(undefined, 5000);
    const small = [msg(undefined, 300), msg(undefined, 300), msg(undefined, 300), msg(undefined, 300)];
    expect(produceGroups([small[0], big, ...small.slice(1)], 1000)).toEqual([[small[0]], [big], small.slice(1)]);
  });

  it('counts keys and headers', () => {
    const m = { key: 'abc', value: Buffer.alloc(10), headers: { 'streamlens-reason': 'malformed_avro' } };
    expect(messageBytes(m)).toBe(10 + 3 + 32 + 17 + 14 + 8);
    expect(produceGroups([], 1000)).toEqual([]);
  });
});
