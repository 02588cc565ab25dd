/**
 * Alert evaluation for one capture point: the stream_health rows of every
 * stream a rule selects are added up per evaluation window (the rule's
 * tumbling window); when the capture point's watermark passes the end of an
 * evaluation window, the metric is computed and the rule's state for that
 * stream may change: `firing` when the threshold is crossed, `resolved` at
 * the first evaluated window where it no longer is.
 *
 * Everything here follows from the closed rows and the watermark, so the
 * alerts of an epoch are as deterministic as its rows: a replay after a
 * crash produces the same alert rows (deduplicated by token in the alerts
 * table) and the same alert records (published once, alert-publisher.ts).
 *
 * Windows in which a stream sent nothing are evaluated only for the metrics
 * that have a value there (silence, packet_rate); for the others nothing
 * changes until the stream sends again.
 */
import { createHash } from 'node:crypto';
import { addOffset, diffNs, type SplitTime, type TimeGrid } from '../../event-time.js';
import { meanAndStd } from '../../inter-arrival.js';
import { PTP_TYPE_NAMES, STREAM_KIND_NAMES, streamDstText, streamLabel, streamSrcText, type Stream } from '../streams.js';
import { advertisedIntervalNs, LOG_INTERVAL_NONE, type StreamWindow } from '../stream-window.js';
import type { AlertRule } from './alert-rules.js';

/** One row of the alerts table (and one record on the alerts topic). */
export interface AlertRow {
  agent_id: string;
  interface: string;
  ts_ns: string;
  alert_id: string;
  rule: string;
  state: 'firing' | 'resolved';
  severity: string;
  metric: string;
  value: number;
  threshold: number;
  comparison: 'above' | 'below';
  window_start_ns: string;
  window_ns: number;
  fired_at_ns: string;
  kind: string;
  src_ip: string;
  dst_ip: string;
  stream_id: number;
  domain: number;
  clock_id: string;
  port_number: number;
  message_type: string;
  keyed_by: string;
  stream: string;
}

/** A stream's figures summed over one evaluation window. */
export class RuleAcc {
  packets = 0;
  lost = 0;
  duplicates = 0;
  outOfOrder = 0;
  restarts = 0;
  iatCount = 0;
  iatSum = 0;
  iatSumSq = 0;
  offTolerance = 0;
  followUpMissing = 0;
  unanswered = 0;
  respCount = 0;
  respSum = 0;
  logInterval = LOG_INTERVAL_NONE;
  hasLast = false;
  lastSec = 0;
  lastNs = 0;

  add(w: StreamWindow): void {
    this.packets += w.packets;
    this.lost += w.lost;
    this.duplicates += w.duplicates;
    this.outOfOrder += w.outOfOrder;
    this.restarts += w.restarts;
    this.iatCount += w.iatCount;
    this.iatSum += w.iatSum;
    this.iatSumSq += w.iatSumSq;
    this.offTolerance += w.offTolerance;
    this.followUpMissing += w.followUpMissing;
    this.unanswered += w.unanswered;
    this.respCount += w.respCount;
    this.respSum += w.respSum;
    if (w.logInterval !== LOG_INTERVAL_NONE) this.logInterval = w.logInterval;
    if (w.packets > 0 && (!this.hasLast || w.lastSec > this.lastSec || (w.lastSec === this.lastSec && w.lastNs > this.lastNs))) {
      this.hasLast = true;
      this.lastSec = w.lastSec;
      this.lastNs = w.lastNs;
    }
  }
}

export class AlertState {
  firing = false;
  alertId = '';
  firedAt = '';
  /** First evaluation window not evaluated yet. */
  next: number;
  /** The stream's last packet as far as evaluated. */
  hasLast = false;
  lastSec = 0;
  lastNs = 0;
  readonly accs = new Map<number, RuleAcc>();

  constructor(readonly rule: AlertRule, public stream: Stream, readonly key: string, first: number) {
    this.next = first;
  }
}

const t0: SplitTime = { sec: 0, ns: 0 };
const t1: SplitTime = { sec: 0, ns: 0 };

export function alertId(rule: string, streamKey: string, windowStartNs: string): string {
  return createHash('sha256').update(`${rule}\u0000${streamKey}\u0000${windowStartNs}`).digest('hex').slice(0, 24);
}

export class AlertEvaluator {
  readonly states = new Map<string, AlertState>();

  constructor(
    readonly agentId: string,
    readonly iface: string,
    readonly rules: readonly AlertRule[],
    private readonly flowGrid: TimeGrid,
  ) {}

  /** Add a closed stream window to the evaluation windows of the rules selecting its stream. */
  feed(w: StreamWindow): void {
    const rules = w.stream.rules;
    if (rules === null) return;
    this.flowGrid.start(w.index, t0);
    for (let i = 0; i < rules.length; i++) {
      const rule = this.rules[rules[i]];
      const idx = rule.grid.index(t0.sec, t0.ns);
      const key = `${rule.index}|${w.stream.key}`;
      let st = this.states.get(key);
      if (!st) this.states.set(key, (st = new AlertState(rule, w.stream, key, idx)));
      else if (st.stream !== w.stream) st.stream = w.stream; // the stream came back after it was forgotten
      if (idx < st.next) continue; // an evaluation window already evaluated (a window flushed early)
      let acc = st.accs.get(idx);
      if (!acc) st.accs.set(idx, (acc = new RuleAcc()));
      acc.add(w);
    }
  }

