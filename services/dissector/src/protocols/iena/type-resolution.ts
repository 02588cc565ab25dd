/**
 * Which IENA type a packet has (protocols.md §4.5), in this order:
 * 1. the configured key → type map                       type_source "config"
 * 2. the key-status type bits 0x80 / 0x20 / 0x10          type_source "key_status"
 *    (P if 0x80; else 0x20 message → M with 0x10 delay, Q without;
 *     no 0x20 → D with 0x10; N cannot be told from the bits)
 * 3. the consistency heuristic over M, Q, D, N:
 *    exactly one fits        → that type                  "heuristic"
 *    several fit             → Unknown + candidates       "heuristic-ambiguous" (+ iena.ambiguous_type)
 *    none fits               → P + iena.no_consistent_layout "heuristic"
 *    empty payload           → P (nothing to decode)      "heuristic"
 * The ambiguous case is reported as Unknown rather than guessed: a wrong
 * guess would hand the aggregator invented parameters, while Unknown keeps
 * the header (key, sequence) for stream integrity and tells the user to
 * configure that key.
 */
import type { IenaInfo } from '@streamlens/common';
import { FIT_D, FIT_M, FIT_N, FIT_Q, type IenaType } from './body.js';
import { IENA_ERRORS, IENA_WARNINGS } from './error-codes.js';
import { KEY_STATUS_DELAY, KEY_STATUS_MESSAGE, KEY_STATUS_POSITIONAL } from './header.js';

/** The type the key-status bits name, or null when none of the type bits is set. */
export function typeFromKeyStatus(keyStatus: number): IenaType | null {
  if ((keyStatus & KEY_STATUS_POSITIONAL) !== 0) return 'P';
  const message = (keyStatus & KEY_STATUS_MESSAGE) !== 0;
  const delay = (keyStatus & KEY_STATUS_DELAY) !== 0;
  if (message) return delay ? 'M' : 'Q';
  return delay ? 'D' : null;
}

/** Fit mask → candidate list, in the heuristic's order of preference M, Q, D, N. */
export function candidatesOf(mask: number): IenaType[] {
  const out: IenaType[] = [];
  if (mask & FIT_M) out.push('M');
  if (mask & FIT_Q) out.push('Q');
  if (mask & FIT_D) out.push('D');
  if (mask & FIT_N) out.push('N');
  return out;
}

/**
 * Decide the type. `configured` is the key's configured type (or undefined),
 * `mask` the fit mask of the payload, `payloadLength` its byte count. Sets
 * info.type / type_source / type_candidates; returns the layout to decode
 * with, or null when the type stays Unknown.
 */
export function resolveIenaType(
  configured: IenaType | undefined, keyStatus: number, mask: number, payloadLength: number,
  info: IenaInfo, errors: string[],
): IenaType | null {
  if (configured !== undefined) {
    info.type = configured;
    info.type_source = 'config';
    return configured;
  }
  const fromBits = typeFromKeyStatus(keyStatus);
  if (fromBits !== null) {
    info.type = fromBits;
    info.type_source = 'key_status';
    return fromBits;
  }
  info.type_source = 'heuristic';
  if (payloadLength <= 0) {
    info.type = 'P';
    return 'P';
  }
  const candidates = candidatesOf(mask);
  info.type_candidates = candidates;
  if (candidates.length === 1) {
    info.type = candidates[0];
    return candidates[0];
  }
  if (candidates.length > 1) {
    info.type = 'Unknown';
    info.type_source = 'heuristic-ambiguous';
    errors.push(IENA_WARNINGS.ambiguousType);
    return null;
  }
  info.type = 'P';
  errors.push(IENA_ERRORS.noConsistentLayout);
  return 'P';
}
