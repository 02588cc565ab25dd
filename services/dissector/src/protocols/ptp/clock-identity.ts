/**
 * ClockIdentity (EUI-64) → 16 lowercase hex digits through a byte → "hh"
 * lookup table: eight concatenations, no per-byte toString/padStart.
 */

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `n` bytes from `off` as lowercase hex (8 for a clockIdentity, 6 for a PTPv1 UUID). Caller checks bounds. */
export function hexBytes(buf: Buffer, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX_BYTE[buf[off + i]];
  return s;
}

export function clockIdentityHex(buf: Buffer, off: number): string {
  return HEX_BYTE[buf[off]] + HEX_BYTE[buf[off + 1]] + HEX_BYTE[buf[off + 2]] + HEX_BYTE[buf[off + 3]]
    + HEX_BYTE[buf[off + 4]] + HEX_BYTE[buf[off + 5]] + HEX_BYTE[buf[off + 6]] + HEX_BYTE[buf[off + 7]];
}