  /**
   * Evaluate every evaluation window that ends at or before the watermark
   * (and, with `finalSec`, the one holding that time: the end of the input).
   * Alert rows come out ordered by time, rule and stream.
   */
  evaluate(wmSec: number, wmNs: number, out: AlertRow[], finalSec = -1, finalNs = 0): void {
    const rows: AlertRow[] = [];
    for (const [key, st] of this.states) {
      const grid = st.rule.grid;
      let k = grid.index(wmSec, wmNs);
      if (finalSec >= 0) k = Math.max(k, grid.index(finalSec, finalNs) + 1);
      if (k > st.next) this.advance(st, k, rows);
      if (!st.firing && st.accs.size === 0 && st.stream.gone) this.states.delete(key);
    }
    rows.sort((a, b) => (a.ts_ns.length - b.ts_ns.length) || (a.ts_ns < b.ts_ns ? -1 : a.ts_ns > b.ts_ns ? 1 : 0)
      || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0)
      || (a.state < b.state ? -1 : a.state > b.state ? 1 : 0));
    for (const r of rows) out.push(r);
  }

  private advance(st: AlertState, k: number, out: AlertRow[]): void {
    const data = [...st.accs.keys()].filter((i) => i < k).sort((a, b) => a - b);
    for (const d of data) {
      if (st.next < d) this.empty(st, st.next, d - 1, out);
      const acc = st.accs.get(d)!;
      st.accs.delete(d);
      if (acc.hasLast) {
        st.hasLast = true;
        st.lastSec = acc.lastSec;
        st.lastNs = acc.lastNs;
      }
      const v = this.value(st, acc, d);
      if (v !== null) this.transition(st, v, d, out);
      st.next = d + 1;
    }
    if (st.next < k) {
      this.empty(st, st.next, k - 1, out);
      st.next = k;
    }
  }

  /** Windows a..b in which the stream sent nothing. */
  private empty(st: AlertState, a: number, b: number, out: AlertRow[]): void {
    const rule = st.rule;
    if (rule.metric === 'packet_rate') {
      this.transition(st, 0, a, out);
      return;
    }
    if (rule.metric !== 'silence' || !st.hasLast) return;
    // silence only grows over empty windows: it crosses the threshold at most once
    if (st.firing) return;
    addOffset(st.lastSec, st.lastNs, Math.round(rule.threshold * 1e9), t0);
    const i = Math.max(a, rule.grid.index(t0.sec, t0.ns));
    if (i > b) return;
    this.transition(st, this.silenceAt(st, i), i, out);
  }

  private silenceAt(st: AlertState, idx: number): number {
    st.rule.grid.start(idx + 1, t1);
    return diffNs(t1.sec, t1.ns, st.lastSec, st.lastNs) / 1e9;
  }

  private value(st: AlertState, a: RuleAcc, idx: number): number | null {
    const windowSec = st.rule.windowNs / 1e9;
    switch (st.rule.metric) {
      case 'silence': return st.hasLast ? this.silenceAt(st, idx) : null;
      case 'packet_rate': return a.packets / windowSec;
      default: break;
    }
    if (a.packets === 0) return null;
    const net = Math.max(a.lost - a.outOfOrder, 0);
    switch (st.rule.metric) {
      case 'loss_rate': {
        const expected = a.packets - a.duplicates + net;
        return expected > 0 ? net / expected : 0;
      }
      case 'lost': return net;
      case 'duplicates': return a.duplicates;
      case 'out_of_order': return a.outOfOrder;
      case 'restarts': return a.restarts;
      case 'interval_jitter': {
        if (a.iatCount < 2) return null;
        const { mean, std } = meanAndStd(a);
        return mean > 0 ? std / mean : null;
      }
      case 'interval_error': {
        const adv = advertisedIntervalNs(a.logInterval);
        if (a.iatCount === 0 || adv === 0) return null;
        return Math.abs(a.iatSum / a.iatCount - adv) / adv;
      }
      case 'off_tolerance_rate': return a.iatCount > 0 ? a.offTolerance / a.iatCount : null;
      case 'follow_up_missing': return a.followUpMissing;
      case 'unanswered': return a.unanswered;
      case 'response_time': return a.respCount > 0 ? a.respSum / a.respCount / 1e9 : null;
      default: return null;
    }
  }

  private transition(st: AlertState, value: number, idx: number, out: AlertRow[]): void {
    const rule = st.rule;
    const breach = rule.above ? value > rule.threshold : value < rule.threshold;
    if (breach === st.firing) return;
    st.firing = breach;
    const start = rule.grid.startString(idx);
    const end = rule.grid.startString(idx + 1);
    if (breach) {
      st.alertId = alertId(rule.name, st.key, start);
      st.firedAt = end;
    }
    out.push(this.row(st, breach ? 'firing' : 'resolved', value, start, end));
  }

  private row(st: AlertState, state: 'firing' | 'resolved', value: number, start: string, end: string): AlertRow {
    const s = st.stream;
    const rule = st.rule;
    const ptp = s.isPtp;
    return {
      agent_id: this.agentId,
      interface: this.iface,
      ts_ns: end,
      alert_id: st.alertId,
      rule: rule.name,
      state,
      severity: rule.severity,
      metric: rule.metric,
      value: Number.isFinite(value) ? value : 0,
      threshold: rule.threshold,
      comparison: rule.above ? 'above' : 'below',
      window_start_ns: start,
      window_ns: rule.windowNs,
      fired_at_ns: st.firedAt,
      kind: STREAM_KIND_NAMES[s.kind],
      src_ip: streamSrcText(s),
      dst_ip: streamDstText(s),
      stream_id: ptp ? 0 : s.id,
      domain: s.domain,
      clock_id: s.clockId,
      port_number: s.port,
      message_type: ptp ? PTP_TYPE_NAMES[s.id] : '',
      keyed_by: ptp ? (s.keyedByRequester ? 'requesting' : 'source') : '',
      stream: streamLabel(s),
    };
  }
}
