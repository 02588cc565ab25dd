/**
 * Pure-aggregation helpers for tests and the benchmark: build a
 * PartitionAggregator with given settings, and compute the figures the
 * aggregator must reproduce straight from the records (an independent
 * reference: whole-capture per-key statistics and per-bucket netflow).
 */
import { TimeGrid } from '../event-time.js';
import { FrameTypeIds, v6String } from '../flow-key.js';
import { IngestCounters, type AggregationParams } from '../capture-point.js';
import { PartitionAggregator } from '../partition-aggregator.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks, LocalNetworksByAgent } from '../local-networks.js';
import type { EnrichedBatch, EnrichedRecord } from '@streamlens/common';
import type { FlowRow } from '../flow-windows.js';
import { streamHealthParamsOf } from '../aggregation-params.js';

export interface HarnessSettings {
  windowMs?: number;
  bucketMs?: number;
  latenessMs?: number;
  k?: number;
  warmup?: number;
  flowTimeoutMs?: number;
  maxFutureSkewMs?: number;
  localNetworks?: readonly string[];
  /** Stream health on (default) or off, and its settings. */
  streamHealth?: boolean;
  streamSilenceMs?: number;
  ptpTolerance?: number;
  ptpResponseTimeoutMs?: number;
  maxStreams?: number;
  alertRules?: unknown;
}

export function aggregationParams(s: HarnessSettings = {}): AggregationParams {
  return {
    window: new TimeGrid((s.windowMs ?? 1000) * 1e6),
    bucket: new TimeGrid((s.bucketMs ?? 100) * 1e6),
    latenessNs: (s.latenessMs ?? 2000) * 1e6,
    outliers: { k: s.k ?? 3, warmup: s.warmup ?? 10 },
    flowTimeoutNs: (s.flowTimeoutMs ?? 3_600_000) * 1e6,
    health: streamHealthParamsOf({
      window: s.windowMs ?? 1000, lateness: s.latenessMs ?? 2000, streamHealth: s.streamHealth, streamSilence: s.streamSilenceMs,
      ptpTolerance: s.ptpTolerance, ptpResponseTimeout: s.ptpResponseTimeoutMs, maxStreams: s.maxStreams, alertRules: s.alertRules,
    }),
  };
}

export function newPartition(partition: number, s: HarnessSettings = {}, shared?: { ftIds: FrameTypeIds; counters: IngestCounters }): PartitionAggregator {
  return new PartitionAggregator(
    partition, aggregationParams(s), new LocalNetworksByAgent(s.localNetworks ?? DEFAULT_LOCAL_NETWORKS),
    shared?.ftIds ?? new FrameTypeIds(), shared?.counters ?? new IngestCounters(), { maxFutureSkewNs: (s.maxFutureSkewMs ?? 0) * 1e6 });
}

/** Identity of a flow key as text (the same for rows and for reference records). */
export function rowKey(r: Pick<FlowRow, 'agent_id' | 'interface' | 'frame_type' | 'src_ip' | 'dst_ip' | 'ip_proto' | 'src_port' | 'dst_port' | 'src_mac' | 'dst_mac' | 'ethertype'>): string {
  return [r.agent_id, r.interface, r.frame_type, r.src_ip, r.dst_ip, r.ip_proto, r.src_port, r.dst_port, r.src_mac, r.dst_mac, r.ethertype].join('|');
}

