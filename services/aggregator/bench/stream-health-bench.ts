/**
 * npm run bench:stream-health: what stream-health tracking costs the
 * aggregator, on a stream where half the records are telemetry (IENA,
 * Chapter 10, PTP) with real integrity fields. The reference is the same
 * aggregator with stream health off (--no-stream-health: no tracking, and
 * the decoder skips the integrity fields), on the same messages, in the same
 * invocation, measured alternately (on, off, off, on, ...) so load on the
 * machine hits both alike, each in a child process of its own (one process
 * would share the JIT's type feedback between the two settings).
 *
 *   0. decode + aggregate + seal (rows built, not sent): CPU time, best and
 *      median of --passes per setting, each child measuring after --warmup
 *      passes (8: until the JIT is done, as in an aggregator that runs for hours); then (0b) --pairs rounds with an on
 *      and an off child at the same time, one per CPU: the median of the
 *      pairs' ratios is the least noisy figure on a machine whose speed drifts
 *   1. core into a real ClickHouse server (decode + aggregate + INSERT of
 *      every table, stream_health and ptp_events included): wall clock and
 *      CPU time, best of --core-runs per setting, after the same warm-up
 *      passes (without ClickHouse) and --core-warmup runs into ClickHouse (1)
 *   2. the AggregatorService consuming the same messages from a real Kafka
 *      topic (written once) as a new group into a new database: epochs,
 *      intents, checkpoints, inserts and commits; records/s wall and CPU
 *      from the first message consumed to the last, median of
 *      --service-runs children per setting (3), alternating
 *
 * Input (cached under .bench/): the generated flight-test capture of the
 * stream-health tests (test/generators/telemetry-streams.ts: IENA with gaps,
 * a wrap and a reboot, Chapter 10 with segmented TMATS and a transfer
 * sequence, two-step PTP with Delay and Pdelay exchanges and a grandmaster
 * switch), decoded by the capture agent's decoder and dissected by the
 * Dissector, copied for as many capture points as needed (each copy in its
 * own 31 s slot), and as many records again of the aggregator benchmark's
 * flight-test mix (short TCP sessions, DNS, ARP, ...; no integrity fields),
 * all routed into partitions as the dissector routes and ordered by time.
 *
 * Options: --records N (1000000), --telemetry SHARE (0.5), --rate F (1), --partitions N
 * (8), --batch N (1000), --passes N (5), --pairs N (6), --warmup N (8), --core-runs N (2), --core-warmup N (1),
 * --service-runs N (3), --no-kafka (no stage 2), --no-clickhouse (no stages 1 and 2), --no-pin
 * (children are pinned to CPU 1 with taskset unless this is given);
 * --child aggregate|core|service --setting on|off runs one measurement (node --cpu-prof
 * with it profiles one setting).
 *
 * --instructions counts instead of timing (valgrind, instruction-counts.ts):
 * the children `aggregate` at --warmup 2 and 3 and `core` at 2, per setting,
 * two at a time; one aggregation pass is the difference of the first two,
 * the core run `core` - `aggregate` + two passes. ~15 minutes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, migrate, SCHEMA_NAMES, ServerSqlClient, type EnrichedBatch } from '@streamlens/common';
import { startClickHouse, startKafka } from '@streamlens/local-infra';
import {
  DEFAULT_LOCAL_NETWORKS, EnrichedDecoder, LocalAggregator, LocalNetworksByAgent,
} from '@streamlens/aggregator';
import { aggregationParams, benchAggregatorService, createTopics, flightTestScenario, publishEncoded, routeIntoBatches } from '@streamlens/aggregator/testing';
import { enrichedBatchesOf } from '../../../test/generators/telemetry-batches.js';
import { telemetryCapture, TELEMETRY_START_NS } from '../../../test/generators/telemetry-streams.js';
import { countInstructions, requireValgrind } from '@streamlens/common/testing';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const RECORDS = Number(arg('records', '1000000'));
const SHARE = Number(arg('telemetry', '0.5'));
const PARTITIONS = Number(arg('partitions', '8'));
const BATCH = Number(arg('batch', '1000'));
const PASSES = Number(arg('passes', '5'));
const CORE_RUNS = Number(arg('core-runs', '2'));
/** Runs into ClickHouse a `core` child makes (each into a database of its own) before the measured one. */
const CORE_WARMUP = Number(arg('core-warmup', '1'));
/** Simultaneous on/off pairs of stage 0 (0: none). */
const PAIRS = Number(arg('pairs', '6'));
/** Runs per setting of stage 2, the AggregatorService consuming the messages from a real Kafka topic (0: none). */
const SERVICE_RUNS = Number(arg('service-runs', '3'));
const BENCH_DIR = resolve(process.env.STREAMLENS_BENCH_DIR ?? '.bench');
/**
 * --rate F: the generated capture's timeline compressed F times (its streams F
 * times denser: IENA keys at ~F x 10 packets/s, PTP Sync at F Hz). The test
 * capture itself (F = 1) is sparse, so per-window work (rows, windows, TMATS)
 * weighs far more per record than with instrumentation at flight-test rates.
 */
