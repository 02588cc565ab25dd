/**
 * Every result table's contents as sorted text, to compare two runs (one
 * instance against several, a clean run against one killed at random).
 */
import { assertIdentifier, type SqlClient } from '@streamlens/common';

const FLOW_COLUMNS = `agent_id, interface, window_start_ns, window_ns, frame_type, toString(src_ip) AS src, toString(dst_ip) AS dst, ip_proto,
  src_port, dst_port, src_mac, dst_mac, ethertype, packets, bytes, sampled_packets, sample_rate, first_ts_ns, last_ts_ns, protocols,
  iat_count, iat_sum_ns, iat_sumsq_ns2, iat_min_ns, iat_max_ns, outliers, errors`;
const OUTLIER_COLUMNS = `agent_id, interface, ts_ns, window_start_ns, frame_no, frame_type, toString(src_ip) AS src, toString(dst_ip) AS dst,
  ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype, iat_ns, mean_ns, std_ns, sigma, threshold_k`;

export interface TableSnapshot {
  flows: string[];
  outliers: string[];
  netflow: string[];
  flows1m: string[];
}

async function lines(sql: SqlClient, query: string): Promise<string[]> {
  const text = await sql.queryText(query, 'JSONEachRow');
  return text.split('\n').filter(Boolean).sort();
}

export async function snapshotTables(sql: SqlClient, database: string): Promise<TableSnapshot> {
  const db = assertIdentifier(database);
  return {
    flows: await lines(sql, `SELECT ${FLOW_COLUMNS} FROM ${db}.flows`),
    outliers: await lines(sql, `SELECT ${OUTLIER_COLUMNS} FROM ${db}.flow_outliers`),
    netflow: await lines(sql, `SELECT * EXCEPT bucket_start FROM ${db}.netflow_buckets`),
    flows1m: await lines(sql, `SELECT agent_id, interface, minute, frame_type, toString(src_ip) AS src, toString(dst_ip) AS dst, ip_proto, src_port, dst_port,
      src_mac, dst_mac, ethertype, sum(packets) AS p, sum(bytes) AS b, sum(iat_count) AS n, sum(iat_sum_ns) AS s, min(iat_min_ns) AS mn, max(iat_max_ns) AS mx
      FROM ${db}.flows_1m GROUP BY ALL`),
  };
}
