/**
 * Kafka's default partitioner hash (murmur2, seed 0x9747b28c, as in the Java
 * client's Utils.murmur2), so that partitionFor(key, n) names the partition
 * the Java client's default partitioner would pick for the same key bytes.
 *
 * The state after a key's whole 4-byte blocks depends only on those blocks
 * and the key's length, so a caller hashing many keys of one length that
 * share a prefix (the router: capture point, then addresses) mixes the
 * prefix once (murmur2Blocks) and only the rest per key.
 */
const M = 0x5bd1e995;

/** The initial state for a key of `length` bytes. */
export function murmur2Seed(length: number): number {
  return (0x9747b28c ^ length) | 0;
}

/** Mixes the 4-byte blocks of data[from, to) into state h (to - from a multiple of 4). */
export function murmur2Blocks(h: number, data: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  return h;
}

/** The hash from state h after the whole blocks, and the key's last 0-3 bytes data[from, end). */
export function murmur2Tail(h: number, data: Uint8Array, from: number, end: number): number {
  const rest = end - from;
  if (rest === 3) h ^= data[from + 2] << 16;
  if (rest >= 2) h ^= data[from + 1] << 8;
  if (rest >= 1) {
    h ^= data[from];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

export function murmur2(data: Uint8Array, length: number = data.length): number {
  const whole = length & ~3;
  return murmur2Tail(murmur2Blocks(murmur2Seed(length), data, 0, whole), data, whole, length);
}

/** The partition Kafka's default partitioner assigns to `key` among `partitions`. */
export function partitionFor(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
