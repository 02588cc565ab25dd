/**
 * Netflow buckets: per capture point and aligned bucket (default 100 ms), the
 * seed's traffic counters over IP packets.
 *
 *   pkts_out / bytes_out   source address in the capture point's local networks
 *   pkts_in / bytes_in     every other IP packet
 *   syn/fin/rst_count      TCP packets with that flag set
 *   tcp_new_flows          TCP SYN without ACK (connection attempts)
 *   udp_count, tcp_count   packets by IP protocol
 *   dns_query_count        DNS messages that are queries (not responses)
 *   unique_dst_ips         distinct destination addresses
 *   unique_dst_ports       distinct TCP/UDP/SCTP destination ports
 *
 * Non-IP frames are not netflow (they are in `flows`). Counts are scaled by
 * the agent's sample_rate; the distinct counts are of what was seen.
 *
 * Each source partition writes its own share of a bucket as a row of
 * netflow_bucket_parts, carrying the destination sets themselves; the
 * netflow_buckets view sums the counters and unions the sets, so the
 * distinct counts are exact however a capture point's packets were spread
 * over partitions and aggregator instances.
 */
import { v4String, v6String } from './flow-key.js';
import type { TimeGrid } from './event-time.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export class BucketAgg {
  pktsIn = 0;
  pktsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  syn = 0;
  fin = 0;
  rst = 0;
  udp = 0;
  tcp = 0;
  dnsQueries = 0;
  tcpNewFlows = 0;
  /** IPv4 destinations as unsigned 32-bit numbers. */
  readonly dst4 = new Set<number>();
  /** IPv6 destinations as 32 hex digits. */
  readonly dst6 = new Set<string>();
  readonly dstPorts = new Set<number>();

  constructor(readonly index: number) {}
}

/** One row of netflow_bucket_parts (a partition's share of a bucket). */
export interface NetflowPartRow {
  agent_id: string;
  interface: string;
  bucket_start_ns: string;
  bucket_ms: number;
  pkts_in: number;
  pkts_out: number;
  bytes_in: number;
  bytes_out: number;
  syn_count: number;
  fin_count: number;
  rst_count: number;
  udp_count: number;
  tcp_count: number;
  dns_query_count: number;
  tcp_new_flows: number;
  dst_ips: string[];
  dst_ports: number[];
}

export function netflowRow(agentId: string, iface: string, b: BucketAgg, grid: TimeGrid): NetflowPartRow {
  const ips: string[] = [];
  for (const a of b.dst4) ips.push(v4String(a));
  for (const h of b.dst6) ips.push(v6String(Buffer.from(h, 'hex')));
  return {
    agent_id: agentId,
    interface: iface,
    bucket_start_ns: grid.startString(b.index),
    bucket_ms: grid.sizeNs / 1e6,
    pkts_in: b.pktsIn,
    pkts_out: b.pktsOut,
    bytes_in: b.bytesIn,
    bytes_out: b.bytesOut,
    syn_count: b.syn,
    fin_count: b.fin,
    rst_count: b.rst,
    udp_count: b.udp,
    tcp_count: b.tcp,
    dns_query_count: b.dnsQueries,
    tcp_new_flows: b.tcpNewFlows,
    dst_ips: ips,
    dst_ports: [...b.dstPorts],
  };
}