const RATE = Number(arg('rate', '1'));
const SLOT_NS = 31_000_000_000n / BigInt(RATE);
const fmt = (n: number) => Math.round(n).toLocaleString('en');

interface Workload {
  records: number;
  telemetry: number;
  messages: { partition: number; value: Buffer }[];
}

const hasIntegrity = (b: EnrichedBatch) => b.records.reduce((n, r) => n + (r.iena !== null || r.ch10 !== null || r.ptp !== null ? 1 : 0), 0);

function generate(path: string): void {
  const cap = telemetryCapture();
  const wantTelemetry = Math.round(RECORDS * SHARE);
  const copies = Math.max(1, Math.ceil(wantTelemetry / cap.frames.length));
  const routed: { partition: number; batch: EnrichedBatch; t: bigint }[] = [];
  let telemetry = 0;
  for (let k = 0; k < copies && telemetry < wantTelemetry; k++) {
    const off = BigInt(k) * SLOT_NS;
    const frames = cap.frames.map((f) => ({ tsNs: TELEMETRY_START_NS + (f.tsNs - TELEMETRY_START_NS) / BigInt(RATE) + off, data: f.data }));
    for (const r of enrichedBatchesOf(frames, { agentId: `tlm-${k + 1}`, iface: 'eth0', partitions: PARTITIONS, batchRecords: Math.max(1, BATCH >> 3) })) {
      if (telemetry >= wantTelemetry) break;
      telemetry += r.batch.records.length;
      routed.push({ ...r, t: r.batch.base_ts_ns });
    }
  }
  const rest = RECORDS - telemetry;
  const durationNs = BigInt(copies) * SLOT_NS;
  const seconds = Number(durationNs / 1_000_000_000n);
  // sessions average ~25 packets and the mix's periodic streams add ~250 records/s; ask for more and cut
  const flows = Math.max(1, Math.ceil(rest / 20));
  const other = flightTestScenario({ startNs: TELEMETRY_START_NS, durationNs, backgroundFlows: flows, seed: 11 }).slice(0, rest);
  for (const r of routeIntoBatches(other, { agentId: 'bench-1', iface: 'eth0', partitions: PARTITIONS, batchRecords: BATCH })) routed.push({ ...r, t: r.batch.base_ts_ns });
  routed.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  const codec = AvroCodec.forStreamLens();
  const parts: Buffer[] = [];
  let withIntegrity = 0;
  for (const r of routed) {
    withIntegrity += hasIntegrity(r.batch);
    const v = codec.encode(SCHEMA_NAMES.enrichedBatch, r.batch);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.partition, 0);
    h.writeUInt32LE(r.batch.records.length, 4);
    h.writeUInt32LE(v.length, 8);
    h.writeUInt32LE(hasIntegrity(r.batch), 12);
    parts.push(h, v);
  }
  mkdirSync(BENCH_DIR, { recursive: true });
  writeFileSync(`${path}.tmp`, Buffer.concat(parts));
  renameSync(`${path}.tmp`, path);
  console.log(`generated ${fmt(telemetry + other.length)} records (${copies} copies of the ${fmt(cap.frames.length)}-frame telemetry capture, ` +
    `${fmt(withIntegrity)} records with integrity fields) in ${fmt(routed.length)} messages -> ${path}`);
}