/** IPv4 as IPv4-mapped IPv6, IPv6 in the RFC 5952 form ClickHouse prints. */
function ipText(b: Buffer): string {
  if (b.length === 4) return `::ffff:${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  return v6String(b);
}

export function recordKey(agentId: string, iface: string, r: EnrichedRecord): string {
  const p = r.packet;
  const ip = p.ip_version !== 0 && (p.src_ip.length === 4 || p.src_ip.length === 16) && p.src_ip.length === p.dst_ip.length;
  return rowKey({
    agent_id: agentId, interface: iface, frame_type: r.frame_type,
    src_ip: ip ? ipText(p.src_ip) : '::', dst_ip: ip ? ipText(p.dst_ip) : '::',
    ip_proto: ip ? p.ip_proto : 0, src_port: ip ? p.src_port : 0, dst_port: ip ? p.dst_port : 0,
    src_mac: ip ? 0 : p.eth_src, dst_mac: ip ? 0 : p.eth_dst, ethertype: p.ethertype,
  });
}

export interface KeyReference {
  packets: number;
  bytes: number;
  iats: number[];
  /** Outliers by the seed's online rule (running sample std, one-sided). */
  outliers: number;
}

/** Whole-capture statistics per key straight from the batches (records in each key's arrival order). */
export function referenceByKey(batches: readonly EnrichedBatch[], k = 3, warmup = 10): Map<string, KeyReference> {
  const out = new Map<string, KeyReference & { last?: bigint; n: number; sum: number; sumsq: number }>();
  for (const b of batches) {
    for (const r of b.records) {
      const key = recordKey(b.agent_id, b.interface, r);
      let e = out.get(key);
      if (!e) out.set(key, (e = { packets: 0, bytes: 0, iats: [], outliers: 0, n: 0, sum: 0, sumsq: 0 }));
      const t = b.base_ts_ns + BigInt(r.packet.ts_offset_ns);
      e.packets += b.sample_rate;
      e.bytes += r.packet.wire_len * b.sample_rate;
      if (e.last !== undefined) {
        const iat = Number(t - e.last);
        if (iat >= 0) {
          // naive two-pass-free check: mean and sample std of the earlier iats
          if (e.n >= warmup && e.n >= 2) {
            const mean = e.sum / e.n;
            const std = Math.sqrt(Math.max(e.iats.reduce((s, x) => s + (x - mean) ** 2, 0) / (e.n - 1), 0));
            if (std > 0 && iat > mean + k * std) e.outliers++;
          }
          e.iats.push(iat);
          e.n++;
          e.sum += iat;
          e.last = t;
        }
      } else {
        e.last = t;
      }
    }
  }
  return out;
}

/** Sum window rows per key. */
export function sumRowsByKey(rows: readonly FlowRow[]): Map<string, { packets: number; bytes: number; iatCount: number; iatSum: number; iatSumSq: number; iatMin: number; iatMax: number; outliers: number; rows: number }> {
  const out = new Map<string, { packets: number; bytes: number; iatCount: number; iatSum: number; iatSumSq: number; iatMin: number; iatMax: number; outliers: number; rows: number }>();
  for (const r of rows) {
    const key = rowKey(r);
    let e = out.get(key);
    if (!e) out.set(key, (e = { packets: 0, bytes: 0, iatCount: 0, iatSum: 0, iatSumSq: 0, iatMin: Infinity, iatMax: 0, outliers: 0, rows: 0 }));
    e.packets += r.packets;
    e.bytes += r.bytes;
    e.iatCount += r.iat_count;
    e.iatSum += r.iat_sum_ns;
    e.iatSumSq += r.iat_sumsq_ns2;
    if (r.iat_count > 0) e.iatMin = Math.min(e.iatMin, r.iat_min_ns);
    e.iatMax = Math.max(e.iatMax, r.iat_max_ns);
    e.outliers += r.outliers;
    e.rows++;
  }
  return out;
}

export interface NetflowReference {
  pktsIn: number; pktsOut: number; bytesIn: number; bytesOut: number; syn: number; fin: number; rst: number;
  udp: number; tcp: number; dns: number; newFlows: number; dstIps: Set<string>; dstPorts: Set<number>;
}

/** Netflow buckets straight from the batches: key `agent|iface|bucket_start_ns`. */
export function referenceNetflow(batches: readonly EnrichedBatch[], bucketMs = 100, local: readonly string[] = DEFAULT_LOCAL_NETWORKS): Map<string, NetflowReference> {
  const nets = new LocalNetworks(local);
  const size = BigInt(bucketMs) * 1_000_000n;
  const out = new Map<string, NetflowReference>();
  for (const b of batches) {
    for (const r of b.records) {
      const p = r.packet;
      if (p.ip_version === 0 || !(p.src_ip.length === 4 || p.src_ip.length === 16) || p.src_ip.length !== p.dst_ip.length) continue;
      const t = b.base_ts_ns + BigInt(p.ts_offset_ns);
      const key = `${b.agent_id}|${b.interface}|${(t / size) * size}`;
      let e = out.get(key);
      if (!e) out.set(key, (e = { pktsIn: 0, pktsOut: 0, bytesIn: 0, bytesOut: 0, syn: 0, fin: 0, rst: 0, udp: 0, tcp: 0, dns: 0, newFlows: 0, dstIps: new Set(), dstPorts: new Set() }));
      const sr = b.sample_rate;
      if (nets.contains(p.src_ip)) { e.pktsOut += sr; e.bytesOut += p.wire_len * sr; } else { e.pktsIn += sr; e.bytesIn += p.wire_len * sr; }
      if (p.ip_proto === 6) {
        e.tcp += sr;
        if (p.tcp_flags & 2) e.syn += sr;
        if (p.tcp_flags & 1) e.fin += sr;
        if (p.tcp_flags & 4) e.rst += sr;
        if ((p.tcp_flags & 2) && !(p.tcp_flags & 0x10)) e.newFlows += sr;
      }
      if (p.ip_proto === 17) e.udp += sr;
      if (p.dns && !p.dns.is_response) e.dns += sr;
      e.dstIps.add(ipText(p.dst_ip));
      if (p.ip_proto === 6 || p.ip_proto === 17 || p.ip_proto === 132) e.dstPorts.add(p.dst_port);
    }
  }
  return out;
}
