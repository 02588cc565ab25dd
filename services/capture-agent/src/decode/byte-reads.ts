/**
 * Big-endian reads without Buffer's per-call argument checks; every caller
 * has already bounds-checked the offsets it passes.
 */

export function u16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32(b: Buffer, o: number): number {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** A 48-bit MAC address as an integer (exact: below 2^53). */
export function mac48(b: Buffer, o: number): number {
  return ((b[o] << 8) | b[o + 1]) * 0x100000000 + u32(b, o + 2);
}
