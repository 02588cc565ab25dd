/**
 * IENA payload layouts (protocols.md §4.4): the allocation-free fit tests the
 * type heuristic uses, and the decoder that lists the parameters of a packet
 * whose type is decided. All items are big-endian u16 words; `wc` is the
 * key-status word count (bits 2–0).
 *
 *   P  opaque words, positions fixed by configuration → one item with the whole payload
 *   D  ParamID, Delay, wc data words                   (payload % ((wc+2)·2) == 0)
 *   N  ParamID, wc data words                          (payload % ((wc+1)·2) == 0)
 *   M  ParamID, Delay, Length (bytes), dataset, pad to even   (items tile the payload)
 *   Q  ParamID, Length (bytes), dataset, pad to even          (items tile the payload)
 */
import type { IenaInfo, IenaParam } from '@streamlens/common';
import { IENA_ERRORS } from './error-codes.js';

export type IenaType = 'P' | 'D' | 'N' | 'M' | 'Q';

/** Bits of a fit mask: which layouts tile a payload. P always fits and has no bit. */
export const FIT_D = 1;
export const FIT_N = 2;
export const FIT_M = 4;
export const FIT_Q = 8;

/**
 * Number of M (withDelay) or Q messages when they tile `buf[start, end)`
 * exactly with no zero Length; -1 otherwise. Bounded by the payload size.
 */
export function messageTileCount(buf: Buffer, start: number, end: number, withDelay: boolean): number {
  const head = withDelay ? 6 : 4;
  let off = start;
  let count = 0;
  while (off < end) {
    if (end - off < head) return -1;
    const length = buf.readUInt16BE(off + head - 2);
    if (length === 0) return -1;
    off += head + length + (length & 1);
    count++;
  }
  return off === end ? count : -1;
}

/**
 * Which of D, N, M, Q tile the payload with at least one item (D and N need
 * wc ≥ 1: with no data words any length divides, which proves nothing).
 */
export function fitMask(buf: Buffer, start: number, end: number, wc: number): number {
  const len = end - start;
  if (len <= 0) return 0;
  let mask = 0;
  if (wc >= 1) {
    if (len % ((wc + 2) * 2) === 0) mask |= FIT_D;
    if (len % ((wc + 1) * 2) === 0) mask |= FIT_N;
  }
  if (messageTileCount(buf, start, end, true) > 0) mask |= FIT_M;
  if (messageTileCount(buf, start, end, false) > 0) mask |= FIT_Q;
  return mask;
}

/**
 * Decode the payload `buf[start, end)` as `type` into info.params (at most
 * `maxParams` items; info.param_count is always the full count). Data
 * buffers are views into `buf`, not copies. Layout problems become errors.
 */
export function decodeIenaBody(
  buf: Buffer, start: number, end: number, type: IenaType, wc: number, maxParams: number,
  info: IenaInfo, errors: string[],
): void {
  const params: IenaParam[] = info.params;
  const len = end - start;
  if (len <= 0) return;
  switch (type) {
    case 'P':
      info.param_count = len >> 1;
      if (maxParams > 0) params.push({ param_id: -1, delay: null, length: null, data: buf.subarray(start, end) });
      return;
    case 'D':
    case 'N': {
      const withDelay = type === 'D';
      const item = (wc + (withDelay ? 2 : 1)) * 2;
      const count = Math.floor(len / item);
      if (len % item !== 0) errors.push(IENA_ERRORS.badBody);
      info.param_count = count;
      const listed = Math.min(count, maxParams);
      const dataAt = withDelay ? 4 : 2;
      for (let i = 0, off = start; i < listed; i++, off += item) {
        params.push({
          param_id: buf.readUInt16BE(off),
          delay: withDelay ? buf.readUInt16BE(off + 2) : null,
          length: null,
          data: buf.subarray(off + dataAt, off + item),
        });
      }
      return;
    }
    case 'M':
    case 'Q':
      decodeMessages(buf, start, end, type === 'M', maxParams, info, errors);
      return;
    default:
      return;
  }
}

function decodeMessages(
  buf: Buffer, start: number, end: number, withDelay: boolean, maxParams: number, info: IenaInfo, errors: string[],
): void {
  const head = withDelay ? 6 : 4;
  let off = start;
  let count = 0;
  let zeroLength = false;
  while (off < end) {
    if (end - off < head) {
      errors.push(IENA_ERRORS.badBody);
      break;
    }
    const length = buf.readUInt16BE(off + head - 2);
    if (length === 0) zeroLength = true;
    const dataStart = off + head;
    const dataEnd = dataStart + length;
    const next = dataEnd + (length & 1);
    const fits = next <= end;
    if (count < maxParams) {
      info.params.push({
        param_id: buf.readUInt16BE(off),
        delay: withDelay ? buf.readUInt16BE(off + 2) : null,
        length,
        data: buf.subarray(dataStart, Math.min(dataEnd, end)),
      });
    }
    count++;
    if (!fits) {
      errors.push(IENA_ERRORS.badBody);
      break;
    }
    off = next;
  }
  if (zeroLength) errors.push(IENA_ERRORS.zeroLengthMessage);
  info.param_count = count;
}
