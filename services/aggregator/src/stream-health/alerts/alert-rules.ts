/**
 * Alert rules, from the `alert-rules` list of the config file
 * (docs/stream-health.md, "Alerts"):
 *
 *   alert-rules:
 *     - name: iena-loss
 *       select: { kind: iena, src: 192.168.28.0/24, id: 0x2cfa }
 *       metric: loss_rate
 *       above: 0.001
 *       window: 10s
 *       severity: critical
 *
 * A rule selects streams by their identity, computes a metric over each
 * tumbling evaluation window (aligned to the epoch, a whole number of flow
 * windows) and fires when the metric is above (or below) the threshold; it
 * resolves at the first evaluated window where it no longer is.
 */
import { parseDuration } from '@streamlens/common';
import { LocalNetworks } from '../../local-networks.js';
import { TimeGrid } from '../../event-time.js';
import { PTP_TYPE_NAMES, STREAM_KIND_NAMES, StreamKind, type Stream } from '../streams.js';

export const ALERT_METRICS = {
  loss_rate: 'packets lost (net of late arrivals) / packets expected, 0..1',
  lost: 'packets lost, net of late arrivals',
  duplicates: 'duplicate packets',
  out_of_order: 'late (out-of-order) arrivals',
  restarts: 'sequence restarts',
  interval_jitter: 'standard deviation / mean of the intervals between packets',
  interval_error: 'PTP: |mean interval - advertised interval| / advertised interval',
  off_tolerance_rate: 'PTP: intervals off the advertised interval by more than the tolerance / intervals',
  silence: 'seconds since the stream\'s last packet, at the end of the evaluation window',
  packet_rate: 'packets per second over the evaluation window',
  follow_up_missing: 'PTP: two-step Syncs (Pdelay_Resps) whose Follow_Up never came',
  unanswered: 'PTP: Delay_Req / Pdelay_Req without a response',
  response_time: 'PTP: mean time from request (or Sync) to its response (or Follow_Up), seconds',
} as const;

export type AlertMetric = keyof typeof ALERT_METRICS;

/** Metrics with a value in windows where the stream sent nothing. */
export const METRICS_WITHOUT_DATA: ReadonlySet<AlertMetric> = new Set(['silence', 'packet_rate']);

const SELECT_KEYS = ['kind', 'agent', 'interface', 'src', 'dst', 'id', 'domain', 'clock', 'port', 'message'] as const;
const RULE_KEYS = ['name', 'select', 'metric', 'above', 'below', 'window', 'severity'] as const;
const DEFAULT_WINDOW_MS = 10_000;

/** A rule as written in the config file (checked by validateAlertRules). */
export interface AlertRuleSpec {
  name: string;
  select?: {
    kind?: string | string[];
    agent?: string;
    interface?: string;
    src?: string;
    dst?: string;
    id?: number | string;
    domain?: number;
    clock?: string;
    port?: number;
    message?: string;
  };
  metric: AlertMetric;
  above?: number;
  below?: number;
  window?: string | number;
  severity?: string;
}

/** A rule ready to evaluate. */
export interface AlertRule {
  index: number;
  name: string;
  metric: AlertMetric;
  above: boolean;
  threshold: number;
  windowNs: number;
  grid: TimeGrid;
  severity: string;
  kinds: Set<StreamKind> | null;
  agent: string | null;
  iface: string | null;
  src: LocalNetworks | null;
  dst: LocalNetworks | null;
  id: number | null;
  domain: number | null;
  clock: string | null;
  port: number | null;
  message: number | null;
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new Error(`${what}: expected a number, got ${JSON.stringify(v)}`);
}

function windowMs(v: unknown, what: string): number {
  if (v === undefined) return DEFAULT_WINDOW_MS;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    try {
      return parseDuration(v);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  }
  throw new Error(`${what}: expected a duration such as 10s, got ${JSON.stringify(v)}`);
}

