/**
 * `streamlens netflow export --format jsonl`: netflow buckets as JSON lines,
 * one per capture point and bucket in time order, with zero rows for the
 * buckets in which nothing was seen (ClickHouse `WITH FILL`), as the seed
 * sniffer's netflow file had them for ML training.
 *
 * Row format (the seed's field names and meanings):
 *   {"timestamp": <bucket start, float seconds since the epoch>,
 *    "pkts_in", "pkts_out", "bytes_in", "bytes_out", "syn_count", "fin_count",
 *    "rst_count", "udp_count", "tcp_count", "dns_query_count",
 *    "unique_dst_ips", "unique_dst_ports", "tcp_new_flows"}
 * With `withCapturePoint`, each row also names agent_id, interface,
 * bucket_start_ns (exact) and bucket_ms.
 */
import { assertIdentifier, type SqlClient } from '@streamlens/common';

export const NETFLOW_FIELDS = [
  'pkts_in', 'pkts_out', 'bytes_in', 'bytes_out', 'syn_count', 'fin_count', 'rst_count', 'udp_count', 'tcp_count',
  'dns_query_count', 'unique_dst_ips', 'unique_dst_ports', 'tcp_new_flows',
] as const;

export interface NetflowExportOptions {
  database: string;
  bucketMs: number;
  agentId?: string;
  iface?: string;
  /** Inclusive start, epoch ns (default: the capture point's first bucket). */
  fromNs?: bigint;
  /** Exclusive end, epoch ns (default: after the capture point's last bucket). */
  toNs?: bigint;
  withCapturePoint?: boolean;
  /** Buckets per query. */
  pageBuckets?: number;
}

export interface LineSink {
  write(line: string): Promise<void> | void;
}

interface CapturePointRange {
  agent_id: string;
  interface: string;
  first: string;
  last: string;
}

/** Parse --from/--to: epoch ns digits, or an ISO 8601 time. */
export function parseExportTime(text: string): bigint {
  if (/^\d+$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`"${text}" is neither epoch nanoseconds nor an ISO 8601 time`);
  return BigInt(ms) * 1_000_000n;
}

function timestampSeconds(ns: bigint): number {
  return Number(ns / 1_000_000n) / 1000;
}

/** Write the rows; returns how many (zero rows included). */
export async function exportNetflow(sql: SqlClient, o: NetflowExportOptions, out: LineSink): Promise<number> {
  const db = assertIdentifier(o.database, 'database name');
  const step = BigInt(o.bucketMs) * 1_000_000n;
  const page = BigInt(o.pageBuckets ?? 36_000) * step;
  const points = await sql.query<CapturePointRange>(
    `SELECT agent_id, interface, toString(min(bucket_start_ns)) AS first, toString(max(bucket_start_ns)) AS last
     FROM ${db}.netflow_bucket_parts
     WHERE bucket_ms = {ms:UInt32} ${o.agentId !== undefined ? 'AND agent_id = {a:String}' : ''} ${o.iface !== undefined ? 'AND interface = {i:String}' : ''}
     GROUP BY agent_id, interface ORDER BY agent_id, interface`,
    { ms: o.bucketMs, a: o.agentId, i: o.iface });
  let rows = 0;
  for (const cp of points) {
    const align = (t: bigint) => (t / step) * step;
    const from = align(o.fromNs ?? BigInt(cp.first));
    const to = o.toNs !== undefined ? align(o.toNs + step - 1n) : BigInt(cp.last) + step;
    for (let lo = from; lo < to; lo += page) {
      const hi = lo + page < to ? lo + page : to;
      const list = await sql.query<Record<string, string | number>>(
        `SELECT bucket_start_ns, ${NETFLOW_FIELDS.join(', ')}
         FROM ${db}.netflow_buckets
         WHERE agent_id = {a:String} AND interface = {i:String} AND bucket_ms = {ms:UInt32}
           AND bucket_start_ns >= {lo:UInt64} AND bucket_start_ns < {hi:UInt64}
         ORDER BY bucket_start_ns WITH FILL FROM {lo:UInt64} TO {hi:UInt64} STEP {step:UInt64}`,
        { a: cp.agent_id, i: cp.interface, ms: o.bucketMs, lo: lo.toString(), hi: hi.toString(), step: step.toString() });
      for (const r of list) {
        const start = BigInt(r.bucket_start_ns);
        const row: Record<string, string | number> = { timestamp: timestampSeconds(start) };
        for (const f of NETFLOW_FIELDS) row[f] = Number(r[f] ?? 0);
        if (o.withCapturePoint) {
          row.agent_id = cp.agent_id;
          row.interface = cp.interface;
          row.bucket_start_ns = start.toString();
          row.bucket_ms = o.bucketMs;
        }
        await out.write(JSON.stringify(row) + '\n');
        rows++;
      }
    }
  }
  return rows;
}
