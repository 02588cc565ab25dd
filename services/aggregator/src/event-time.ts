/**
 * Event time without a BigInt per record. Epoch nanoseconds (~1.7e18) do not
 * fit a double exactly, so a time is carried as two numbers: whole seconds
 * and nanoseconds within the second. A batch converts its bigint
 * `base_ts_ns` once; each record adds its `ts_offset_ns` (below 2^53) with
 * plain arithmetic. Differences (inter-arrival times) are exact while they
 * stay below 2^53 ns (104 days).
 *
 * Windows and buckets are aligned to the epoch. Their length must divide a
 * second or be a whole number of seconds, so a window index is computed from
 * (sec, ns) exactly.
 */

export const NS_PER_S = 1_000_000_000;

/** A mutable (sec, ns) pair; reused, never allocated per record. */
export interface SplitTime {
  sec: number;
  ns: number;
}

/** Split a non-negative epoch-ns bigint. */
export function splitBigint(t: bigint, out: SplitTime): SplitTime {
  const s = t / 1_000_000_000n;
  let sec = Number(s);
  let ns = Number(t - s * 1_000_000_000n);
  if (ns < 0) { // negative times: floor, not truncation
    sec -= 1;
    ns += NS_PER_S;
  }
  out.sec = sec;
  out.ns = ns;
  return out;
}

/** (baseSec, baseNs) + offset ns, normalised into `out`. */
export function addOffset(baseSec: number, baseNs: number, offsetNs: number, out: SplitTime): SplitTime {
  const total = baseNs + offsetNs;
  if (total >= 0 && total < NS_PER_S) {
    out.sec = baseSec;
    out.ns = total;
    return out;
  }
  const carry = Math.floor(total / NS_PER_S);
  out.sec = baseSec + carry;
  out.ns = total - carry * NS_PER_S;
  return out;
}

/** a - b in ns (exact below 2^53). */
export function diffNs(aSec: number, aNs: number, bSec: number, bNs: number): number {
  return (aSec - bSec) * NS_PER_S + (aNs - bNs);
}

/** -1, 0, 1 */
export function compareTime(aSec: number, aNs: number, bSec: number, bNs: number): number {
  if (aSec !== bSec) return aSec < bSec ? -1 : 1;
  return aNs === bNs ? 0 : aNs < bNs ? -1 : 1;
}

/** Decimal epoch ns of a split time, for UInt64 columns (JSON strings keep them exact). */
export function timeString(sec: number, ns: number): string {
  if (sec === 0) return String(ns);
  const n = String(ns);
  return String(sec) + '000000000'.slice(n.length) + n;
}

/** Parse a decimal epoch-ns string into a split time. */
export function parseTimeString(text: string, out: SplitTime): SplitTime {
  return splitBigint(BigInt(text), out);
}

/**
 * Fixed-length slots aligned to the epoch (flow windows, netflow buckets).
 * Slot i covers [i * size, (i + 1) * size).
 */
export class TimeGrid {
  /** Slots per second (size < 1 s) or 0. */
  private readonly perSecond: number;
  /** Seconds per slot (size >= 1 s) or 0. */
  private readonly secondsPer: number;

  constructor(readonly sizeNs: number) {
    if (!Number.isSafeInteger(sizeNs) || sizeNs <= 0) throw new Error(`slot length must be a positive whole number of ns, got ${sizeNs}`);
    if (sizeNs < NS_PER_S) {
      if (NS_PER_S % sizeNs !== 0) throw new Error(`a slot shorter than 1 s must divide 1 s exactly, got ${sizeNs / 1e6} ms`);
      this.perSecond = NS_PER_S / sizeNs;
      this.secondsPer = 0;
    } else {
      if (sizeNs % NS_PER_S !== 0) throw new Error(`a slot of 1 s or more must be a whole number of seconds, got ${sizeNs / 1e6} ms`);
      this.perSecond = 0;
      this.secondsPer = sizeNs / NS_PER_S;
    }
  }

  /** Index of the slot holding (sec, ns). */
  index(sec: number, ns: number): number {
    return this.perSecond ? sec * this.perSecond + Math.floor(ns / this.sizeNs) : Math.floor(sec / this.secondsPer);
  }

  /** Start of slot i into `out`. */
  start(i: number, out: SplitTime): SplitTime {
    if (this.perSecond) {
      const sec = Math.floor(i / this.perSecond);
      out.sec = sec;
      out.ns = (i - sec * this.perSecond) * this.sizeNs;
    } else {
      out.sec = i * this.secondsPer;
      out.ns = 0;
    }
    return out;
  }

  /** Start of slot i as decimal epoch ns. */
  startString(i: number): string {
    const t = this.start(i, { sec: 0, ns: 0 });
    return timeString(t.sec, t.ns);
  }
}

/** Validate a window or bucket length given in ms; returns an error message or undefined. */
export function checkSlotMs(ms: number): string | undefined {
  try {
    new TimeGrid(Math.round(ms * 1e6));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