function load(path: string): Workload {
  const buf = readFileSync(path);
  const messages: { partition: number; value: Buffer }[] = [];
  let records = 0;
  let telemetry = 0;
  for (let pos = 0; pos < buf.length;) {
    const partition = buf.readUInt32LE(pos);
    records += buf.readUInt32LE(pos + 4);
    const len = buf.readUInt32LE(pos + 8);
    telemetry += buf.readUInt32LE(pos + 12);
    messages.push({ partition, value: buf.subarray(pos + 16, pos + 16 + len) });
    pos += 16 + len;
  }
  return { records, telemetry, messages };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

const SEAL_EVERY = 100_000;

function newAggregator(sql: ServerSqlClient | null, database: string, health: boolean): { agg: LocalAggregator; decoder: EnrichedDecoder } {
  return {
    agg: new LocalAggregator(sql as never, {
      database, params: aggregationParams({ streamHealth: health }), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS), concurrency: 4,
    }),
    decoder: new EnrichedDecoder({ streamHealth: health }),
  };
}

/** Decode + aggregate + seal, CPU seconds; throws if a record was refused (the comparison would be unfair). */
function aggregateOnce(w: Workload, health: boolean): { cpu: number; healthRows: number } {
  const { agg, decoder } = newAggregator(null, 'unused', health);
  const cpu0 = process.cpuUsage();
  let since = 0;
  let healthRows = 0;
  let refused = 0;
  for (const m of w.messages) {
    const batch = decoder.decodeReused(m.value);
    refused += agg.ingest(m.partition, batch, 0, 0)?.length ?? 0;
    since += batch.records.length;
    if (since >= SEAL_EVERY) {
      for (const e of agg.seal({ nowMs: 0 })) healthRows += e.health.length;
      since = 0;
    }
  }
  for (const e of agg.seal({ nowMs: 0, final: true })) healthRows += e.health.length;
  const cpu = cpuSeconds(cpu0);
  if (refused > 0) throw new Error(`${refused} records refused (late or invalid): the workload is not what it should be`);
  return { cpu, healthRows };
}

async function coreOnce(w: Workload, sql: ServerSqlClient, health: boolean): Promise<{ seconds: number; cpu: number; rows: number; healthRows: number }> {
  const database = `bench_health_${health ? 'on' : 'off'}_${Date.now()}`;
  await migrate(sql, database);
  const { agg, decoder } = newAggregator(sql, database, health);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let rows = 0;
  let healthRows = 0;
  const add = (f: Awaited<ReturnType<LocalAggregator['flush']>>) => {
    rows += f.flows + f.outliers + f.netflow + f.health + f.ptpEvents + f.tmats;
    healthRows += f.health;
  };
  let since = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  let n = 0;
  for (const m of w.messages) {
    // yield as a consumer does between fetches, so an epoch's INSERTs overlap the next epoch (aggregator-bench.ts)
    if (++n % 8 === 0) await new Promise(setImmediate);
    const batch = decoder.decodeReused(m.value);
    agg.ingest(m.partition, batch, 0, 0);
    since += batch.records.length;
    if (since >= 250_000) {
      await inFlight;
      inFlight = agg.flush({ nowMs: 0 }).then(add);
      since = 0;
    }
  }
  await inFlight;
  add(await agg.flush({ final: true, nowMs: 0 }));
  const out = { seconds: (performance.now() - started) / 1000, cpu: cpuSeconds(cpu0), rows, healthRows };
  await sql.command(`DROP DATABASE ${database}`);
  return out;
}

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
/** Measured passes per child process (after its warm-up pass). */
const CHILD_PASSES = 2;
/**
 * Passes a child runs before it measures (--warmup N, 8). Counted in instructions (node --single-threaded
 * under cachegrind, docs/benchmarks.md), a pass costs on/off 3,659/3,000 M as the second and third pass of a
 * process, 2,969/2,692 M as the fourth and fifth: the optimizing compiler's work on the tracking code
 * (182 M of the difference) was still in the early passes.
 */
const WARMUP = Number(arg('warmup', '8'));

/** taskset can pin children to single CPUs here. */
const canPin = process.platform === 'linux' && !process.argv.includes('--no-pin') && spawnSync('taskset', ['-c', '1', 'true']).status === 0;

/** The command line of a child measuring one thing, pinned to `cpu` where taskset can. */
function childCommand(args: string[], cpu: number): [string, string[]] {
  // Pinned to one core: the collector's helper threads then share it, and CPU time is the work of one
  // instance on one core rather than whatever the other core lent it.
  const node = [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), ...args]; // the parent's V8 flags
  return canPin ? ['taskset', ['-c', String(cpu), ...node]] : [node[0], node.slice(1)];
}

