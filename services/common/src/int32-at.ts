/**
 * The big-endian signed 32-bit integer at b[at]: an IPv4 address as a small
 * integer in V8. Read byte by byte: Buffer#readInt32BE validates its offset
 * through a call the optimizer keeps, a few ns on every record.
 */
export function int32At(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
