/**
 * The 14-byte IENA header and the 2-byte end field (protocols.md §4.2), all
 * big-endian, and the packet extent the body is read within.
 */
import type { IenaInfo } from '@streamlens/common';

export const IENA_HEADER_LENGTH = 14;
/** Header + trailer: an IENA packet with an empty payload. */
export const IENA_MIN_LENGTH = 16;
export const IENA_TRAILER = 0xdead;
/** 366 days in µs: the header time counts from 1 January 00:00 of the (untransmitted) year. */
export const IENA_MAX_TIME_US = 366 * 86_400 * 1_000_000;

/** Key-status bits (LuaDissectors iena.lua, protocols.md §4.3). */
export const KEY_STATUS_POSITIONAL = 0x80;
export const KEY_STATUS_MESSAGE = 0x20;
export const KEY_STATUS_DELAY = 0x10;
export const KEY_STATUS_WORD_COUNT = 0x07;

/** An IenaInfo at its defaults; the readers fill what they find. */
export function emptyIenaInfo(): IenaInfo {
  return {
    key: 0, size_words: 0, time_us: 0, key_status: 0, n2_status: 0, sequence: 0, type: 'Unknown', type_source: 'none',
    type_candidates: [], trailer: 0, param_count: 0, params: [],
  };
}

/** Fill the header fields that the bytes present hold (all of them from 14 bytes on). */
export function readIenaHeader(buf: Buffer, info: IenaInfo): void {
  const n = buf.length;
  if (n >= 2) info.key = buf.readUInt16BE(0);
  if (n >= 4) info.size_words = buf.readUInt16BE(2);
  if (n >= 10) info.time_us = buf.readUIntBE(4, 6);
  if (n >= 11) info.key_status = buf[10];
  if (n >= 12) info.n2_status = buf[11];
  if (n >= 14) info.sequence = buf.readUInt16BE(12);
}

/**
 * Bytes that belong to the packet. Normally the whole payload (rounded down
 * to whole words). When the size field points earlier and 0xDEAD sits there,
 * the packet is followed by extra bytes: stop at size × 2. A size beyond the
 * payload (a size in bytes, a packet cut short) leaves the payload's end.
 */
export function ienaExtent(buf: Buffer, sizeWords: number): number {
  const whole = buf.length & ~1;
  const declared = sizeWords * 2;
  if (declared >= IENA_MIN_LENGTH && declared < whole && buf.readUInt16BE(declared - 2) === IENA_TRAILER) return declared;
  return whole;
}