const lastJson = (stdout: string): unknown => JSON.parse(stdout.trim().split('\n').pop()!);

/** Run this script as a child measuring one thing; its last line of output is the JSON result. */
function child(args: string[], env: Record<string, string> = {}): unknown {
  const [cmd, argv] = childCommand(args, 1);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return lastJson(r.stdout);
}

/** The same, without waiting: for two children measured at the same time on two CPUs. */
function childAsync(args: string[], cpu: number): Promise<unknown> {
  const [cmd, argv] = childCommand(args, cpu);
  return new Promise((resolveChild, reject) => {
    const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolveChild(lastJson(out)) : reject(new Error(`child ${args.join(' ')} failed: ${err}`))));
  });
}

/**
 * The AggregatorService consuming every message of the topic BENCH_TOPIC_PREFIX.enriched (written once by
 * the parent) as a new consumer group into a new database: records/s wall and CPU from the first message
 * consumed to the last (epochs, intents, checkpoints, inserts and commits included).
 */
async function serviceOnce(w: Workload, health: boolean): Promise<{ seconds: number; cpu: number }> {
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  const url = process.env.CLICKHOUSE_URL!;
  const database = `bench_health_svc_${health ? 'on' : 'off'}_${Date.now()}`;
  const sql = new ServerSqlClient({ url });
  const svc = benchAggregatorService({
    sql, clickhouseUrl: url, brokers, topicPrefix: process.env.BENCH_TOPIC_PREFIX!, database, groupId: `${database}-g`, streamHealth: health,
  });
  await svc.start();
  let firstAt = 0;
  let firstCpu = process.cpuUsage();
  for (;;) {
    await new Promise((r) => setTimeout(r, 5));
    const m = svc.metrics.messagesIn.value;
    if (!firstAt && m > 0) {
      firstAt = performance.now();
      firstCpu = process.cpuUsage();
    }
    if (m >= w.messages.length) break; // a message is aggregated in the tick that counts it
  }
  const out = { seconds: (performance.now() - firstAt) / 1000, cpu: cpuSeconds(firstCpu) };
  await svc.stop();
  await sql.command(`DROP DATABASE IF EXISTS ${database}`);
  await sql.close();
  return out;
}

/** The parent's side of stage 2: the messages into one topic, then alternating service children. */
async function serviceStage(w: Workload, clickhouseUrl: string, results: Record<string, number>): Promise<void> {
  const kafkaInfra = process.env.KAFKA_BROKERS ? null : await startKafka({ log: (m) => console.log(`  [infra] ${m}`) });
  try {
    const brokers = process.env.KAFKA_BROKERS?.split(',') ?? kafkaInfra!.brokers;
    const prefix = `benchhealth${Date.now()}`;
    const kafka = new Kafka({ clientId: 'bench-health', brokers, logLevel: logLevel.NOTHING });
    await createTopics(kafka, [{ topic: `${prefix}.enriched`, partitions: PARTITIONS }]);
    await publishEncoded(kafka, `${prefix}.enriched`, w.messages);
    const env = { CLICKHOUSE_URL: clickhouseUrl, KAFKA_BROKERS: brokers.join(','), BENCH_TOPIC_PREFIX: prefix };
    const runs: Record<'on' | 'off', { seconds: number; cpu: number }[]> = { on: [], off: [] };
    for (let i = 0; i < SERVICE_RUNS; i++) {
      for (const h of i % 2 === 0 ? ['off', 'on'] as const : ['on', 'off'] as const) {
        runs[h].push(child(['--child', 'service', '--setting', h], env) as { seconds: number; cpu: number });
      }
    }
    const med = (k: 'on' | 'off', f: 'seconds' | 'cpu') => sorted(runs[k].map((r) => r[f]))[runs[k].length >> 1];
    console.log(`\n2. service (Kafka topic -> AggregatorService -> ClickHouse, exactly-once bookkeeping and checkpoints included), median of ${SERVICE_RUNS} each:`);
    for (const h of ['off', 'on'] as const) {
      console.log(`   stream health ${h}:${h === 'on' ? ' ' : ''} ${fmt(w.records / med(h, 'seconds'))} records/s wall from the first message to the last, ` +
        `${fmt(w.records / med(h, 'cpu'))} per CPU-second (runs: ${runs[h].map((r) => r.seconds.toFixed(2)).join(' ')} s)`);
    }
    const [wall, cpu] = [med('off', 'seconds') / med('on', 'seconds'), med('off', 'cpu') / med('on', 'cpu')];
    console.log(`   records/s with it on = ${wall.toFixed(3)} x off (wall), ${cpu.toFixed(3)} x (CPU)`);
    // The two runs of a round are consecutive, so their ratio is less exposed to the machine's speed drifting
    // over the batch; the spread shows how far to trust the medians (batches an hour apart gave CPU ratios
    // 0.79-0.89 for one build, docs/benchmarks.md).
    const rounds = runs.on.map((on, i) => runs.off[i].cpu / on.cpu).sort((a, b) => a - b);
    console.log(`   per round, CPU: ${rounds.map((r) => r.toFixed(3)).join(' ')} (on/off of the two runs of each round)`);
    Object.assign(results, {
      serviceOffPerS: Math.round(w.records / med('off', 'seconds')), serviceOnPerS: Math.round(w.records / med('on', 'seconds')),
      serviceRatioWall: +wall.toFixed(3), serviceRatioCpu: +cpu.toFixed(3),
      serviceRoundRatioCpuMin: +rounds[0].toFixed(3), serviceRoundRatioCpuMax: +rounds[rounds.length - 1].toFixed(3),
    });
  } finally {
    await kafkaInfra?.stop();
  }
}

