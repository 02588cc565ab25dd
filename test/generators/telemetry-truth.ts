/**
 * Comparing what the aggregator wrote (rows as objects: from a SealedEpoch or
 * read back from ClickHouse) with the generated capture's truth, field by
 * field, with messages that name the stream and window.
 */
import { rowStreamKey, type ExpectedAlert, type RuleSpec, type TelemetryCapture } from './telemetry-streams.js';

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);

/** The alert rules the telemetry tests configure (the same specs drive expectedAlerts). */
export const TEST_RULES: RuleSpec[] = [
  { name: 'iena-loss', select: { kind: 'iena' }, metric: 'loss_rate', above: 0.02, windowNs: 1_000_000_000n },
  { name: 'iena-silence', select: { kind: 'iena' }, metric: 'silence', above: 1.5, windowNs: 1_000_000_000n },
  { name: 'sync-off-tolerance', select: { kind: 'ptp', message: 'Sync' }, metric: 'off_tolerance_rate', above: 0.1, windowNs: 1_000_000_000n },
  { name: 'follow-up-missing', select: { kind: 'ptp' }, metric: 'follow_up_missing', above: 0, windowNs: 1_000_000_000n },
];

/** The rules as written in a config file (alert-rules). */
export function ruleConfig(rules: RuleSpec[] = TEST_RULES): object[] {
  return rules.map((r) => ({ name: r.name, select: r.select, metric: r.metric, above: r.above, window: `${Number(r.windowNs / 1_000_000n)}ms`, severity: 'warning' }));
}

/** Sum rows of one stream and window (a window flushed early can have several). */
function byStreamWindow(rows: Row[]): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const key = `${rowStreamKey(r)}@${String(r.window_start_ns)}`;
    const have = out.get(key);
    if (!have) {
      out.set(key, { ...r });
      continue;
    }
    throw new Error(`two rows for ${key}`);
  }
  return out;
}

/** Every expected (stream, window) row and nothing else, every column. */
export function compareHealthRows(cap: TelemetryCapture, rows: Row[]): void {
  const got = byStreamWindow(rows);
  const problems: string[] = [];
  let expectedRows = 0;
  for (const [key, truth] of cap.streams) {
    for (const [ws, w] of truth.windows) {
      expectedRows++;
      const r = got.get(`${key}@${ws}`);
      if (!r) {
        problems.push(`missing row ${key}@${ws}`);
        continue;
      }
      got.delete(`${key}@${ws}`);
      const iats = w.intervals;
      const want: Record<string, number | string> = {
        counter_bits: truth.bits, packets: w.packets, lost: w.lost, duplicates: w.duplicates, out_of_order: w.out_of_order, restarts: w.restarts,
        gaps: w.gaps, max_gap: w.max_gap, silences: w.silences, first_seq: w.first_seq, last_seq: w.last_seq,
        first_ts_ns: String(w.first_ts_ns), last_ts_ns: String(w.last_ts_ns),
        iat_count: iats.length, iat_sum_ns: iats.reduce((a, b) => a + b, 0), iat_min_ns: iats.length ? Math.min(...iats) : 0, iat_max_ns: iats.length ? Math.max(...iats) : 0,
        off_tolerance: w.off_tolerance, log_message_interval: w.log_message_interval,
        answered: w.answered, unanswered: w.unanswered, follow_up_missing: w.follow_up_missing, unmatched: w.unmatched,
        response_count: w.responses.length, response_sum_ns: w.responses.reduce((a, b) => a + b, 0),
        response_min_ns: w.responses.length ? Math.min(...w.responses) : 0, response_max_ns: w.responses.length ? Math.max(...w.responses) : 0,
        correction_count: w.corrections.length, correction_sum_ns: w.corrections.reduce((a, b) => a + b, 0),
        correction_min_ns: w.corrections.length ? Math.min(...w.corrections) : 0, correction_max_ns: w.corrections.length ? Math.max(...w.corrections) : 0,
      };
      for (const [col, v] of Object.entries(want)) {
        const g = typeof v === 'string' ? String(r[col]) : n(r[col]);
        const ok = typeof v === 'string' ? g === v : Math.abs((g as number) - v) <= (col === 'correction_sum_ns' ? 1e-6 : 0);
        if (!ok) problems.push(`${key}@${ws} ${col}: got ${g}, want ${v}`);
      }
      const sumsq = iats.reduce((a, b) => a + b * b, 0);
      if (Math.abs(n(r.iat_sumsq_ns2) - sumsq) > Math.max(1e-9 * sumsq, 1)) problems.push(`${key}@${ws} iat_sumsq_ns2: got ${r.iat_sumsq_ns2}, want ${sumsq}`);
    }
  }
  for (const k of got.keys()) problems.push(`unexpected row ${k}`);
  if (problems.length) throw new Error(`${problems.length} differences in ${expectedRows} expected stream-health rows:\n${problems.slice(0, 40).join('\n')}`);
}

export function compareEvents(cap: TelemetryCapture, rows: Row[]): void {
  const got = rows.map((r) => [String(r.ts_ns), n(r.domain), r.event, r.clock_id, n(r.port_number), r.field, r.old_value, r.new_value, r.detail].join('|')).sort();
  const want = cap.events.map((e) => [String(e.ts_ns), e.domain, e.event, e.clock_id, e.port_number, e.field, e.old_value, e.new_value, e.detail].join('|')).sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`ptp_events differ:\ngot  ${got.join('\n     ')}\nwant ${want.join('\n     ')}`);
}

export function compareSightings(cap: TelemetryCapture, rows: Row[]): void {
  const norm = (x: { window_start_ns: unknown; first_ts_ns: unknown; packets: unknown; config_changed: unknown; program_name: unknown; channel_ids: unknown; channel_types: unknown; data_source_ids: unknown }) =>
    JSON.stringify([String(x.window_start_ns), String(x.first_ts_ns), n(x.packets), n(x.config_changed), x.program_name,
      (x.channel_ids as unknown[]).map(Number), x.channel_types, x.data_source_ids]);
  const got = rows.map((r) => norm(r as never)).sort();
  const want = cap.sightings.map((s) => norm(s as never)).sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`tmats_sightings differ:\ngot  ${got.join('\n     ')}\nwant ${want.join('\n     ')}`);
}

/** Alert rows against the expected firings and resolutions (each once), with firing and resolution sharing an alert id. */
export function compareAlerts(expected: ExpectedAlert[], rows: Row[]): void {
  const got = rows.map((r) => `${String(r.ts_ns)}|${r.rule}|${r.state}|${rowStreamKey(r)}`).sort();
  const want = expected.map((a) => `${String(a.ts_ns)}|${a.rule}|${a.state}|${a.stream}`).sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`alerts differ:\ngot  ${got.join('\n     ')}\nwant ${want.join('\n     ')}`);
  const ids = new Map<string, string[]>();
  for (const r of rows) {
    const list = ids.get(String(r.alert_id)) ?? [];
    list.push(String(r.state));
    ids.set(String(r.alert_id), list);
  }
  for (const [id, states] of ids) {
    if (states.filter((s) => s === 'firing').length !== 1 || states.filter((s) => s === 'resolved').length > 1) {
      throw new Error(`alert ${id} has states ${states.join(', ')}`);
    }
  }
}
