/**
 * One stream's integrity and timing figures over one flows window: a
 * `stream_health` row when the window closes (stream-health-rows.ts). Every
 * figure is a count, a sum, a min or a max, so the rows of a stream sum over
 * any span (docs/stream-health.md, "Tables").
 */
import { addIatSample, type IatSums } from '../inter-arrival.js';
import type { Stream } from './streams.js';

/** logMessageInterval value meaning "not applicable". */
export const LOG_INTERVAL_NONE = 127;

export class StreamWindow implements IatSums {
  // Declared here, set by reuse() (the constructor's too): the initial values are written once.
  declare stream: Stream;
  declare index: number;
  declare packets: number;
  declare lost: number;
  declare duplicates: number;
  declare outOfOrder: number;
  declare restarts: number;
  declare gaps: number;
  declare maxGap: number;
  declare silences: number;
  /** Sequence of the window's first packet (-1 before it). */
  declare firstSeq: number;
  /** The stream's newest sequence after the window's last packet. */
  declare lastSeq: number;
  declare firstSec: number;
  declare firstNs: number;
  declare lastSec: number;
  declare lastNs: number;
  declare iatCount: number;
  declare iatSum: number;
  declare iatSumSq: number;
  declare iatMin: number;
  declare iatMax: number;
  /** PTP: the logMessageInterval of the window's last packet (127: none). */
  declare logInterval: number;
  declare offTolerance: number;
  /** PTP pairing, on the request (or Sync) stream: requests answered / never answered. */
  declare answered: number;
  declare unanswered: number;
  /** Two-step Syncs without Follow_Up; two-step Pdelay_Resps without Pdelay_Resp_Follow_Up. */
  declare followUpMissing: number;
  /** On a response stream: responses that matched no request. */
  declare unmatched: number;
  declare respCount: number;
  declare respSum: number;
  declare respMin: number;
  declare respMax: number;
  declare corrCount: number;
  declare corrSum: number;
  declare corrMin: number;
  declare corrMax: number;
  /** Emitted (closed, or flushed early with its stream). */
  declare done: boolean;

  constructor(stream: Stream, index: number) {
    this.reuse(stream, index);
  }

  /**
   * Make a window new for (stream, index), also an emitted one: windows live
   * until their window closes, so each new one would be copied by the young
   * collector and promoted; recycled ones stay where they are.
   */
  reuse(stream: Stream, index: number): void {
    this.stream = stream;
    this.index = index;
    this.packets = 0;
    this.lost = 0;
    this.duplicates = 0;
    this.outOfOrder = 0;
    this.restarts = 0;
    this.gaps = 0;
    this.maxGap = 0;
    this.silences = 0;
    this.firstSeq = -1;
    this.lastSeq = 0;
    this.firstSec = 0;
    this.firstNs = 0;
    this.lastSec = 0;
    this.lastNs = 0;
    this.iatCount = 0;
    this.iatSum = 0;
    this.iatSumSq = 0;
    this.iatMin = 0;
    this.iatMax = 0;
    this.logInterval = LOG_INTERVAL_NONE;
    this.offTolerance = 0;
    this.answered = 0;
    this.unanswered = 0;
    this.followUpMissing = 0;
    this.unmatched = 0;
    this.respCount = 0;
    this.respSum = 0;
    this.respMin = 0;
    this.respMax = 0;
    this.corrCount = 0;
    this.corrSum = 0;
    this.corrMin = 0;
    this.corrMax = 0;
    this.done = false;
  }

  addPacket(sec: number, ns: number): void {
    if (this.packets === 0 || sec < this.firstSec || (sec === this.firstSec && ns < this.firstNs)) {
      this.firstSec = sec;
      this.firstNs = ns;
    }
    if (this.packets === 0 || sec > this.lastSec || (sec === this.lastSec && ns > this.lastNs)) {
      this.lastSec = sec;
      this.lastNs = ns;
    }
    this.packets++;
  }

  addInterval(iat: number): void {
    addIatSample(this, iat);
  }

  addResponse(ns: number): void {
    if (this.respCount === 0 || ns < this.respMin) this.respMin = ns;
    if (this.respCount === 0 || ns > this.respMax) this.respMax = ns;
    this.respCount++;
    this.respSum += ns;
  }

  addCorrection(ns: number): void {
    if (this.corrCount === 0 || ns < this.corrMin) this.corrMin = ns;
    if (this.corrCount === 0 || ns > this.corrMax) this.corrMax = ns;
    this.corrCount++;
    this.corrSum += ns;
  }
}

/**
 * Emitted windows kept for reuse, shared by every capture point of the
 * process (one that stops sending leaves its windows to the others). Bounded:
 * about one window per open stream window is ever in flight.
 */
const spare: StreamWindow[] = [];
const SPARE_MAX = 16384;

/** A window for (stream, index): a recycled one when there is one. */
export function takeWindow(stream: Stream, index: number): StreamWindow {
  const w = spare.pop();
  if (w === undefined) return new StreamWindow(stream, index);
  w.reuse(stream, index);
  return w;
}

/** Hand back an emitted window: nothing may hold it any more. */
export function recycleWindow(w: StreamWindow): void {
  if (spare.length < SPARE_MAX) spare.push(w);
}

/** 2^log s in ns for log -30..30 (a table: looked up for every PTP message). */
const ADVERTISED_NS: readonly number[] = Array.from({ length: 61 }, (_, i) => Math.round(2 ** (i - 30) * 1e9));

/** 2^log seconds in ns (0 when not applicable or out of the plausible range). */
export function advertisedIntervalNs(log: number): number {
  if (log === LOG_INTERVAL_NONE || log < -30 || log > 30) return 0;
  return ADVERTISED_NS[log + 30];
}
