/**
 * Shared, frozen list values for enriched records, so the common case costs
 * no allocation: a record without errors shares one empty `errors` list, and
 * records of the same frame type share one `[frame_type]` list. Lists are
 * replaced, never mutated, when something is added (addError / addErrors).
 * The vocabulary is bounded (docs/frame-types.md), so the cache is too.
 */
import type { EnrichedRecord } from '@streamlens/common';

export const NO_ERRORS: string[] = Object.freeze([]) as unknown as string[];

export function addError(out: Pick<EnrichedRecord, 'errors'>, e: string): void {
  if (out.errors === NO_ERRORS) out.errors = [e];
  else out.errors.push(e);
}

/** Appends `list` (a fresh array the caller gives up, e.g. a dissector result's errors). */
export function addErrors(out: Pick<EnrichedRecord, 'errors'>, list: string[]): void {
  if (list.length === 0) return;
  if (out.errors === NO_ERRORS) {
    out.errors = list;
    return;
  }
  for (let i = 0; i < list.length; i++) out.errors.push(list[i]);
}

const SINGLE = new Map<string, string[]>();
/** Beyond this many distinct frame types (only CH10-Reserved-0xNN can add to the vocabulary) lists are not cached. */
const MAX_CACHED = 1024;

/** A frozen `[frameType]`, one per frame type. */
export function singleFrameType(frameType: string): string[] {
  let l = SINGLE.get(frameType);
  if (l === undefined) {
    l = Object.freeze([frameType]) as unknown as string[];
    if (SINGLE.size < MAX_CACHED) SINGLE.set(frameType, l);
  }
  return l;
}
