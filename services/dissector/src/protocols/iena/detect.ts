/**
 * Recognising IENA on a port nobody configured (protocols.md §4.6). IENA has
 * no magic number, so evidence is scored:
 *
 *   strong  size field × 2 == payload length (payload ≥ 16 bytes, even)
 *   strong  end field == 0xDEAD
 *   strong  the key is in the configured key → type map
 *   weak    header time < 366 days of µs
 *   weak    the payload tiles with the type config/key-status names, or (neither) with some M/Q/D/N layout
 *   weak    the size field equals the payload length in bytes (a producer bug seen in the wild)
 *   weak    the sequence is the previous one + 1 for the same (flow, key) (with an IenaSequenceTracker)
 *
 * Accept with 2 strong, or 1 strong + 2 weak. Before scoring, reject ports
 * 319/320 (PTP) and payloads that start with 25 EB or carry a Chapter 10
 * transfer header followed by a checksum-valid Chapter 10 header (Chapter 10
 * wins, protocols.md §1.2).
 */

/** A Chapter 10 primary header at `h`: sync 0xEB25 and a valid header checksum (LE word sum). */
function chapter10HeaderAt(buf: Buffer, h: number): boolean {
  if (h < 0 || h + 24 > buf.length || buf[h] !== 0x25 || buf[h + 1] !== 0xeb) return false;
  let sum = 0;
  for (let i = 0; i < 22; i += 2) sum += buf.readUInt16LE(h + i);
  return (sum & 0xffff) === buf.readUInt16LE(h + 22);
}

/**
 * Whether the payload is Chapter 10 by the rules of protocols.md §2.2.5:
 * a bare packet (25 EB at 0), or a Format 1 (full / first segment), Format 3
 * or Format 2 transfer header followed by a checksum-valid packet header.
 */
export function looksLikeChapter10(buf: Buffer): boolean {
  if (buf.length < 2) return false;
  if (buf[0] === 0x25 && buf[1] === 0xeb) return true;
  const format = buf[0] & 0x0f;
  const messageType = buf[0] >> 4;
  if (format === 1) {
    if (messageType === 0) return chapter10HeaderAt(buf, 4);
    if (messageType === 1) return buf.length >= 12 && buf.readUInt32LE(8) === 0 && chapter10HeaderAt(buf, 12);
    return false;
  }
  if (format === 3) return buf.length >= 8 && chapter10HeaderAt(buf, 8 + buf.readUInt16LE(2));
  return buf.length >= 4 && (buf[3] & 0x0f) === 2 && chapter10HeaderAt(buf, 12);
}

export const PTP_PORTS: ReadonlySet<number> = new Set([319, 320]);

/** Evidence tallies; the caller computes each signal once and reuses it for decoding. */
export function acceptsIena(strong: number, weak: number): boolean {
  return strong >= 2 || (strong === 1 && weak >= 2);
}