/** Check the shape of `alert-rules`; returns the first problem (naming the rule and key) or undefined. */
export function validateAlertRules(value: unknown): string | undefined {
  try {
    compileAlertRules(value, 0);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Compile the rules. `flowWindowNs` > 0 also checks that each evaluation
 * window is a whole number of flow windows.
 */
export function compileAlertRules(value: unknown, flowWindowNs: number): AlertRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error('alert-rules must be a list of rules');
  const names = new Set<string>();
  return value.map((raw, index) => {
    const at = `alert-rules[${index}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${at}: expected a mapping`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!(RULE_KEYS as readonly string[]).includes(k)) throw new Error(`${at}: unknown key "${k}" (known: ${RULE_KEYS.join(', ')})`);
    if (typeof r.name !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(r.name)) throw new Error(`${at}.name: a name of letters, digits and _ . : - is required`);
    const name = r.name;
    const where = `alert-rules[${index}] (${name})`;
    if (names.has(name)) throw new Error(`${where}: duplicate rule name`);
    names.add(name);
    if (typeof r.metric !== 'string' || !(r.metric in ALERT_METRICS)) {
      throw new Error(`${where}.metric: expected one of ${Object.keys(ALERT_METRICS).join(', ')}, got ${JSON.stringify(r.metric)}`);
    }
    if ((r.above === undefined) === (r.below === undefined)) throw new Error(`${where}: give exactly one of above or below`);
    const above = r.above !== undefined;
    if (!above && r.metric === 'silence') throw new Error(`${where}: silence only grows while a stream is quiet; use above`);
    const threshold = num(above ? r.above : r.below, `${where}.${above ? 'above' : 'below'}`);
    const wms = windowMs(r.window, `${where}.window`);
    const windowNs = Math.round(wms * 1e6);
    let grid: TimeGrid;
    try {
      grid = new TimeGrid(windowNs);
    } catch (err) {
      throw new Error(`${where}.window: ${(err as Error).message}`);
    }
    if (flowWindowNs > 0 && windowNs % flowWindowNs !== 0) {
      throw new Error(`${where}.window: ${wms} ms is not a whole number of flow windows (--window ${flowWindowNs / 1e6} ms)`);
    }
    if (r.severity !== undefined && (typeof r.severity !== 'string' || r.severity.length > 50)) throw new Error(`${where}.severity: expected a short text`);
    const rule: AlertRule = {
      index, name, metric: r.metric as AlertMetric, above, threshold, windowNs, grid, severity: (r.severity as string | undefined) ?? 'warning',
      kinds: null, agent: null, iface: null, src: null, dst: null, id: null, domain: null, clock: null, port: null, message: null,
    };
    const sel = r.select;
    if (sel !== undefined) {
      if (sel === null || typeof sel !== 'object' || Array.isArray(sel)) throw new Error(`${where}.select: expected a mapping`);
      const s = sel as Record<string, unknown>;
      for (const k of Object.keys(s)) if (!(SELECT_KEYS as readonly string[]).includes(k)) throw new Error(`${where}.select: unknown key "${k}" (known: ${SELECT_KEYS.join(', ')})`);
      if (s.kind !== undefined) {
        const list = Array.isArray(s.kind) ? s.kind : [s.kind];
        rule.kinds = new Set(list.map((k) => {
          const i = (STREAM_KIND_NAMES as readonly string[]).indexOf(String(k));
          if (i < 0) throw new Error(`${where}.select.kind: expected ${STREAM_KIND_NAMES.join(', ')}, got ${JSON.stringify(k)}`);
          return i as StreamKind;
        }));
      }
      const text = (k: string): string | null => {
        if (s[k] === undefined) return null;
        if (typeof s[k] !== 'string' && typeof s[k] !== 'number') throw new Error(`${where}.select.${k}: expected text`);
        return String(s[k]);
      };
      rule.agent = text('agent');
      rule.iface = text('interface');
      for (const k of ['src', 'dst'] as const) {
        const v = text(k);
        if (v === null) continue;
        try {
          rule[k] = new LocalNetworks([v]);
        } catch (err) {
          throw new Error(`${where}.select.${k}: ${(err as Error).message}`);
        }
      }
      if (s.id !== undefined) rule.id = num(s.id, `${where}.select.id`);
      if (s.domain !== undefined) rule.domain = num(s.domain, `${where}.select.domain`);
      if (s.port !== undefined) rule.port = num(s.port, `${where}.select.port`);
      const clock = text('clock');
      if (clock !== null) {
        const c = clock.toLowerCase().replace(/[^0-9a-f]/g, '');
        if (c.length !== 16) throw new Error(`${where}.select.clock: expected a clock identity of 16 hex digits, got ${JSON.stringify(clock)}`);
        rule.clock = c;
      }
      const message = text('message');
      if (message !== null) {
        const i = (PTP_TYPE_NAMES as readonly string[]).indexOf(message);
        if (i < 0) throw new Error(`${where}.select.message: expected a PTP message type (Sync, Delay_Req, Announce, ...), got ${JSON.stringify(message)}`);
        rule.message = i;
      }
    }
    return rule;
  });
}

/** The rules (indexes) that select a stream of a capture point. */
export function rulesFor(rules: readonly AlertRule[], agentId: string, iface: string, s: Stream): number[] | null {
  let out: number[] | null = null;
  for (const r of rules) {
    if (r.kinds && !r.kinds.has(s.kind)) continue;
    if (r.agent !== null && r.agent !== agentId) continue;
    if (r.iface !== null && r.iface !== iface) continue;
    if (r.src !== null && !matchAddr(r.src, s.family, s.src4, s.src6)) continue;
    if (r.dst !== null && !matchAddr(r.dst, s.family, s.dst4, s.dst6)) continue;
    if (r.id !== null && (s.kind === StreamKind.Ptp || r.id !== s.id)) continue;
    if (r.domain !== null && (s.kind !== StreamKind.Ptp || r.domain !== s.domain)) continue;
    if (r.clock !== null && r.clock !== s.clockId) continue;
    if (r.port !== null && (s.kind !== StreamKind.Ptp || r.port !== s.port)) continue;
    if (r.message !== null && (s.kind !== StreamKind.Ptp || r.message !== s.id)) continue;
    (out ??= []).push(r.index);
  }
  return out;
}

function matchAddr(nets: LocalNetworks, family: number, a4: number, a6: Buffer | null): boolean {
  if (family === 4) return nets.containsV4(a4);
  if (family === 6) return nets.containsV6(a6!);
  return false;
}
