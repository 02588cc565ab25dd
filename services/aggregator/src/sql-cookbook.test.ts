/**
 * Every example in docs/sql-cookbook.md but the stream-health ones, run on the embedded chDB engine and
 * on a ClickHouse server against data aggregated from a synthetic capture,
 * with its result checked against figures computed from the records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnrichedBatch, EnrichedRecord, SqlClient } from '@streamlens/common';
import { ChdbSqlClient } from '@streamlens/embedded';
import { testSqlClient, uniqueName } from '../../../test/harness/context.js';
import { LocalAggregator } from './local-aggregator.js';
import { LocalNetworks, LocalNetworksByAgent, DEFAULT_LOCAL_NETWORKS } from './local-networks.js';
import { aggregationParams, recordKey, referenceByKey } from './testing/aggregator-harness.js';
import { enrichedRecord, flightTestScenario, ip4, routeIntoBatches } from './testing/synthetic-traffic.js';
import { exportNetflow } from './netflow-export.js';
import { cookbookExamples, runCookbookExamples } from './testing/cookbook-examples.js';

const START = 1_732_000_000_000_000_000n;

// ---- the data -------------------------------------------------------------

const scenario = routeIntoBatches(flightTestScenario({ startNs: START, durationNs: 20_000_000_000n, backgroundFlows: 40, seed: 5 }),
  { agentId: 'ft-1', iface: 'eth0', partitions: 3, batchRecords: 100 });
/** A quiet capture point: three packets, at 0, 0.35 s and 1.2 s. */
const sparse: EnrichedBatch = {
  agent_id: 'lab-2', interface: 'eth1', link_type: 1, agent_run: 'r2', batch_seq: 0, base_ts_ns: START, sample_rate: 1,
  records: [0, 350_000_000, 1_200_000_000].map((off, i) => {
    const r = enrichedRecord({ frameType: 'UDP', protocols: ['eth', 'ipv4', 'udp'], wireLen: 100 + i, src: ip4('10.9.9.9'), dst: ip4(`8.8.8.${i + 1}`), sport: 5000, dport: 6000 + i });
    r.packet.ts_offset_ns = off;
    r.packet.frame_no = i + 1;
    return r;
  }),
};
const allBatches: EnrichedBatch[] = [...scenario.map((b) => b.batch), sparse];
const local = new LocalNetworks(DEFAULT_LOCAL_NETWORKS);

async function load(sql: SqlClient, database: string): Promise<void> {
  const agg = new LocalAggregator(sql, { database, params: aggregationParams(), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS), chunkRows: 200 });
  await agg.migrate();
  for (let i = 0; i < scenario.length; i++) {
    expect(agg.ingest(scenario[i].partition, scenario[i].batch as never)).toBeNull();
    if (i % 25 === 24) await agg.flush(); // epochs, as the service seals them
  }
  agg.ingest(7, sparse as never);
  await agg.flush({ final: true });
}

// ---- reference figures ------------------------------------------------------

