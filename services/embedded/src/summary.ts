/**
 * The end-of-run summary: what a file or a live run put in the store, read
 * back with SQL (the same tables users query): frame types, top flows,
 * telemetry streams (PTP, IENA, Chapter 10), outliers and errors, limited to
 * the run's capture points and time span.
 */
import type { SqlClient } from '@streamlens/common';
import { renderHealthReport } from '@streamlens/aggregator';
import type { EmbeddedStats } from './embedded-pipeline.js';

export interface SummaryScope {
  database: string;
  agentId: string;
  firstNs: bigint;
  lastNs: bigint;
  /** Flow window length: the first window starts up to this much before the first record. */
  windowNs: bigint;
  rows: number;
}

/** Addresses for humans: IPv4 without the ::ffff: of its IPv4-mapped storage, MACs for non-IP flows. */
const SRC = "if(src_mac != 0, MACNumToString(src_mac), replaceRegexpOne(toString(src_ip), '^::ffff:', ''))";
const DST = "if(dst_mac != 0, MACNumToString(dst_mac), replaceRegexpOne(toString(dst_ip), '^::ffff:', ''))";

function sections(db: string, rows: number): { title: string; sql: string }[] {
  const scope = `agent_id = {agent:String} AND window_start_ns >= {from:UInt64} AND window_start_ns <= {to:UInt64}`;
  const streams = (where: string) => `
    SELECT frame_type, ${SRC} AS src, ${DST} AS dst, if(dst_port != 0, toString(dst_port), '') AS port,
           sum(packets) AS packets,
           round(sum(iat_sum_ns) / nullIf(sum(iat_count), 0) / 1e6, 3) AS mean_interval_ms,
           round(sqrt(greatest(sum(iat_sumsq_ns2) / nullIf(sum(iat_count), 0) - pow(sum(iat_sum_ns) / nullIf(sum(iat_count), 0), 2), 0)) / 1e6, 3) AS std_ms,
           sum(outliers) AS outliers
    FROM ${db}.flows WHERE ${scope} AND (${where})
    GROUP BY frame_type, src, dst, port ORDER BY src, dst, port, frame_type LIMIT ${rows * 3}`;
  return [
    {
      title: 'Frame types',
      sql: `SELECT frame_type, sum(packets) AS packets, sum(bytes) AS bytes,
                   round(sum(iat_sum_ns) / nullIf(sum(iat_count), 0) / 1e6, 3) AS mean_interval_ms, sum(outliers) AS outliers, sum(errors) AS errors
            FROM ${db}.flows WHERE ${scope} GROUP BY frame_type ORDER BY packets DESC, frame_type LIMIT ${rows * 3}`,
    },
    {
      title: 'Top flows by bytes',
      sql: `SELECT ${SRC} AS src, ${DST} AS dst, ip_proto AS proto, src_port AS sport, dst_port AS dport,
                   arrayStringConcat(arraySort(groupUniqArray(frame_type)), ',') AS frame_types, sum(packets) AS packets, sum(bytes) AS bytes
            FROM ${db}.flows WHERE ${scope}
            GROUP BY src, dst, proto, sport, dport ORDER BY bytes DESC, src, dst, sport, dport LIMIT ${rows}`,
    },
    { title: 'PTP streams', sql: streams("frame_type LIKE 'PTP-%'") },
    { title: 'IENA streams', sql: streams("frame_type LIKE 'IENA-%'") },
    { title: 'Chapter 10 streams', sql: streams("frame_type LIKE 'CH10-%' OR frame_type = 'TMATS'") },
    {
      title: 'Inter-arrival outliers (largest first)',
      sql: `SELECT toString(ts) AS time, frame_no, frame_type, ${SRC} AS src, ${DST} AS dst,
                   round(iat_ns / 1e6, 3) AS iat_ms, round(mean_ns / 1e6, 3) AS mean_ms, round(sigma, 1) AS sigma
            FROM ${db}.flow_outliers
            WHERE agent_id = {agent:String} AND ts_ns >= {from:UInt64} AND ts_ns <= {to:UInt64}
            ORDER BY sigma DESC, ts_ns LIMIT ${rows}`,
    },
    {
      title: 'Records with decode or dissection errors',
      sql: `SELECT frame_type, sum(errors) AS records_with_errors, sum(packets) AS packets
            FROM ${db}.flows WHERE ${scope} AND errors > 0 GROUP BY frame_type ORDER BY records_with_errors DESC LIMIT ${rows}`,
    },
  ];
}

function plural(n: number | bigint, word: string): string {
  return `${n} ${n === 1 || n === 1n ? word : word.endsWith('ch') ? `${word}es` : `${word}s`}`;
}

/** The summary text; empty tables are left out. */
export async function renderSummary(sql: SqlClient, scope: SummaryScope, stats: EmbeddedStats, header: string[]): Promise<string> {
  const out: string[] = [...header];
  const span = Number(scope.lastNs - scope.firstNs) / 1e9;
  out.push(
    `${plural(stats.frames, 'frame')} → ${plural(stats.records, 'record')} in ${plural(stats.packetBatches, 'batch')}; ` +
    `capture span ${span.toFixed(3)} s (${new Date(Number(scope.firstNs / 1_000_000n)).toISOString()} .. ${new Date(Number(scope.lastNs / 1_000_000n)).toISOString()})`,
    `rows written: ${stats.rowsWritten.flows} flows, ${stats.rowsWritten.outliers} outliers, ${stats.rowsWritten.netflow} netflow bucket parts`,
  );
  if (stats.decodeErrors) out.push(`frames with decode errors: ${stats.decodeErrors}`);
  if (stats.late) out.push(`records later than the allowed lateness (not aggregated): ${stats.late}`);
  if (stats.dissectorInternalErrors) out.push(`records the dissector failed on (classified by fallback): ${stats.dissectorInternalErrors}`);
  const params = { agent: scope.agentId, from: String(scope.firstNs - (scope.firstNs % scope.windowNs)), to: String(scope.lastNs) };
  for (const s of sections(scope.database, scope.rows)) {
    // No "-- 1.08 million" reading aids beside large numbers: the summary is also read by scripts.
    const text = await sql.queryText(`${s.sql}\nSETTINGS output_format_pretty_single_large_number_tip_threshold = 0`, 'PrettyCompactMonoBlock', params);
    if (!text.trim()) continue;
    out.push('', s.title, text.trimEnd());
  }
  // Stream health last: loss, restarts, PTP timing and events, TMATS, alerts (docs/stream-health.md).
  const health = await renderHealthReport(sql, {
    database: scope.database, agentId: scope.agentId, fromNs: BigInt(params.from), toNs: scope.lastNs, rows: scope.rows,
  });
  if (health.length) out.push('', ...health);
  return out.join('\n') + '\n';
}
