/**
 * Chapter 10 UDP transfer headers (protocols.md §2.2): Format 1 full (4 bytes)
 * and segmented (12), Format 2 (12, big-endian, strict length check), Format 3
 * (8), and a bare packet at offset 0. Each reader fills a TransferHeader
 * without allocating and says whether the bytes after it can be validated
 * (a packet sync there) or only trusted with flow context (continuations).
 */
import { u32le } from './byte-reads.js';
import { CH10_SYNC } from './packet-header.js';

export interface TransferHeader {
  /** 1, 2 or 3; 0 for a bare packet. */
  format: number;
  /** Formats 1/2: 0 full packet(s), 1 segmented. */
  msgType: number;
  seq: number | null;
  seqBits: number;
  sourceId: number | null;
  segChannelId: number | null;
  segChannelSeq: number | null;
  segOffset: number | null;
  /** Where the Chapter 10 data (first packet, or the slice) starts in the payload. */
  dataOffset: number;
  /** The datagram carries no packet start: a slice of a packet begun in an earlier datagram. */
  continuation: boolean;
}

/** Largest believable segment offset: a Chapter 10 packet is at most ~128 MiB (TMATS; 512 KiB data otherwise). */
export const MAX_SEGMENT_OFFSET = 1 << 27;

export function emptyTransferHeader(): TransferHeader {
  return { format: 0, msgType: 0, seq: null, seqBits: 0, sourceId: null, segChannelId: null, segChannelSeq: null,
    segOffset: null, dataOffset: 0, continuation: false };
}

function reset(th: TransferHeader, format: number): void {
  th.format = format;
  th.msgType = 0;
  th.seq = null;
  th.seqBits = 0;
  th.sourceId = null;
  th.segChannelId = null;
  th.segChannelSeq = null;
  th.segOffset = null;
  th.dataOffset = 0;
  th.continuation = false;
}

/** A packet sync at `off` with room for a primary header. */
export function syncAt(p: Buffer, off: number): boolean {
  return off + 24 <= p.length && (p[off] | (p[off + 1] << 8)) === CH10_SYNC;
}

/**
 * Format 1 (§2.2.1–2.2.2): byte 0 low nibble 1, high nibble 0 (full) or 1
 * (segmented); the LE u32 at 0 carries a 24-bit sequence in bits 31–8. A
 * segmented header adds channel ID (LE u16), channel sequence, a reserved zero
 * byte and the LE u32 segment offset. Returns false when the bytes cannot be
 * Format 1.
 */
export function readFormat1(p: Buffer, th: TransferHeader): boolean {
  const b0 = p[0];
  if ((b0 & 0x0f) !== 1 || b0 >> 4 > 1 || p.length < 4) return false;
  reset(th, 1);
  th.msgType = b0 >> 4;
  th.seq = p[1] | (p[2] << 8) | (p[3] << 16);
  th.seqBits = 24;
  if (th.msgType === 0) {
    th.dataOffset = 4;
    return true;
  }
  if (p.length < 12 || p[7] !== 0) return false;
  const segOffset = u32le(p, 8);
  if (segOffset >= MAX_SEGMENT_OFFSET) return false;
  th.segChannelId = p[4] | (p[5] << 8);
  th.segChannelSeq = p[6];
  th.segOffset = segOffset;
  th.dataOffset = 12;
  th.continuation = segOffset !== 0;
  return true;
}

/**
 * Format 3 (§2.2.4, 106-17+): byte 0 low nibble 3, high nibble = source-ID
 * length L in nibbles (0–4); LE u16 at 2 = offset from the end of the 8-byte
 * header to the first packet that starts here; LE u32 at 4 = source ID (top
 * 4L bits) and sequence (the rest).
 */
export function readFormat3(p: Buffer, th: TransferHeader): boolean {
  const b0 = p[0];
  const l = b0 >> 4;
  if ((b0 & 0x0f) !== 3 || l > 4 || p.length < 8) return false;
  reset(th, 3);
  const word = p.readUInt32LE(4);
  const seqBits = 32 - 4 * l;
  th.seqBits = seqBits;
  th.seq = seqBits === 32 ? word : word % 2 ** seqBits;
  th.sourceId = l === 0 ? null : Math.floor(word / 2 ** seqBits);
  th.dataOffset = 8 + p.readUInt16LE(2);
  th.continuation = th.dataOffset >= p.length;
  return true;
}

/**
 * Format 2 (§2.2.3), read big-endian as AcraNetwork and LuaDissectors do:
 * sequence = bytes 0–2, format/type in byte 3 (low nibble 2), segment offset
 * high byte at 4, packet size in 32-bit words at 5–7, segment offset low 16
 * bits at 8–9, channel ID at 10–11. Accepted only when the size matches the
 * datagram exactly; the byte order is disputed and no capture exists.
 */
export function readFormat2(p: Buffer, th: TransferHeader): boolean {
  if (p.length < 12 || (p[3] & 0x0f) !== 2) return false;
  const sizeWords = (p[5] << 16) | p.readUInt16BE(6);
  if (sizeWords * 4 !== p.length - 12) return false;
  reset(th, 2);
  th.msgType = p[3] >> 4;
  th.seq = (p.readUInt16BE(0) << 8) | p[2];
  th.seqBits = 24;
  th.dataOffset = 12;
  if (th.msgType === 1) {
    const segOffset = p[4] * 65536 + p.readUInt16BE(8);
    th.segChannelId = p.readUInt16BE(10);
    th.segOffset = segOffset;
    th.continuation = segOffset !== 0;
  }
  return true;
}

/** A bare Chapter 10 packet at offset 0 (no transfer header). */
export function readBare(p: Buffer, th: TransferHeader): boolean {
  if (!syncAt(p, 0)) return false;
  reset(th, 0);
  return true;
}
