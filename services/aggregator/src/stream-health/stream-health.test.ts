/**
 * Stream health against a generated capture with known truth (test/generators:
 * written without the aggregator's code, dissected by the real dissector):
 * every stream_health row, PTP event, TMATS sighting and alert matches, for
 * any partition count and seal cadence, and across checkpoint restores at
 * every seal (the state of a crash-and-restart).
 */
import { describe, expect, it } from 'vitest';
import { telemetryCapture, expectedAlerts } from '../../../../test/generators/telemetry-streams.js';
import { enrichedBatchesOf, type RoutedEnrichedBatch } from '../../../../test/generators/telemetry-batches.js';
import { compareAlerts, compareEvents, compareHealthRows, compareSightings, ruleConfig, TEST_RULES } from '../../../../test/generators/telemetry-truth.js';
import { newPartition } from '../testing/aggregator-harness.js';
import { enrichedRecord, ip4 } from '../testing/synthetic-traffic.js';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint-format.js';
import { FrameTypeIds } from '../flow-key.js';
import { IngestCounters } from '../capture-point.js';
import type { PartitionAggregator, SealedEpoch } from '../partition-aggregator.js';

const cap = telemetryCapture();
const settings = { alertRules: ruleConfig() };

interface Out { health: Record<string, unknown>[]; events: Record<string, unknown>[]; tmats: Record<string, unknown>[]; alerts: Record<string, unknown>[] }

function collect(out: Out, e: SealedEpoch): void {
  out.health.push(...e.health.objects());
  out.events.push(...(e.ptpEvents as never[]));
  out.tmats.push(...(e.tmats as never[]));
  out.alerts.push(...(e.alerts as never[]));
}

/** Aggregate the batches on `partitions` partitions, sealing every `sealEvery` messages; `restoreEachSeal` checkpoints and restores. */
function aggregate(batches: RoutedEnrichedBatch[], partitions: number, sealEvery: number, restoreEachSeal = false): Out {
  const out: Out = { health: [], events: [], tmats: [], alerts: [] };
  const shared = { ftIds: new FrameTypeIds(), counters: new IngestCounters() };
  const pas = new Map<number, PartitionAggregator>();
  const pa = (p: number) => {
    let x = pas.get(p);
    if (!x) pas.set(p, (x = newPartition(p, settings, shared)));
    return x;
  };
  const offsets = new Map<number, number>();
  batches.forEach((b, i) => {
    const off = offsets.get(b.partition) ?? 0;
    offsets.set(b.partition, off + 1);
    expect(pa(b.partition).ingestBatch(b.batch as never, off, 0, 0)).toBeNull();
    if ((i + 1) % sealEvery === 0) {
      for (const [p, x] of pas) {
        collect(out, x.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 1e9 }));
        if (restoreEachSeal) {
          const state = encodeCheckpoint(x, `cp-${p}-${x.epoch}`);
          const fresh = newPartition(p, settings, shared);
          decodeCheckpoint(state, fresh, shared.ftIds);
          // the restored state encodes to the same bytes
          expect(encodeCheckpoint(fresh, `cp-${p}-${x.epoch}`).equals(state)).toBe(true);
          pas.set(p, fresh);
        }
      }
    }
  });
  for (const x of pas.values()) collect(out, x.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 1e9, closeAll: true }));
  void partitions;
  return out;
}

function check(out: Out): void {
  compareHealthRows(cap, out.health);
  compareEvents(cap, out.events);
  compareSightings(cap, out.tmats);
  compareAlerts(expectedAlerts(cap, TEST_RULES), out.alerts);
}

describe('stream health on a generated capture with known truth', () => {
  const b4 = enrichedBatchesOf(cap.frames, { agentId: cap.agentId, iface: 'eth0', partitions: 4, batchRecords: 64 });

  it('every row, event, sighting and alert matches the truth (4 partitions)', () => {
    const out = aggregate(b4, 4, 9);
    check(out);
    // the scenario exercises what it claims to
    const sum = (col: string) => out.health.reduce((s, r) => s + Number(r[col]), 0);
    expect(sum('lost')).toBeGreaterThan(10);
    expect(sum('duplicates')).toBe(3);
    expect(sum('out_of_order')).toBe(4);
    expect(sum('restarts')).toBe(1);
    expect(out.alerts.length).toBeGreaterThan(8);
    expect(out.events.map((e) => e.event)).toContain('gm_change');
  });

  it('does not depend on the partition count or on when epochs are sealed', () => {
    for (const [partitions, sealEvery, batchRecords] of [[1, 3, 500], [7, 50, 17]]) {
      const batches = enrichedBatchesOf(cap.frames, { agentId: cap.agentId, iface: 'eth0', partitions, batchRecords });
      check(aggregate(batches, partitions, sealEvery));
    }
  });

  it('continues exactly after a checkpoint restore at every seal', () => {
    check(aggregate(b4, 4, 5, true));
  });
});

