/**
 * A map with a capacity that forgets its least recently used entry when
 * full (a Map keeps insertion order; touching re-inserts). The dissector's
 * only memory across records lives in these, so a worker's footprint is
 * bounded whatever the traffic.
 */
export class BoundedMap<K, V> {
  private readonly items = new Map<K, V>();
  /** Entries forgotten to make room. */
  evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
  }

  /** Add or refresh `k`; evicts the least recently used entry when over capacity. */
  set(k: K, v: V): void {
    if (this.capacity === 0) return;
    const items = this.items;
    items.delete(k); // re-inserting makes k the most recently used
    items.set(k, v);
    if (items.size > this.capacity) {
      items.delete(items.keys().next().value as K);
      this.evictions++;
    }
  }

  /** The value, without refreshing the entry. */
  get(k: K): V | undefined {
    return this.items.get(k);
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
