/**
 * IP addresses as small shared Buffers, from a direct-mapped cache: a busy
 * capture sees the same few thousand hosts over and over, and a cache hit
 * costs a hash and a compare where a new Buffer view costs an allocation
 * (the single largest cost of decoding, measured). The Buffers are copies, so
 * records do not keep capture chunks alive through their addresses, and they
 * are shared between records: treat them as read-only.
 */

const V4_SLOTS = 4096;
const V6_SLOTS = 1024;

const v4Keys = new Uint32Array(V4_SLOTS);
const v4Bufs: (Buffer | null)[] = new Array<Buffer | null>(V4_SLOTS).fill(null);
const v6Keys = new Uint32Array(V6_SLOTS * 4);
const v6Bufs: (Buffer | null)[] = new Array<Buffer | null>(V6_SLOTS).fill(null);

function word(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** The 4 bytes at b[o] as a (shared, read-only) Buffer. */
export function ipv4At(b: Buffer, o: number): Buffer {
  const a = word(b, o);
  const h = Math.imul(a, 0x9e3779b1) >>> 20;
  const hit = v4Bufs[h];
  if (hit !== null && v4Keys[h] === a) return hit;
  const copy = Buffer.allocUnsafe(4);
  copy[0] = b[o];
  copy[1] = b[o + 1];
  copy[2] = b[o + 2];
  copy[3] = b[o + 3];
  v4Keys[h] = a;
  v4Bufs[h] = copy;
  return copy;
}

/** The 16 bytes at b[o] as a (shared, read-only) Buffer. */
export function ipv6At(b: Buffer, o: number): Buffer {
  const w0 = word(b, o);
  const w1 = word(b, o + 4);
  const w2 = word(b, o + 8);
  const w3 = word(b, o + 12);
  const h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1) >>> 22;
  const hit = v6Bufs[h];
  const k = h << 2;
  if (hit !== null && v6Keys[k] === w0 && v6Keys[k + 1] === w1 && v6Keys[k + 2] === w2 && v6Keys[k + 3] === w3) return hit;
  const copy = Buffer.allocUnsafe(16);
  b.copy(copy, 0, o, o + 16);
  v6Keys[k] = w0;
  v6Keys[k + 1] = w1;
  v6Keys[k + 2] = w2;
  v6Keys[k + 3] = w3;
  v6Bufs[h] = copy;
  return copy;
}
