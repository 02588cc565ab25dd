/**
 * Just enough ASN.1 BER for SNMP: single-byte tags, definite lengths (short
 * form or up to 4 length bytes), INTEGER values. Readers fill a caller-owned
 * Tlv, so walking a message allocates nothing.
 */

export interface Tlv {
  tag: number;
  /** First byte of the value. */
  value: number;
  /** One past the last byte of the value. */
  end: number;
}

export function newTlv(): Tlv {
  return { tag: 0, value: 0, end: 0 };
}

/** Read the TLV at `off`; false when it is malformed or its value runs past `limit`. */
export function readTlv(buf: Buffer, off: number, limit: number, out: Tlv): boolean {
  if (off + 2 > limit) return false;
  const tag = buf[off];
  if ((tag & 0x1f) === 0x1f) return false; // multi-byte tag: not used by SNMP
  let len = buf[off + 1];
  let value = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || value + n > limit) return false; // indefinite length is not allowed in SNMP
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[value + i];
    value += n;
  }
  if (value + len > limit) return false;
  out.tag = tag;
  out.value = value;
  out.end = value + len;
  return true;
}

/** Signed INTEGER value of a TLV (up to 6 bytes; longer values are clamped to their first 6). */
export function integerValue(buf: Buffer, t: Tlv): number {
  const n = Math.min(t.end - t.value, 6);
  if (n <= 0) return 0;
  return buf.readIntBE(t.value, n);
}

/** Number of TLVs that tile [from, to) exactly, or -1 when they do not. */
export function countChildren(buf: Buffer, from: number, to: number, scratch: Tlv): number {
  let n = 0;
  let off = from;
  while (off < to) {
    if (!readTlv(buf, off, to, scratch)) return -1;
    off = scratch.end;
    n++;
  }
  return n;
}