/** The child's side: --child aggregate|core|service --setting on|off. */
async function childMain(w: Workload, what: string, health: boolean): Promise<void> {
  // Warm-up passes (no ClickHouse) until the JIT is done: an aggregator runs for hours, and in the first
  // passes the optimizing compiler is still at work on the larger code path with stream health on.
  for (let i = 0; i < WARMUP; i++) aggregateOnce(w, health);
  if (what === 'aggregate') {
    let best = Infinity;
    let healthRows = 0;
    for (let i = 0; i < CHILD_PASSES; i++) {
      const r = aggregateOnce(w, health);
      best = Math.min(best, r.cpu);
      healthRows = r.healthRows;
    }
    console.log(JSON.stringify({ cpu: best, healthRows }));
    return;
  }
  if (what === 'service') {
    console.log(JSON.stringify(await serviceOnce(w, health)));
    return;
  }
  const sql = new ServerSqlClient({ url: process.env.CLICKHOUSE_URL! });
  try {
    // The INSERT path warmed up as well: its row encoders and the client are compiled on their first
    // rows, and the tables stream health adds would otherwise be measured half interpreted.
    for (let i = 0; i < CORE_WARMUP; i++) await coreOnce(w, sql, health);
    console.log(JSON.stringify(await coreOnce(w, sql, health)));
  } finally {
    await sql.close();
  }
}
/** --instructions: the work of each setting, counted rather than timed. */
async function countedStages(results: Record<string, number>): Promise<void> {
  requireValgrind();
  const withClickHouse = !process.argv.includes('--no-clickhouse');
  const ch = !withClickHouse || process.env.CLICKHOUSE_URL ? null : await startClickHouse({ log: (m) => console.log(`  [infra] ${m}`) });
  const env = { ...process.env, CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? ch?.url ?? '' };
  // The child's own options first: arg() takes an option's first occurrence, so they win over the forwarded ones.
  const forwarded = process.argv.slice(2).filter((a) => a !== '--instructions');
  const count = (what: string, h: 'on' | 'off', warmup: number) => countInstructions(
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', what, '--setting', h, '--warmup', String(warmup), ...forwarded], env);
  const M = (n: number) => `${fmt(Math.round(n / 1e6))} M`;
  try {
    console.log('\ncounted: instructions of whole child processes (valgrind --tool=cachegrind, node --single-threaded), on and off at once:');
    const runs: Record<string, { on: number; off: number }> = {};
    for (const [what, warmup] of [['aggregate', 2], ['aggregate', 3], ...(withClickHouse ? [['core', 2]] : [])] as [string, number][]) {
      const [on, off] = await Promise.all([count(what, 'on', warmup), count(what, 'off', warmup)]);
      runs[`${what}${warmup}`] = { on: on.instructions, off: off.instructions };
      console.log(`   ${what}, --warmup ${warmup}: off ${M(off.instructions)}, on ${M(on.instructions)}`);
    }
    const pass = { on: runs.aggregate3.on - runs.aggregate2.on, off: runs.aggregate3.off - runs.aggregate2.off };
    console.log(`   one aggregation pass (decode + aggregate + seal): off ${M(pass.off)}, on ${M(pass.on)}: records/s with it on = ${(pass.off / pass.on).toFixed(3)} x off`);
    results.countedPassOff = pass.off;
    results.countedPassOn = pass.on;
    results.countedAggregateRatio = +(pass.off / pass.on).toFixed(3);
    if (runs.core2) {
      const core = (h: 'on' | 'off') => runs.core2[h] - runs.aggregate2[h] + 2 * pass[h];
      console.log(`   the core run into ClickHouse (decode + aggregate + INSERT every table): off ${M(core('off'))}, on ${M(core('on'))}: ` +
        `records/s with it on = ${(core('off') / core('on')).toFixed(3)} x off (the server's work is not counted)`);
      results.countedCoreOff = core('off');
      results.countedCoreOn = core('on');
      results.countedCoreRatio = +(core('off') / core('on')).toFixed(3);
    }
  } finally {
    await ch?.stop();
  }
}

const pct = (on: number, off: number) => `${on >= off ? '+' : ''}${(100 * (on / off - 1)).toFixed(1)} %`;

async function main(): Promise<void> {
  const path = join(BENCH_DIR, `stream-health-${RECORDS}-${Math.round(SHARE * 100)}-${PARTITIONS}-${BATCH}${RATE === 1 ? '' : `-rate${RATE}`}-v2.bin`);
  if (!existsSync(path)) generate(path);
  const w = load(path);
  if (arg('child', '')) {
    await childMain(w, arg('child', ''), arg('setting', 'on') === 'on');
    return;
  }
  console.log(`stream-health benchmark: ${fmt(w.records)} enriched records, ${(100 * w.telemetry / w.records).toFixed(1)} % with integrity fields ` +
    `(telemetry timeline ${RATE}x denser than the test capture) ` +
    `(IENA, Chapter 10, PTP), ${fmt(w.messages.length)} messages over ${PARTITIONS} partitions`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores), load average ${loadavg()[0].toFixed(1)} at start`);
  const results: Record<string, number> = { records: w.records, telemetryPct: +(100 * w.telemetry / w.records).toFixed(1) };
  if (process.argv.includes('--instructions')) {
    await countedStages(results);
    console.log(`JSON ${JSON.stringify(results)}`);
    return;
  }

  // Each measurement runs in a child process of its own: in one process the two settings would share
  // the JIT's type feedback (records with and without the integrity fields) and slow each other down.
  const stage0: Record<'on' | 'off', number[]> = { on: [], off: [] };
  let healthRows = 0;
  for (let p = 0; p < PASSES; p++) {
    for (const h of p % 2 === 0 ? ['on', 'off'] as const : ['off', 'on'] as const) {
      const r = child(['--child', 'aggregate', '--setting', h]) as { cpu: number; healthRows: number };
      stage0[h].push(r.cpu);
      if (h === 'on') healthRows = r.healthRows;
    }
  }
  const [onB, offB] = [sorted(stage0.on)[0], sorted(stage0.off)[0]];
  const [onM, offM] = [sorted(stage0.on)[PASSES >> 1], sorted(stage0.off)[PASSES >> 1]];
  console.log(`\n0. decode + aggregate + seal, CPU time, ${PASSES} alternating child processes per setting ` +
    `(each: ${WARMUP} warm-up passes, then the best of ${CHILD_PASSES}; ${fmt(healthRows)} stream_health rows with it on):`);
  console.log(`   stream health off: best ${fmt(w.records / offB)} records per CPU-second, median ${fmt(w.records / offM)}`);
  console.log(`   stream health on:  best ${fmt(w.records / onB)} records per CPU-second, median ${fmt(w.records / onM)}`);
  console.log(`   cost of stream health: ${pct(onB, offB)} CPU time (best), ${pct(onM, offM)} (median); ` +
    `records/s with it on = ${(offB / onB).toFixed(3)} x off (best), ${(offM / onM).toFixed(3)} x (median)`);
  Object.assign(results, {
    aggregateOffPerCpuS: Math.round(w.records / offB), aggregateOnPerCpuS: Math.round(w.records / onB),
    aggregateRatioBest: +(offB / onB).toFixed(3), aggregateRatioMedian: +(offM / onM).toFixed(3),
  });

  // The same measurement in simultaneous pairs: this VM's speed drifts by up to 2x within minutes, so
  // children run one after the other can meet different machines. An on and an off child started
  // together, one per CPU (swapped every round), meet the same one; each pair gives one ratio.
  if (PAIRS > 0 && canPin && cpus().length >= 2) {
    const ratios: number[] = [];
    const pairs: string[] = [];
    for (let p = 0; p < PAIRS; p++) {
      const [cpuOn, cpuOff] = p % 2 === 0 ? [0, 1] : [1, 0];
      const [on, off] = await Promise.all([
        childAsync(['--child', 'aggregate', '--setting', 'on'], cpuOn), childAsync(['--child', 'aggregate', '--setting', 'off'], cpuOff),
      ]) as { cpu: number }[];
      ratios.push(off.cpu / on.cpu);
      pairs.push(`${on.cpu.toFixed(2)}/${off.cpu.toFixed(2)}`);
    }
    const r = sorted(ratios);
    const median = r.length % 2 ? r[r.length >> 1] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    console.log(`\n0b. the same, ${PAIRS} simultaneous pairs (on and off at once on CPUs 0 and 1, swapped every round):`);
    console.log(`   CPU s per pass, on/off: ${pairs.join(' ')}`);
    console.log(`   records/s with it on = ${median.toFixed(3)} x off (median of the pairs' ratios; ${r[0].toFixed(3)}–${r[r.length - 1].toFixed(3)})`);
    Object.assign(results, { aggregatePairRatioMedian: +median.toFixed(3), aggregatePairRatioMin: +r[0].toFixed(3), aggregatePairRatioMax: +r[r.length - 1].toFixed(3) });
  }

  if (!process.argv.includes('--no-clickhouse')) {
    const ch = process.env.CLICKHOUSE_URL ? null : await startClickHouse({ log: (m) => console.log(`  [infra] ${m}`) });
    const sql = new ServerSqlClient({ url: process.env.CLICKHOUSE_URL ?? ch!.url });
    try {
      const runs: Record<'on' | 'off', { seconds: number; cpu: number; rows: number; healthRows: number }[]> = { on: [], off: [] };
      for (let i = 0; i < CORE_RUNS; i++) {
        for (const h of i % 2 === 0 ? ['off', 'on'] as const : ['on', 'off'] as const) {
          runs[h].push(child(['--child', 'core', '--setting', h], { CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? ch!.url }) as { seconds: number; cpu: number; rows: number; healthRows: number });
        }
      }
      const best = (k: 'on' | 'off') => runs[k].reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const [bOn, bOff] = [best('on'), best('off')];
      console.log(`\n1. core into ClickHouse (decode + aggregate + INSERT every table), best of ${CORE_RUNS} each:`);
      console.log(`   stream health off: ${fmt(w.records / bOff.seconds)} records/s wall (${bOff.seconds.toFixed(2)} s), ${fmt(w.records / bOff.cpu)} per CPU-second, ${fmt(bOff.rows)} rows`);
      console.log(`   stream health on:  ${fmt(w.records / bOn.seconds)} records/s wall (${bOn.seconds.toFixed(2)} s), ${fmt(w.records / bOn.cpu)} per CPU-second, ` +
        `${fmt(bOn.rows)} rows (${fmt(bOn.healthRows)} stream_health)`);
      console.log(`   records/s with it on = ${(bOff.seconds / bOn.seconds).toFixed(3)} x off (wall), ${(bOff.cpu / bOn.cpu).toFixed(3)} x (CPU)`);
      Object.assign(results, {
        coreOffPerS: Math.round(w.records / bOff.seconds), coreOnPerS: Math.round(w.records / bOn.seconds),
        coreRatioWall: +(bOff.seconds / bOn.seconds).toFixed(3), coreRatioCpu: +(bOff.cpu / bOn.cpu).toFixed(3),
      });
      if (SERVICE_RUNS > 0 && !process.argv.includes('--no-kafka')) await serviceStage(w, process.env.CLICKHOUSE_URL ?? ch!.url, results);
    } finally {
      await sql.close();
      await ch?.stop();
    }
  }
  console.log(`\nload average ${loadavg()[0].toFixed(1)} at the end`);
  console.log(`JSON ${JSON.stringify(results)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
