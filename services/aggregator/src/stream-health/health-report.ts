/**
 * The stream-health report: what `streamlens analyze` prints at the end of
 * its summary and `streamlens health` prints for a store or a server. Plain
 * SQL over stream_health, ptp_events, tmats_sightings and alerts (the same
 * queries a user would write), limited to a scope: an agent, an interface,
 * a time range.
 */
import { assertIdentifier, type SqlClient } from '@streamlens/common';

export interface HealthReportScope {
  database: string;
  agentId?: string;
  iface?: string;
  /** Windows starting at or after this (epoch ns). */
  fromNs?: bigint;
  /** Windows starting at or before this (epoch ns). */
  toNs?: bigint;
  /** Rows per table (events and alerts: three times as many). */
  rows: number;
}

const ADDR = (col: string) => `if(${col} = toIPv6('::'), '', replaceRegexpOne(toString(${col}), '^::ffff:', ''))`;

/** A stream in words, in SQL (the same words as the aggregator's labels). */
const LABEL = `multiIf(kind = 'iena', concat('IENA key 0x', leftPad(hex(toUInt16(stream_id)), 4, '0')),
  kind = 'ch10_channel', concat('Ch10 channel ', toString(stream_id)),
  kind = 'ch10_transfer', 'Ch10 transfer',
  concat('PTP ', message_type, if(keyed_by = 'requesting', ' to ', ' '), clock_id, '/', toString(port_number), ' domain ', toString(domain)))`;

const STREAM = 'kind, src_ip, dst_ip, stream_id, domain, clock_id, port_number, message_type, keyed_by';

function where(s: HealthReportScope, timeCol: string): { sql: string; params: Record<string, string> } {
  const parts: string[] = ['1'];
  const params: Record<string, string> = {};
  if (s.agentId !== undefined) {
    parts.push('agent_id = {agent:String}');
    params.agent = s.agentId;
  }
  if (s.iface !== undefined) {
    parts.push('interface = {iface:String}');
    params.iface = s.iface;
  }
  if (s.fromNs !== undefined) {
    parts.push(`${timeCol} >= {from:UInt64}`);
    params.from = String(s.fromNs);
  }
  if (s.toNs !== undefined) {
    parts.push(`${timeCol} <= {to:UInt64}`);
    params.to = String(s.toNs);
  }
  return { sql: parts.join(' AND '), params };
}

/** Per stream over the scope (a subquery the sections select from). */
function perStream(db: string, w: string): string {
  return `SELECT ${STREAM}, ${LABEL} AS stream, ${ADDR('src_ip')} AS src, ${ADDR('dst_ip')} AS dst,
      sum(packets) AS t_packets, sum(lost) AS t_lost, sum(out_of_order) AS t_late, sum(duplicates) AS t_dup,
      sum(restarts) AS t_restarts, sum(silences) AS t_silences, max(max_gap) AS t_max_gap, sum(off_tolerance) AS t_off,
      toUInt64(greatest(toInt64(t_lost) - toInt64(t_late), 0)) AS t_net
    FROM ${db}.stream_health WHERE ${w}
    GROUP BY ${STREAM}`;
}

interface Section {
  title: string;
  sql: string;
  time: 'window' | 'ts' | 'alert';
}