describe('stream health edge cases', () => {
  const ienaRec = (seq: number, offsetNs: number) => {
    const r = enrichedRecord({ frameType: 'IENA-D', protocols: ['eth', 'ipv4', 'udp', 'iena'], wireLen: 100, src: ip4('10.1.1.1'), dst: ip4('235.0.0.9'), sport: 5000, dport: 5000 });
    r.iena = { key: 7, size_words: 8, time_us: 0, key_status: 0, n2_status: 0, sequence: seq, type: 'D', type_source: 'heuristic', type_candidates: [], trailer: 0xdead, param_count: 0, params: [] };
    r.packet.ts_offset_ns = offsetNs;
    return r;
  };
  const batch = (records: ReturnType<typeof ienaRec>[], sampleRate = 1) => ({
    agent_id: 'a', interface: 'i', link_type: 1, agent_run: 'r', batch_seq: 0, base_ts_ns: 1_732_000_010_000_000_000n, sample_rate: sampleRate, records,
  });
  /** A sum over stream_health rows (decoded as ClickHouse's JSON gives them: UInt64 as text). */
  const sum = (rows: Record<string, unknown>[], col: string) => rows.reduce((n, r) => n + Number(r[col]), 0);
  const totals = (e: SealedEpoch) => {
    const rows = e.health.objects();
    return { packets: sum(rows, 'packets'), lost: sum(rows, 'lost'), restarts: sum(rows, 'restarts') };
  };

  it('a record too late for the flows still counts in its stream: no false loss when timestamps jump back', () => {
    const pa = newPartition(0);
    const recs = Array.from({ length: 400 }, (_, i) => ienaRec(i, i * 10_000_000));
    recs[300].packet.ts_offset_ns = 0; // stamped 3 s back: behind the watermark
    const rejected = pa.ingestBatch(batch(recs) as never, 0, 0, 0);
    expect(rejected).toEqual([{ index: 300, reason: 'late' }]);
    const e = pa.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 100, closeAll: true });
    expect(totals(e)).toEqual({ packets: 400, lost: 0, restarts: 0 });
    expect(e.flows.reduce((n, r) => n + r.packets, 0)).toBe(399);
  });

  it('a late record counts in the window of the watermark it arrived behind, not of its own stamp', () => {
    const pa = newPartition(0);
    // 5.00-8.99 s after the batch's base, one every 10 ms; the 301st stamped at 0 s, when the watermark is at 5.99 s
    const recs = Array.from({ length: 400 }, (_, i) => ienaRec(i, 5_000_000_000 + i * 10_000_000));
    recs[300].packet.ts_offset_ns = 0;
    expect(pa.ingestBatch(batch(recs) as never, 0, 0, 0)).toEqual([{ index: 300, reason: 'late' }]);
    const rows = pa.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 100, closeAll: true }).health.objects();
    const base = 1_732_000_010n * 1_000_000_000n;
    expect(rows.map((r) => [BigInt(r.window_start_ns as string) - base, r.packets, r.lost])).toEqual([
      [5_000_000_000n, '101', '0'], [6_000_000_000n, '100', '0'], [7_000_000_000n, '100', '0'], [8_000_000_000n, '99', '0'],
    ]);
  });

  it('rows of one window come out in the streams\' order, whatever order they arrived in (a replay cuts the same blocks)', () => {
    const rec = (src: string, key: number, offsetNs: number) => {
      const r = ienaRec(1, offsetNs);
      r.packet.src_ip = ip4(src);
      r.iena!.key = key;
      return r;
    };
    const streams: [string, number][] = [['10.1.1.2', 7], ['10.1.1.1', 9], ['10.1.1.1', 7], ['192.168.0.1', 1]];
    const order = (arrival: [string, number][]) => {
      const pa = newPartition(0, {});
      pa.ingestBatch(batch(arrival.map(([src, key], i) => rec(src, key, i * 1000))) as never, 0, 0, 0);
      return pa.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 100, closeAll: true }).health.objects().map((r) => `${r.src_ip}/${r.stream_id}`);
    };
    const want = ['::ffff:10.1.1.1/7', '::ffff:10.1.1.1/9', '::ffff:10.1.1.2/7', '::ffff:192.168.0.1/1'];
    expect(order(streams)).toEqual(want);
    expect(order([...streams].reverse())).toEqual(want);
  });

  it('sampled batches are not tracked (sequence continuity needs every packet)', () => {
    const shared = { ftIds: new FrameTypeIds(), counters: new IngestCounters() };
    const pa = newPartition(0, {}, shared);
    pa.ingestBatch(batch([0, 5, 10].map((s, i) => ienaRec(s, i * 1_000_000)), 5) as never, 0, 0, 0);
    const e = pa.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 100, closeAll: true });
    expect(e.health.length).toBe(0);
    expect(shared.counters.health.sampledSkipped).toBe(3);
  });

  it('beyond the stream cap the least recently seen streams are flushed early, nothing counted twice', () => {
    const shared = { ftIds: new FrameTypeIds(), counters: new IngestCounters() };
    const pa = newPartition(0, { maxStreams: 100 }, shared);
    const keyRec = (key: number, seq: number, off: number) => {
      const r = ienaRec(seq, off);
      r.iena!.key = key;
      return r;
    };
    const rows: Record<string, unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      pa.ingestBatch(batch(Array.from({ length: 150 }, (_, k) => keyRec(k, round, round * 1_000_000 + k))) as never, round, 0, 0);
      rows.push(...pa.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 1e6 }).health.objects());
    }
    rows.push(...pa.seal({ nowMs: 0, idleTimeoutMs: 0, maxKeys: 1e6, closeAll: true }).health.objects());
    expect(pa.streamCount).toBeLessThanOrEqual(100);
    expect(shared.counters.health.streamsEvicted).toBeGreaterThan(0);
    expect(sum(rows, 'packets')).toBe(450);
    expect(sum(rows, 'lost')).toBe(0);
  });
});
