/**
 * The stream-health examples of docs/sql-cookbook.md (ids `health-*`), run on
 * the embedded chDB engine and on a ClickHouse server against the generated
 * flight-test capture (test/generators/telemetry-streams.ts), each result
 * checked against the capture's truth: what every packet must count as,
 * decided without any of the aggregator's code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '@streamlens/common';
import { ChdbSqlClient } from '@streamlens/embedded';
import { testSqlClient, uniqueName } from '../../../test/harness/context.js';
import { telemetryCapture, TELEMETRY_START_NS, type ExpectedWindow, type TelemetryCapture } from '../../../test/generators/telemetry-streams.js';
import { enrichedBatchesOf } from '../../../test/generators/telemetry-batches.js';
import { LocalAggregator } from './local-aggregator.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworksByAgent } from './local-networks.js';
import { cookbookExamples, runCookbookExamples } from './testing/cookbook-examples.js';
import { aggregationParams } from './testing/aggregator-harness.js';

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);
const AGENTS = ['tlm-1', 'tlm-2'];
/** The time range of example health-loss-ranked: the first 20 s of the capture. */
const RANGE_START = TELEMETRY_START_NS;
const RANGE_END = TELEMETRY_START_NS + 20_000_000_000n;

const cap = telemetryCapture();
const batches = AGENTS.flatMap((agentId) => enrichedBatchesOf(cap.frames, { agentId, iface: 'eth0', partitions: 4, batchRecords: 50 }));

async function load(sql: SqlClient, database: string): Promise<void> {
  const agg = new LocalAggregator(sql, { database, params: aggregationParams(), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS), chunkRows: 500 });
  await agg.migrate();
  for (let i = 0; i < batches.length; i++) {
    expect(agg.ingest(batches[i].partition, batches[i].batch as never)).toBeNull();
    if (i % 40 === 39) await agg.flush();
  }
  await agg.flush({ final: true });
}

// ---- the truth, per stream ----------------------------------------------------

interface StreamFields {
  kind: string; src: string; dst: string; stream_id: number; domain: number; clock_id: string; port_number: number; message_type: string; keyed_by: string;
}

function fieldsOf(key: string): StreamFields {
  const [kind, src, dst, id, domain, clock, port, type, keyedBy] = key.split('|');
  return { kind, src, dst, stream_id: Number(id), domain: Number(domain), clock_id: clock, port_number: Number(port), message_type: type, keyed_by: keyedBy };
}

function windowsOf(c: TelemetryCapture, from = 0n, to = 1n << 62n): { key: string; f: StreamFields; w: ExpectedWindow[] }[] {
  return [...c.streams].map(([key, s]) => ({ key, f: fieldsOf(key), w: [...s.windows].filter(([ws]) => ws >= from && ws < to).map(([, w]) => w) }));
}

const sum = (ws: ExpectedWindow[], pick: (w: ExpectedWindow) => number) => ws.reduce((a, w) => a + pick(w), 0);

