/**
 * Airbus IENA dissector. Byte-level reference: protocols.md §4; user docs:
 * docs/protocols/iena.md.
 *
 * Entry points (used by classify.ts):
 *   dissectIena(payload, dstPort, srcPort, config, flowId?) → IenaResult | null
 *   parseIenaKeyTypes(raw) → Map<key, type>      (the `iena-key-types` config section)
 * - On a pinned port (config.ports) every UDP payload is IENA: never null,
 *   problems become errors (a payload under 16 bytes is IENA-Unknown with
 *   iena.too_short).
 * - Elsewhere the payload must win the evidence score of detect.ts; null
 *   when it does not, on ports 319/320, and for Chapter 10 payloads.
 * - The type comes from config, then key-status bits, then the layout
 *   heuristic (type-resolution.ts); frame_type is IENA-<type> or IENA-Unknown.
 * - Never throws; parameter data are views into `payload`, not copies.
 */
import type { IenaInfo } from '@streamlens/common';
import { decodeIenaBody, fitMask, messageTileCount, type IenaType } from './body.js';
import { PTP_PORTS, acceptsIena, looksLikeChapter10 } from './detect.js';
import { IENA_ERRORS } from './error-codes.js';
import {
  IENA_HEADER_LENGTH, IENA_MAX_TIME_US, IENA_MIN_LENGTH, IENA_TRAILER, KEY_STATUS_WORD_COUNT, emptyIenaInfo, ienaExtent,
  readIenaHeader,
} from './header.js';
import type { IenaSequenceTracker } from './sequence-tracker.js';
import { resolveIenaType, typeFromKeyStatus } from './type-resolution.js';

export type { IenaType } from './body.js';
export { IENA_ERRORS, IENA_WARNINGS } from './error-codes.js';
export { looksLikeChapter10 } from './detect.js';
export { parseIenaKeyTypes, validateIenaKeyTypes } from './key-types.js';
export { IenaSequenceTracker } from './sequence-tracker.js';
export { typeFromKeyStatus } from './type-resolution.js';

export interface IenaConfig {
  /** Configured key → type (the `iena-key-types` section). */
  keyTypes: ReadonlyMap<number, IenaType>;
  /** Ports pinned to IENA (src or dst): no detection, every payload is IENA. */
  ports: ReadonlySet<number>;
  /** Parameters listed per packet (default 512); param_count always has the full count. */
  maxParams?: number;
  /** Optional memory for the weak "sequence + 1" detection signal. */
  sequences?: IenaSequenceTracker;
}

export interface IenaResult {
  info: IenaInfo;
  /** IENA-P, IENA-D, IENA-N, IENA-M, IENA-Q or IENA-Unknown. */
  frameType: string;
  /** Error and warning codes (IENA_ERRORS, IENA_WARNINGS); empty when clean. */
  errors: string[];
}

export const DEFAULT_IENA_MAX_PARAMS = 512;

const FRAME_TYPES: Readonly<Record<IenaInfo['type'], string>> = {
  P: 'IENA-P', D: 'IENA-D', N: 'IENA-N', M: 'IENA-M', Q: 'IENA-Q', Unknown: 'IENA-Unknown',
};

/** Whether `payload` tiles as `type` (P always does; D and N need a word count). */
function tilesAs(type: IenaType, payload: Buffer, start: number, end: number, wc: number): boolean {
  const len = end - start;
  if (len <= 0) return false;
  switch (type) {
    case 'P': return false; // fits anything, so it is no evidence
    case 'D': return len % ((wc + 2) * 2) === 0;
    case 'N': return len % ((wc + 1) * 2) === 0;
    case 'M': return messageTileCount(payload, start, end, true) > 0;
    case 'Q': return messageTileCount(payload, start, end, false) > 0;
    default: return false;
  }
}

/** Heuristic detection unless the port is pinned; null when the payload is not IENA (never throws). */
export function dissectIena(
  payload: Buffer, dstPort: number, srcPort: number, config: IenaConfig, flowId = 0,
): IenaResult | null {
  const len = payload.length;
  const pinned = config.ports.has(dstPort) || config.ports.has(srcPort);
  if (!pinned && (len < IENA_MIN_LENGTH || PTP_PORTS.has(dstPort) || PTP_PORTS.has(srcPort) || looksLikeChapter10(payload))) {
    return null;
  }

  const key = len >= 2 ? payload.readUInt16BE(0) : 0;
  const sizeWords = len >= 4 ? payload.readUInt16BE(2) : 0;
  const configured = config.keyTypes.get(key);
  const sizeOk = (len & 1) === 0 && sizeWords * 2 === len;
  const extent = len >= IENA_MIN_LENGTH ? ienaExtent(payload, sizeWords) : 0;
  const trailer = len >= IENA_MIN_LENGTH ? payload.readUInt16BE(extent - 2) : 0;
  const start = IENA_HEADER_LENGTH;
  const end = extent - 2;

  if (!pinned) {
    const strong = (sizeOk ? 1 : 0) + (trailer === IENA_TRAILER ? 1 : 0) + (configured !== undefined ? 1 : 0);
    if (strong === 0) return null;
    const seqUp = config.sequences?.observe(flowId, key, payload.readUInt16BE(12)) ?? false;
    if (strong === 1) {
      let weak = (payload.readUIntBE(4, 6) < IENA_MAX_TIME_US ? 1 : 0) + (sizeWords === len ? 1 : 0) + (seqUp ? 1 : 0);
      if (weak < 2) {
        const wc = payload[10] & KEY_STATUS_WORD_COUNT;
        const named = configured ?? typeFromKeyStatus(payload[10]);
        if (named !== null ? tilesAs(named, payload, start, end, wc) : fitMask(payload, start, end, wc) !== 0) weak++;
      }
      if (!acceptsIena(strong, weak)) return null;
    }
  } else if (config.sequences && len >= IENA_HEADER_LENGTH) {
    config.sequences.observe(flowId, key, payload.readUInt16BE(12));
  }

  const info = emptyIenaInfo();
  const errors: string[] = [];
  readIenaHeader(payload, info);
  if (len < IENA_MIN_LENGTH) {
    errors.push(IENA_ERRORS.tooShort);
    return { info, frameType: FRAME_TYPES.Unknown, errors };
  }
  info.trailer = trailer;
  if ((len & 1) !== 0) errors.push(IENA_ERRORS.oddLength);
  // An odd length alone already explains size × 2 = length − 1.
  if (sizeWords * 2 !== (len & ~1)) errors.push(IENA_ERRORS.sizeMismatch);
  if (trailer !== IENA_TRAILER) errors.push(IENA_ERRORS.badTrailer);
  if (info.time_us >= IENA_MAX_TIME_US) errors.push(IENA_ERRORS.timeOutOfRange);

  const wc = info.key_status & KEY_STATUS_WORD_COUNT;
  const needsMask = configured === undefined && typeFromKeyStatus(info.key_status) === null;
  const mask = needsMask ? fitMask(payload, start, end, wc) : 0;
  const type = resolveIenaType(configured, info.key_status, mask, end - start, info, errors);
  if (type !== null) {
    decodeIenaBody(payload, start, end, type, wc, config.maxParams ?? DEFAULT_IENA_MAX_PARAMS, info, errors);
  }
  return { info, frameType: FRAME_TYPES[info.type], errors };
}
