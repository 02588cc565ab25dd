/**
 * One stream's integrity and timing figures over one flows window, and the
 * `stream_health` row it becomes when the window closes. Every column is a
 * count, a sum, a min or a max, so the rows of a stream sum over any span
 * (docs/stream-health.md, "Tables").
 */
import { addIatSample, type IatSums } from '../inter-arrival.js';
import { timeString, type TimeGrid } from '../event-time.js';
import { STREAM_KIND_NAMES, PTP_TYPE_NAMES, streamSrcText, streamDstText, type Stream } from './streams.js';

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

/** One row of stream_health (JSON for ClickHouse; 64-bit times as strings). */
export interface StreamHealthRow {
  agent_id: string;
  interface: string;
  window_start_ns: string;
  window_ns: number;
  kind: string;
  src_ip: string;
  dst_ip: string;
  stream_id: number;
  domain: number;
  clock_id: string;
  port_number: number;
  message_type: string;
  keyed_by: string;
  counter_bits: number;
  packets: number;
  lost: number;
  duplicates: number;
  out_of_order: number;
  restarts: number;
  gaps: number;
  max_gap: number;
  silences: number;
  first_seq: number;
  last_seq: number;
  first_ts_ns: string;
  last_ts_ns: string;
  iat_count: number;
  iat_sum_ns: number;
  iat_sumsq_ns2: number;
  iat_min_ns: number;
  iat_max_ns: number;
  log_message_interval: number;
  advertised_interval_ns: number;
  off_tolerance: number;
  answered: number;
  unanswered: number;
  follow_up_missing: number;
  unmatched: number;
  response_count: number;
  response_sum_ns: number;
  response_min_ns: number;
  response_max_ns: number;
  correction_count: number;
  correction_sum_ns: number;
  correction_min_ns: number;
  correction_max_ns: number;
}

/** 2^log s in ns for log -30..30 (a table: looked up for every PTP message). */
const ADVERTISED_NS: readonly number[] = Array.from({ length: 61 }, (_, i) => Math.round(2 ** (i - 30) * 1e9));

/** 2^log seconds in ns (0 when not applicable or out of the plausible range). */
export function advertisedIntervalNs(log: number): number {
  if (log === LOG_INTERVAL_NONE || log < -30 || log > 30) return 0;
  return ADVERTISED_NS[log + 30];
}

/** `windowStart`: grid.startString(w.index), passed in by callers emitting many rows of one window. */
export function streamHealthRow(agentId: string, iface: string, w: StreamWindow, grid: TimeGrid, windowStart = grid.startString(w.index)): StreamHealthRow {
  const s = w.stream;
  const ptp = s.isPtp;
  return {
    agent_id: agentId,
    interface: iface,
    window_start_ns: windowStart,
    window_ns: grid.sizeNs,
    kind: STREAM_KIND_NAMES[s.kind],
    src_ip: streamSrcText(s),
    dst_ip: streamDstText(s),
    stream_id: ptp ? 0 : s.id,
    domain: s.domain,
    clock_id: s.clockId,
    port_number: s.port,
    message_type: ptp ? PTP_TYPE_NAMES[s.id] : '',
    keyed_by: ptp ? (s.keyedByRequester ? 'requesting' : 'source') : '',
    counter_bits: s.seq.bits,
    packets: w.packets,
    lost: w.lost,
    duplicates: w.duplicates,
    out_of_order: w.outOfOrder,
    restarts: w.restarts,
    gaps: w.gaps,
    max_gap: w.maxGap,
    silences: w.silences,
    first_seq: w.firstSeq < 0 ? 0 : w.firstSeq,
    last_seq: w.lastSeq,
    first_ts_ns: timeString(w.firstSec, w.firstNs),
    last_ts_ns: timeString(w.lastSec, w.lastNs),
    iat_count: w.iatCount,
    iat_sum_ns: w.iatSum,
    iat_sumsq_ns2: w.iatSumSq,
    iat_min_ns: w.iatMin,
    iat_max_ns: w.iatMax,
    log_message_interval: w.logInterval,
    advertised_interval_ns: advertisedIntervalNs(w.logInterval),
    off_tolerance: w.offTolerance,
    answered: w.answered,
    unanswered: w.unanswered,
    follow_up_missing: w.followUpMissing,
    unmatched: w.unmatched,
    response_count: w.respCount,
    response_sum_ns: w.respSum,
    response_min_ns: w.respMin,
    response_max_ns: w.respMax,
    correction_count: w.corrCount,
    correction_sum_ns: w.corrSum,
    correction_min_ns: w.corrMin,
    correction_max_ns: w.corrMax,
  };
}