const CHECKS: Record<string, (rows: Row[]) => void> = {
  'health-loss-ranked': (rows) => {
    const want = windowsOf(cap, RANGE_START, RANGE_END).flatMap(({ f, w }) => {
      const packets = sum(w, (x) => x.packets);
      const netLost = Math.max(sum(w, (x) => x.lost) - sum(w, (x) => x.out_of_order), 0);
      const dups = sum(w, (x) => x.duplicates);
      if (netLost === 0) return [];
      return AGENTS.map((agent) => ({
        stream: `${agent}|${f.kind}|${f.src}|${f.dst}|${f.stream_id}|${f.clock_id}|${f.message_type}`,
        packets, net_lost: netLost, restarts: sum(w, (x) => x.restarts), loss_rate: Math.round((netLost / (packets - dups + netLost)) * 1e4) / 1e4,
      }));
    });
    // the capture's loss lies in several kinds of stream, and some of it after the range (which must not count)
    expect(new Set(want.map((w) => w.stream.split('|')[1])).size).toBeGreaterThanOrEqual(2);
    const whole = windowsOf(cap).filter(({ w }) => sum(w, (x) => x.lost) > 0).length;
    expect(whole * AGENTS.length).toBeGreaterThan(want.length);
    const got = rows.map((r) => ({
      stream: `${r.agent_id}|${r.kind}|${r.src}|${r.dst}|${n(r.stream_id)}|${r.clock_id}|${r.message_type}`,
      packets: n(r.packets), net_lost: n(r.net_lost), restarts: n(r.restarts), loss_rate: n(r.loss_rate),
    }));
    const byStream = (a: { stream: string }, b: { stream: string }) => (a.stream < b.stream ? -1 : 1);
    expect([...got].sort(byStream)).toEqual([...want].sort(byStream));
    for (let i = 1; i < got.length; i++) expect(got[i].loss_rate).toBeLessThanOrEqual(got[i - 1].loss_rate);
  },
  'health-sync-off-tolerance': (rows) => {
    const want = windowsOf(cap).filter(({ f, w }) => f.kind === 'ptp' && f.message_type === 'Sync' && sum(w, (x) => x.off_tolerance) > 0)
      .flatMap(({ f, w }) => AGENTS.map((agent) => ({
        clock: `${agent}|${f.domain}|${f.clock_id}|${f.port_number}`, intervals: sum(w, (x) => x.intervals.length), off_tolerance: sum(w, (x) => x.off_tolerance),
        min_ms: Math.round(Math.min(...w.flatMap((x) => x.intervals)) / 1e3) / 1e3, max_ms: Math.round(Math.max(...w.flatMap((x) => x.intervals)) / 1e3) / 1e3,
      })));
    expect(want.length).toBeGreaterThan(0);
    const got = rows.map((r) => ({
      clock: `${r.agent_id}|${n(r.domain)}|${r.clock_id}|${n(r.port_number)}`, intervals: n(r.intervals), off_tolerance: n(r.off_tolerance),
      min_ms: n(r.min_ms), max_ms: n(r.max_ms),
    }));
    const by = (a: { clock: string }, b: { clock: string }) => (a.clock < b.clock ? -1 : 1);
    expect([...got].sort(by)).toEqual([...want].sort(by));
    for (const r of rows) {
      expect(n(r.off_rate)).toBeCloseTo(n(r.off_tolerance) / n(r.intervals), 4);
      expect(n(r.advertised_ms)).toBeGreaterThan(0);
    }
  },
  'health-grandmasters': (rows) => {
    const want = cap.events.filter((e) => e.event === 'gm_seen' || e.event === 'gm_change')
      .flatMap((e) => AGENTS.map((agent) => `${agent}|${e.domain}|${e.event}|${e.old_value}|${e.new_value}|${e.clock_id}|${e.detail}`)).sort();
    expect(want.some((w) => w.includes('|gm_change|'))).toBe(true);
    expect(rows.map((r) => `${r.agent_id}|${n(r.domain)}|${r.event}|${r.previous_grandmaster}|${r.grandmaster}|${r.announced_by}|${r.detail}`).sort()).toEqual(want);
    const times = rows.map((r) => String(r.ts));
    expect(times).toEqual([...times].sort());
  },
  'health-iena-silent': (rows) => {
    const streams = windowsOf(cap);
    const endNs = streams.reduce((m, { w }) => w.reduce((mm, x) => (x.last_ts_ns > mm ? x.last_ts_ns : mm), m), 0n);
    const want = streams.filter(({ f }) => f.kind === 'iena').flatMap(({ f, w }) => {
      const last = w.reduce((m, x) => (x.last_ts_ns > m ? x.last_ts_ns : m), 0n);
      const silences = sum(w, (x) => x.silences);
      if (!(endNs - last > 2_000_000_000n || silences > 0)) return [];
      return AGENTS.map((agent) => ({
        key: `${agent}|${f.src}|${f.dst}|0x${f.stream_id.toString(16).toUpperCase().padStart(4, '0')}`, silent_for_s: Math.round(Number(endNs - last) / 1e6) / 1e3, outages: silences,
      }));
    });
    // the generated IENA source pauses and reboots: at least that key is listed
    expect(want.length).toBeGreaterThan(0);
    const got = rows.map((r) => ({ key: `${r.agent_id}|${r.src}|${r.dst}|${r.iena_key}`, silent_for_s: n(r.silent_for_s), outages: n(r.outages_before) }));
    const by = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
    expect([...got].sort(by)).toEqual([...want].sort(by));
  },
};

async function runAll(sql: SqlClient, db: string): Promise<void> {
  const examples = cookbookExamples().filter((e) => e.id.startsWith('health-'));
  await runCookbookExamples(sql, db, examples, CHECKS);
}

describe('SQL cookbook: stream health', () => {
  const server = testSqlClient();
  const dbs: string[] = [];
  afterAll(async () => {
    for (const db of dbs) await server.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
    await server.close();
  });

  it('every stream-health example runs on a ClickHouse server and gives the generated truth', async () => {
    const db = uniqueName('cookbookhealth');
    dbs.push(db);
    await load(server, db);
    await runAll(server, db);
  }, 180_000);

  it('every stream-health example runs on the embedded chDB engine and gives the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-cookbook-health-'));
    const store = new ChdbSqlClient(dir);
    try {
      await load(store, 'streamlens');
      await runAll(store, 'streamlens');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