function ipText(b: Buffer): string {
  if (b.length === 4) return `::ffff:${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  return recordKey('', '', { packet: { ip_version: 6, src_ip: b, dst_ip: b, ip_proto: 0, src_port: 0, dst_port: 0, eth_src: 0, eth_dst: 0, ethertype: 0 }, frame_type: '' } as unknown as EnrichedRecord).split('|')[3];
}

function each(fn: (b: EnrichedBatch, r: EnrichedRecord, tNs: bigint) => void): void {
  for (const b of allBatches) for (const r of b.records) fn(b, r, b.base_ts_ns + BigInt(r.packet.ts_offset_ns));
}

const isIp = (r: EnrichedRecord) => r.packet.ip_version !== 0;

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);

const CHECKS: Record<string, (rows: Row[]) => void> = {
  'top-talkers': (rows) => {
    const pairs = new Map<string, { bytes: number; packets: number }>();
    each((_b, r) => {
      const key = isIp(r) ? `${ipText(r.packet.src_ip)}|${ipText(r.packet.dst_ip)}` : '::|::';
      const e = pairs.get(key) ?? { bytes: 0, packets: 0 };
      e.bytes += r.packet.wire_len;
      e.packets++;
      pairs.set(key, e);
    });
    const want = [...pairs].map(([k, v]) => ({ src: k.split('|')[0], dst: k.split('|')[1], ...v }))
      .sort((a, b) => b.bytes - a.bytes || (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : 1)).slice(0, 10);
    expect(rows.map((r) => ({ src: r.src, dst: r.dst, bytes: n(r.bytes), packets: n(r.packets) }))).toEqual(want);
  },
  'ptp-sync-jitter': (rows) => {
    const ref = referenceByKey(allBatches);
    expect(rows.map((r) => r.clock)).toEqual(['00:50:C2:AA:00:01', '::ffff:10.0.0.1']);
    for (const r of rows) {
      expect(n(r.mean_ms)).toBeCloseTo(125, 1);
      expect(n(r.jitter)).toBeGreaterThan(0);
      expect(n(r.jitter)).toBeLessThan(0.001);
      expect(n(r.min_ms)).toBeLessThanOrEqual(n(r.mean_ms));
    }
    const udp = [...ref].find(([k]) => k.includes('|PTP-Sync|::ffff:10.0.0.1|'))![1];
    expect(n(rows[1].intervals)).toBe(udp.iats.length);
  },
  'iena-gaps': (rows) => {
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ src: '::ffff:192.168.28.8', dst: '::ffff:235.0.0.1', frame_type: 'IENA-D' });
    expect(n(rows[0].longest_gap_ms)).toBeGreaterThan(200);
    expect(n(rows[0].longest_gap_ms)).toBeLessThan(220);
    let ienaPackets = 0;
    each((_b, r) => { if (r.frame_type === 'IENA-D') ienaPackets++; });
    expect(n(rows[0].packets)).toBe(ienaPackets);
  },
  'iena-gap-times': (rows) => {
    expect(rows).toHaveLength(1);
    expect(n(rows[0].gap_ms)).toBeGreaterThan(200);
    expect(n(rows[0].sigma)).toBeGreaterThan(3);
    expect(String(rows[0].ts)).toMatch(/^2024-11-19 07:06:/);
  },
  'tmats-sightings': (rows) => {
    let count = 0;
    let first = 0n;
    each((_b, r, t) => { if (r.frame_type === 'TMATS') { count++; if (!first) first = t; } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ agent_id: 'ft-1', interface: 'eth0', recorder: '::ffff:192.168.1.68', dst: '::ffff:192.168.1.255', dst_port: 2000 });
    expect(n(rows[0].tmats_packets)).toBe(count);
    expect(String(rows[0].first_seen)).toMatch(/^2024-11-19 07:06:40\.00/);
  },
  'netflow-series': (rows) => {
    // buckets 0, 3 and 12 hold a packet each; WITH FILL adds the 10 empty ones between
    expect(rows.map((r) => n(r.pkts_out))).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(rows.map((r) => BigInt(String(r.bucket_start_ns)) - START)).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(i) * 100_000_000n));
    expect(rows.map((r) => n(r.pkts_in))).toEqual(new Array(13).fill(0));
    expect(rows.map((r) => n(r.bytes_out)).filter(Boolean)).toEqual([100, 101, 102]);
  },
  'tcp-connection-rate': (rows) => {
    const perSecond = new Map<bigint, number>();
    each((b, r, t) => {
      if (b.agent_id === 'ft-1' && r.packet.ip_proto === 6 && (r.packet.tcp_flags & 0x12) === 0x02) {
        const s = t / 1_000_000_000n;
        perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
      }
    });
    expect(rows.map((r) => n(r.new_connections))).toEqual([...perSecond].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v));
    expect(rows.reduce((s, r) => s + n(r.syns), 0)).toBeGreaterThanOrEqual(rows.reduce((s, r) => s + n(r.new_connections), 0));
  },
  'distinct-destinations': (rows) => {
    const perSecond = new Map<bigint, { ips: Set<string>; ports: Set<number> }>();
    each((b, r, t) => {
      if (b.agent_id !== 'ft-1' || !isIp(r)) return;
      const s = t / 1_000_000_000n;
      const e = perSecond.get(s) ?? { ips: new Set(), ports: new Set() };
      e.ips.add(r.packet.dst_ip.toString('hex'));
      if ([6, 17, 132].includes(r.packet.ip_proto)) e.ports.add(r.packet.dst_port);
      perSecond.set(s, e);
    });
    const want = [...perSecond].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => [e.ips.size, e.ports.size]);
    expect(rows.map((r) => [n(r.unique_dst_ips), n(r.unique_dst_ports)])).toEqual(want);
  },
  'in-out': (rows) => {
    const per = new Map<string, number[]>();
    each((b, r) => {
      if (!isIp(r)) return;
      const k = `${b.agent_id}|${b.interface}`;
      const e = per.get(k) ?? [0, 0, 0, 0];
      const out = local.contains(r.packet.src_ip);
      e[out ? 1 : 0]++;
      e[out ? 3 : 2] += r.packet.wire_len;
      per.set(k, e);
    });
    expect(rows.map((r) => [`${r.agent_id}|${r.interface}`, n(r.pkts_in), n(r.pkts_out), n(r.bytes_in), n(r.bytes_out)]))
      .toEqual([...per].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, ...v]));
  },
  'frame-types': (rows) => {
    const per = new Map<string, number>();
    each((b, r) => { if (b.agent_id === 'ft-1') per.set(r.frame_type, (per.get(r.frame_type) ?? 0) + 1); });
    expect(new Map(rows.map((r) => [String(r.frame_type), n(r.packets)]))).toEqual(per);
    for (let i = 1; i < rows.length; i++) expect(n(rows[i - 1].packets)).toBeGreaterThanOrEqual(n(rows[i].packets));
  },
  'outlier-rule': (rows) => {
    const ref = referenceByKey(allBatches);
    const total = [...ref.values()].reduce((s, r) => s + r.outliers, 0);
    expect(rows.reduce((s, r) => s + n(r.outliers), 0)).toBe(total);
    expect(rows.some((r) => r.frame_type === 'IENA-D' && n(r.outliers) === 1)).toBe(true);
    for (const r of rows) expect(n(r.threshold_ms)).toBeGreaterThan(n(r.mean_ms));
  },
  'irregular-streams': (rows) => {
    const ref = referenceByKey(allBatches);
    const want = new Set<string>();
    for (const [key, r] of ref) {
      if (r.iats.length < 50) continue;
      const mean = r.iats.reduce((a, b) => a + b, 0) / r.iats.length;
      const std = Math.sqrt(r.iats.reduce((a, x) => a + (x - mean) ** 2, 0) / r.iats.length);
      if (std / mean > 0.01) want.add(key.split('|')[2]);
    }
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => String(r.frame_type)))).toEqual(want);
    for (const r of rows) expect(n(r.jitter)).toBeGreaterThan(0.01);
  },
  layer2: (rows) => {
    let gptp = 0;
    let arp = 0;
    each((_b, r) => { if (!isIp(r)) (r.frame_type === 'ARP' ? arp++ : gptp++); });
    expect(rows.map((r) => [r.src, r.dst, r.type, r.frame_type, n(r.packets)])).toEqual([
      ['00:50:C2:AA:00:01', '01:80:C2:00:00:0E', '88F7', 'PTP-Sync', gptp],
      ['02:00:00:00:00:10', 'FF:FF:FF:FF:FF:FF', '0806', 'ARP', arp],
    ].sort((a, b) => (b[4] as number) - (a[4] as number)));
  },
  'per-minute': (rows) => {
    const per = new Map<string, number>();
    each((b, r) => { if (b.agent_id === 'ft-1') per.set(r.frame_type, (per.get(r.frame_type) ?? 0) + 1); });
    const got = new Map<string, number>();
    for (const r of rows) {
      expect(String(r.minute)).toMatch(/:00$/);
      got.set(String(r.frame_type), (got.get(String(r.frame_type)) ?? 0) + n(r.packets));
    }
    for (const [ft, packets] of got) expect(packets, ft).toBe(per.get(ft));
    expect(got.size).toBeGreaterThan(5);
  },
};

// ---- the runs ---------------------------------------------------------------

async function runAll(sql: SqlClient, db: string): Promise<void> {
  // the stream-health examples run on their own data (sql-cookbook-health.test.ts)
  const examples = cookbookExamples().filter((e) => !e.id.startsWith('health-'));
  expect(examples.length).toBeGreaterThanOrEqual(10);
  await runCookbookExamples(sql, db, examples, CHECKS);
}

describe('SQL cookbook', () => {
  const server = testSqlClient();
  const dbs: string[] = [];
  afterAll(async () => {
    for (const db of dbs) await server.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
    await server.close();
  });

  it('every example runs on a ClickHouse server and gives the reference result', async () => {
    const db = uniqueName('cookbook');
    dbs.push(db);
    await load(server, db);
    await runAll(server, db);
    // netflow export writes the same filled series as example 6, as JSON lines
    const lines: string[] = [];
    await exportNetflow(server, { database: db, bucketMs: 100, agentId: 'lab-2' }, { write: (l) => { lines.push(l); } });
    expect(lines.map((l) => JSON.parse(l) as Record<string, number>).map((r) => r.pkts_out)).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  }, 120_000);

  it('every example runs on the embedded chDB engine and gives the same result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-cookbook-'));
    const store = new ChdbSqlClient(dir);
    try {
      await load(store, 'streamlens');
      await runAll(store, 'streamlens');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
