/**
 * A set with a capacity that forgets its least recently used member when
 * full (a Map keeps insertion order; touching re-inserts). The dissector's
 * only memory across records lives in these, so a worker's footprint is
 * bounded whatever the traffic.
 */
export class BoundedSet<K> {
  private readonly items = new Map<K, true>();
  /** Members forgotten to make room. */
  evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
  }

  /** Add or refresh `k`; evicts the least recently used member when over capacity. */
  add(k: K): void {
    if (this.capacity === 0) return;
    const items = this.items;
    items.delete(k); // re-inserting makes k the most recently used
    items.set(k, true);
    if (items.size > this.capacity) {
      items.delete(items.keys().next().value as K);
      this.evictions++;
    }
  }

  has(k: K): boolean {
    return this.items.has(k);
  }

  get size(): number {
    return this.items.size;
  }

  clear(): void {
    this.items.clear();
  }
}