function sections(db: string, rows: number): Section[] {
  return [
    {
      title: 'Streams with loss, duplicates, reordering, restarts or silences',
      time: 'window',
      sql: `SELECT stream, src, dst, t_packets AS packets, t_net AS lost,
                   round(100 * t_net / nullIf(t_packets - t_dup + t_net, 0), 3) AS loss_pct,
                   t_dup AS duplicates, t_late AS late, t_restarts AS restarts, t_silences AS silences, t_max_gap AS max_gap
            FROM (${perStream(db, '{w}')})
            WHERE t_net > 0 OR t_dup > 0 OR t_late > 0 OR t_restarts > 0 OR t_silences > 0
            ORDER BY loss_pct DESC, lost DESC, restarts DESC, stream, src, dst LIMIT ${rows}`,
    },
    {
      title: 'PTP message timing (intervals against the advertised interval)',
      time: 'window',
      sql: `SELECT concat(clock_id, '/', toString(port_number)) AS clock, domain, message_type AS message, sum(packets) AS packets,
                   round(sum(iat_sum_ns) / nullIf(sum(iat_count), 0) / 1e6, 3) AS mean_ms,
                   round(argMax(advertised_interval_ns, last_ts_ns) / 1e6, 3) AS advertised_ms,
                   round(sqrt(greatest(sum(iat_sumsq_ns2) / nullIf(sum(iat_count), 0) - pow(sum(iat_sum_ns) / nullIf(sum(iat_count), 0), 2), 0)) / 1e6, 3) AS std_ms,
                   round(minIf(iat_min_ns, iat_count > 0) / 1e6, 3) AS min_ms, round(max(iat_max_ns) / 1e6, 3) AS max_ms,
                   sum(off_tolerance) AS off_tolerance, sum(follow_up_missing) AS follow_up_missing, sum(unanswered) AS unanswered,
                   round(sum(response_sum_ns) / nullIf(sum(response_count), 0) / 1e3, 1) AS response_us
            FROM ${db}.stream_health
            WHERE {w} AND kind = 'ptp' AND keyed_by = 'source' AND message_type IN ('Sync', 'Announce', 'Delay_Req', 'Pdelay_Req')
            GROUP BY clock_id, port_number, domain, message_type
            ORDER BY off_tolerance DESC, follow_up_missing + unanswered DESC, clock, domain, message LIMIT ${rows * 3}`,
    },
    {
      title: 'PTP events',
      time: 'ts',
      sql: `SELECT toString(ts) AS time, domain, event, concat(clock_id, '/', toString(port_number)) AS clock, field,
                   if(event = 'clock_silent', '', old_value) AS old, new_value AS new, detail
            FROM ${db}.ptp_events WHERE {w}
            ORDER BY ts_ns, domain, event, clock LIMIT ${rows * 3}`,
    },
    {
      title: 'TMATS setup records',
      time: 'window',
      sql: `SELECT ${ADDR('src_ip')} AS recorder, program_name AS program, irig106_edition AS irig106,
                   arrayStringConcat(arrayMap((i, t) -> concat(toString(i), ':', t), channel_ids, channel_types), ' ') AS channels,
                   toString(fromUnixTimestamp64Nano(toInt64(min(first_ts_ns)), 'UTC')) AS first_seen,
                   toString(fromUnixTimestamp64Nano(toInt64(max(last_ts_ns)), 'UTC')) AS last_seen,
                   sum(packets) AS setup_records, sum(config_changed) AS changed
            FROM ${db}.tmats_sightings WHERE {w}
            GROUP BY src_ip, program_name, irig106_edition, channel_ids, channel_types
            ORDER BY min(first_ts_ns), recorder LIMIT ${rows}`,
    },
    {
      title: 'Alerts',
      time: 'alert',
      sql: `SELECT toString(ts) AS time, rule, state, stream, metric, round(value, 4) AS value, comparison, threshold
            FROM ${db}.alerts WHERE {w}
            ORDER BY ts_ns, rule, stream, state LIMIT ${rows * 3}`,
    },
  ];
}

/** One line of totals: streams by kind, how many had trouble, grandmaster changes, alerts. */
async function totals(sql: SqlClient, db: string, s: HealthReportScope): Promise<string | null> {
  const w = where(s, 'window_start_ns');
  const [t] = await sql.query<Record<string, string>>(
    `SELECT count() AS streams, countIf(kind = 'iena') AS iena, countIf(kind IN ('ch10_channel', 'ch10_transfer')) AS ch10, countIf(kind = 'ptp') AS ptp,
            countIf(t_net > 0) AS lossy, countIf(t_dup > 0) AS dup, countIf(t_late > 0) AS late, countIf(t_restarts > 0) AS restarted,
            sum(t_off) AS off
     FROM (${perStream(db, w.sql)})`, w.params);
  if (!t || Number(t.streams) === 0) return null;
  const e = where(s, 'ts_ns');
  const [ev] = await sql.query<Record<string, string>>(
    `SELECT countIf(event = 'gm_change') AS gm, countIf(event = 'announce_change') AS ann, countIf(event = 'clock_silent') AS silent
     FROM ${db}.ptp_events WHERE ${e.sql}`, e.params);
  const a = where(s, 'window_start_ns');
  const [al] = await sql.query<Record<string, string>>(`SELECT countIf(state = 'firing') AS fired FROM ${db}.alerts WHERE ${a.sql}`, a.params);
  const n = (v: string | undefined, one: string, many: string) => `${v ?? 0} ${v === '1' ? one : many}`;
  return `${n(t.streams, 'stream', 'streams')} (${t.iena} IENA, ${t.ch10} Chapter 10, ${t.ptp} PTP); ${n(t.lossy, 'with loss', 'with loss')}, ` +
    `${n(t.dup, 'with duplicates', 'with duplicates')}, ${n(t.late, 'with late packets', 'with late packets')}, ${n(t.restarted, 'restarted', 'restarted')}; ` +
    `${n(t.off, 'PTP interval off tolerance', 'PTP intervals off tolerance')}; ${n(ev?.gm, 'grandmaster change', 'grandmaster changes')}, ` +
    `${n(ev?.ann, 'Announce change', 'Announce changes')}, ${n(ev?.silent, 'clock gone silent', 'clocks gone silent')}; ${n(al?.fired, 'alert fired', 'alerts fired')}`;
}

/** The report as lines (empty when the scope holds no stream). */
export async function renderHealthReport(sql: SqlClient, scope: HealthReportScope): Promise<string[]> {
  const db = assertIdentifier(scope.database, 'database name');
  const head = await totals(sql, db, scope);
  if (head === null) return [];
  const out: string[] = ['Stream health', head];
  for (const s of sections(db, scope.rows)) {
    const w = where(scope, s.time === 'ts' ? 'ts_ns' : 'window_start_ns');
    const text = await sql.queryText(s.sql.replaceAll('{w}', w.sql), 'PrettyCompactMonoBlock', w.params);
    if (!text.trim()) continue;
    out.push('', s.title, text.trimEnd());
  }
  return out;
}
