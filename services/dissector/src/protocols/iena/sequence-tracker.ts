/**
 * The weak detection signal of protocols.md §4.6 "the sequence number is the
 * previous packet's + 1 for the same (flow, key)" needs memory across
 * packets. This is that memory: a bounded map (flow id, key) → last
 * sequence, least recently seen evicted first, with counters. Optional: a
 * worker that does not pass one simply never gets the signal.
 */

export class IenaSequenceTracker {
  private readonly last = new Map<number, number>();
  /** Entries dropped to stay within capacity. */
  evictions = 0;

  constructor(readonly capacity = 8192) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`IenaSequenceTracker capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.last.size;
  }

  /**
   * Remember `seq` for (flowId, key) and say whether it is the previous
   * sequence + 1 (mod 65536). `flowId` is any 32-bit hash of the flow the
   * caller has (0 when it has none: then the ports and key alone separate streams).
   */
  observe(flowId: number, key: number, seq: number): boolean {
    const id = (flowId >>> 0) * 65536 + key;
    const prev = this.last.get(id);
    if (prev !== undefined) this.last.delete(id); // re-insert below: Map order = recency
    else if (this.last.size >= this.capacity) {
      this.last.delete(this.last.keys().next().value as number);
      this.evictions++;
    }
    this.last.set(id, seq);
    return prev !== undefined && ((prev + 1) & 0xffff) === seq;
  }

  clear(): void {
    this.last.clear();
  }
}
