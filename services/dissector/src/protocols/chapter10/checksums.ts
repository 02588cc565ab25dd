/**
 * Chapter 10 checksums (protocols.md §2.3–2.5). All sums are over little-endian
 * words, modulo the checksum's width; callers guarantee the bounds.
 */

/** Primary header checksum: the sum of the eleven LE u16 words at off..off+21. */
export function headerChecksum(buf: Buffer, off: number): number {
  let sum = 0;
  for (let i = off; i < off + 22; i += 2) sum += buf[i] | (buf[i + 1] << 8);
  return sum & 0xffff;
}

export type SecondaryChecksumKind = 'byte' | 'word' | 'bad';

/**
 * Secondary header checksum at off+10 against both sums the sources disagree on
 * (§2.4, §7 #1): the byte sum of the 10 bytes at off..off+9 (irig106lib,
 * AcraNetwork), or the sum of their five LE u16 words (pychapter10). Real
 * captures contain both, so either is accepted and reported.
 */
export function secondaryChecksumKind(buf: Buffer, off: number): SecondaryChecksumKind {
  const stored = buf[off + 10] | (buf[off + 11] << 8);
  let bytes = 0;
  let words = 0;
  for (let i = off; i < off + 10; i += 2) {
    bytes += buf[i] + buf[i + 1];
    words += buf[i] | (buf[i + 1] << 8);
  }
  if ((bytes & 0xffff) === stored) return 'byte';
  if ((words & 0xffff) === stored) return 'word';
  return 'bad';
}

/** Width in bytes of the data checksum selected by packet flags bits 1–0. */
export function dataChecksumSize(flags: number): number {
  const kind = flags & 3;
  return kind === 3 ? 4 : kind;
}

/**
 * Verifies the data checksum of a complete packet: the sum, in the checksum's
 * width, of every byte / LE u16 / LE u32 from `start` (end of the headers) up
 * to the checksum at `end`, filler included, the last partial word zero-padded.
 */
export function dataChecksumOk(buf: Buffer, start: number, end: number, flags: number): boolean {
  const kind = flags & 3;
  if (kind === 1) {
    let sum = 0;
    for (let i = start; i < end; i++) sum += buf[i];
    return (sum & 0xff) === buf[end];
  }
  if (kind === 2) {
    let sum = 0;
    let i = start;
    for (; i + 1 < end; i += 2) sum += buf[i] | (buf[i + 1] << 8);
    if (i < end) sum += buf[i];
    return (sum & 0xffff) === (buf[end] | (buf[end + 1] << 8));
  }
  if (kind === 3) {
    let sum = 0;
    let i = start;
    for (; i + 3 < end; i += 4) sum = (sum + buf.readUInt32LE(i)) >>> 0;
    let tail = 0;
    for (let k = 0; i < end; i++, k++) tail += buf[i] * 2 ** (8 * k);
    sum = (sum + tail) >>> 0;
    return sum === buf.readUInt32LE(end);
  }
  return true;
}
