/**
 * npm run bench:aggregator: enriched records/s through the aggregator into a
 * real local ClickHouse server, and peak RSS.
 *
 *   1. core: Avro EnrichedBatch messages -> decode -> aggregate (windows,
 *      inter-arrival, outliers, netflow buckets) -> seal epochs -> INSERT
 *      (chunked, deduplication tokens) into ClickHouse, in one process
 *   2. service: the same messages from a real local Kafka topic through the
 *      AggregatorService (epochs, intents, fenced commits, inserts,
 *      checkpoints), until every record is consumed and written
 *   3. reference, same run, same server, same client: a plain INSERT of the
 *      raw records (one row per record, the fields aggregated), and
 *      ClickHouse computing the flow windows itself from those rows
 *      (INSERT ... SELECT ... GROUP BY)
 *
 * Input: a deterministic flight-test mix (synthetic-traffic.ts: PTP over UDP
 * and Ethernet, IENA, Chapter 10 with TMATS, DNS, ARP, IPv6, and many short
 * TCP sessions), routed into partitions as the dissector routes, cached under
 * .bench/. Generation runs in a separate process so the measured process's
 * RSS is the aggregator's. Options: --records N (default 1000000),
 * --mix sessions|telemetry (many short TCP sessions among the telemetry, or
 * 300 dense periodic telemetry streams), --partitions N (8), --batch N
 * (records per message, 1000), --seed N,
 * --no-kafka, --no-reference, --compression (gzip INSERT bodies, --clickhouse-compression),
 * --core-runs N (stage 1 runs, best and median reported; 3),
 * --insert-format RowBinary|JSONEachRow (the INSERT body format, RowBinary by default).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, migrate, SCHEMA_NAMES, ServerSqlClient, type EnrichedBatch } from '@streamlens/common';
import { startClickHouse, startKafka } from '@streamlens/local-infra';
import {
  EnrichedDecoder, LocalAggregator, LocalNetworksByAgent, DEFAULT_LOCAL_NETWORKS,
} from '@streamlens/aggregator';
import { aggregationParams, benchAggregatorService, createTopics, flightTestScenario, publishEncoded, routeIntoBatches, telemetryScenario } from '@streamlens/aggregator/testing';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const RECORDS = Number(arg('records', '1000000'));
const PARTITIONS = Number(arg('partitions', '8'));
const BATCH = Number(arg('batch', '1000'));
const SEED = Number(arg('seed', '11'));
/** sessions: the flight-test mix dominated by short TCP sessions (many keys); telemetry: 300 dense periodic streams. */
const MIX = arg('mix', 'sessions');
const BENCH_DIR = resolve(process.env.STREAMLENS_BENCH_DIR ?? '.bench');
const START = 1_732_000_000_000_000_000n;

interface Workload {
  records: number;
  messages: { partition: number; value: Buffer }[];
  bytes: number;
}

// ---- input ------------------------------------------------------------------

function cachePath(): string {
  return join(BENCH_DIR, `aggregator-${MIX}-${RECORDS}-${PARTITIONS}-${BATCH}-${SEED}-v2.bin`);
}

/** Generate the workload into the cache file (run in a child process). */
function generate(path: string): void {
  // TCP sessions average ~25 packets; the periodic telemetry adds ~250 records/s of capture
  const seconds = Math.max(10, Math.round(RECORDS / 20_000));
  const flows = Math.max(0, Math.round((RECORDS - seconds * 250) / 25));
  const recs = MIX === 'telemetry'
    ? telemetryScenario({ startNs: START, durationNs: BigInt(seconds) * 1_000_000_000n, records: RECORDS, streams: 300, seed: SEED })
    : flightTestScenario({ startNs: START, durationNs: BigInt(seconds) * 1_000_000_000n, backgroundFlows: flows, seed: SEED }).slice(0, RECORDS);
  const routed = routeIntoBatches(recs, { agentId: 'bench-1', iface: 'eth0', partitions: PARTITIONS, batchRecords: BATCH });
  const codec = AvroCodec.forStreamLens();
  const parts: Buffer[] = [];
  for (const r of routed) {
    const v = codec.encode(SCHEMA_NAMES.enrichedBatch, r.batch);
    const h = Buffer.alloc(12);
    h.writeUInt32LE(r.partition, 0);
    h.writeUInt32LE(r.batch.records.length, 4);
    h.writeUInt32LE(v.length, 8);
    parts.push(h, v);
  }
  mkdirSync(BENCH_DIR, { recursive: true });
  writeFileSync(`${path}.tmp`, Buffer.concat(parts));
  renameSync(`${path}.tmp`, path);
  console.log(`generated ${recs.length} records (${MIX} mix) in ${routed.length} messages (${seconds} s of capture) -> ${path}`);
}

function load(path: string): Workload {
  const buf = readFileSync(path);
  const messages: { partition: number; value: Buffer }[] = [];
  let records = 0;
  for (let pos = 0; pos < buf.length;) {
    const partition = buf.readUInt32LE(pos);
    records += buf.readUInt32LE(pos + 4);
    const len = buf.readUInt32LE(pos + 8);
    messages.push({ partition, value: buf.subarray(pos + 12, pos + 12 + len) });
    pos += 12 + len;
  }
  return { records, messages, bytes: buf.length };
}

// ---- measurement helpers -------------------------------------------------------

let peakRss = 0;
const sampleRss = () => {
  const r = process.memoryUsage.rss();
  if (r > peakRss) peakRss = r;
};

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function count(sql: ServerSqlClient, query: string): Promise<number> {
  const [r] = await sql.query<{ n: string }>(query);
  return Number(r.n);
}

// ---- stages -------------------------------------------------------------------

/** Decode + aggregate + seal (rows built, not sent), CPU time per pass: the instance's own work, least load-sensitive. */
function aggregateOnly(w: Workload, passes: number): number[] {
  const decoder = new EnrichedDecoder();
  const out: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const agg = new LocalAggregator(null as never, { database: 'unused', params: aggregationParams(), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS) });
    const cpu0 = process.cpuUsage();
    let since = 0;
    for (const m of w.messages) {
      const batch = decoder.decodeReused(m.value);
      agg.ingest(m.partition, batch, 0, 0);
      since += batch.records.length;
      if (since >= 100_000) {
        agg.seal({ nowMs: 0 });
        since = 0;
      }
    }
    agg.seal({ nowMs: 0, final: true });
    out.push(cpuSeconds(cpu0));
    sampleRss();
  }
  return out;
}

async function coreRun(w: Workload, sql: ServerSqlClient, database: string): Promise<{ seconds: number; cpu: number; rss: number; rows: number }> {
  await migrate(sql, database);
  const agg = new LocalAggregator(sql, { database, params: aggregationParams(), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS), concurrency: 4 });
  const decoder = new EnrichedDecoder();
  peakRss = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let rows = 0;
  let sinceSeal = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  let n = 0;
  for (const m of w.messages) {
    // Yield to the event loop as a consumer does between fetches (kafkajs hands over ~1 MiB per
    // partition, ~8 of these messages): without it the writes started by a flush would not even
    // begin until the next epoch's `await`, and nothing would overlap.
    if (++n % 8 === 0) await new Promise(setImmediate);
    const batch = decoder.decodeReused(m.value);
    agg.ingest(m.partition, batch, 0, 0);
    sinceSeal += batch.records.length;
    if (sinceSeal >= 250_000) {
      // an epoch, as the service seals them (--epoch-max-records); its rows are written while the next one is aggregated
      await inFlight;
      inFlight = agg.flush({ nowMs: 0 }).then((f) => { rows += f.flows + f.outliers + f.netflow; });
      sinceSeal = 0;
      sampleRss();
    }
  }
  await inFlight;
  const f = await agg.flush({ final: true, nowMs: 0 });
  rows += f.flows + f.outliers + f.netflow;
  sampleRss();
  return { seconds: (performance.now() - started) / 1000, cpu: cpuSeconds(cpu0), rss: peakRss, rows };
}

async function serviceRun(w: Workload, sql: ServerSqlClient, clickhouseUrl: string, brokers: string[], database: string):
  Promise<{ seconds: number; steadySeconds: number; cpu: number; steadyCpu: number; rss: number; rows: number }> {
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const topic = `bench${Date.now()}`;
  await createTopics(kafka, [{ topic: `${topic}.enriched`, partitions: PARTITIONS }]);
  await publishEncoded(kafka, `${topic}.enriched`, w.messages);
  const svc = benchAggregatorService({ sql, clickhouseUrl, brokers, topicPrefix: topic, database, groupId: `${topic}-g` });
  peakRss = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await svc.start();
  const timer = setInterval(sampleRss, 100);
  // steady state: from the first message consumed (after the group join) to the last
  let firstAt = 0;
  let firstCpu = process.cpuUsage();
  let consumedAt = 0;
  let consumedCpu = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    const m = svc.metrics.messagesIn.value;
    if (!firstAt && m > 0) {
      firstAt = performance.now();
      firstCpu = process.cpuUsage();
    }
    if (!consumedAt && m >= w.messages.length) {
      consumedAt = performance.now();
      consumedCpu = cpuSeconds(firstCpu);
    }
    // done: every packet in flows (the last windows close on the 1 s idle timeout)
    if (consumedAt && await count(sql, `SELECT sum(packets) AS n FROM ${database}.flows`) >= w.records) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpu0);
  clearInterval(timer);
  await svc.stop();
  const rows = svc.metrics.rowsWritten.total();
  return { seconds, steadySeconds: (consumedAt - firstAt) / 1000, cpu, steadyCpu: consumedCpu, rss: peakRss, rows };
}

/** One row per record, the fields the aggregator reads, inserted with the same client. */
async function rawInsert(w: Workload, sql: ServerSqlClient, database: string): Promise<{ seconds: number; groupSeconds: number; windows: number }> {
  await sql.command(`CREATE TABLE ${database}.raw_records (
      agent_id LowCardinality(String), interface LowCardinality(String), ts_ns UInt64, frame_no UInt64, frame_type LowCardinality(String),
      src_ip IPv6, dst_ip IPv6, ip_proto UInt8, src_port UInt16, dst_port UInt16, src_mac UInt64, dst_mac UInt64, ethertype UInt16,
      wire_len UInt32, tcp_flags UInt16, protocols Array(LowCardinality(String))
    ) ENGINE = MergeTree ORDER BY (agent_id, interface, ts_ns)`);
  const decoder = new EnrichedDecoder();
  const ip = (b: Buffer) => (b.length === 4 ? `::ffff:${b[0]}.${b[1]}.${b[2]}.${b[3]}` : b.length === 16 ? b.toString('hex').replace(/(.{4})(?!$)/g, '$1:') : '::');
  let seconds = 0;
  let pending: object[] = [];
  const flushRows = async () => {
    const t = performance.now();
    await sql.insert(`${database}.raw_records`, pending);
    seconds += (performance.now() - t) / 1000;
    pending = [];
  };
  for (const m of w.messages) {
    const b = decoder.decode(m.value);
    for (const r of b.records) {
      const p = r.packet;
      const t = b.base_ts_ns + BigInt(p.ts_offset_ns);
      pending.push({
        agent_id: b.agent_id, interface: b.interface, ts_ns: t.toString(), frame_no: p.frame_no, frame_type: r.frame_type,
        src_ip: ip(p.src_ip), dst_ip: ip(p.dst_ip), ip_proto: p.ip_proto, src_port: p.src_port, dst_port: p.dst_port,
        src_mac: p.ip_version ? 0 : p.eth_src, dst_mac: p.ip_version ? 0 : p.eth_dst, ethertype: p.ethertype, wire_len: p.wire_len,
        tcp_flags: p.tcp_flags, protocols: r.protocols,
      });
    }
    if (pending.length >= 100_000) await flushRows(); // building the rows is not timed; serialising and inserting them is
  }
  if (pending.length) await flushRows();
  const t = performance.now();
  await sql.command(`CREATE TABLE ${database}.raw_windows ENGINE = MergeTree ORDER BY tuple() AS
    SELECT agent_id, interface, intDiv(ts_ns, 1000000000) AS w, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype,
           count() AS packets, sum(wire_len) AS bytes, min(ts_ns) AS first_ts_ns, max(ts_ns) AS last_ts_ns, groupUniqArrayArray(protocols) AS protocols
    FROM ${database}.raw_records
    GROUP BY agent_id, interface, w, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype`);
  const groupSeconds = (performance.now() - t) / 1000;
  return { seconds, groupSeconds, windows: await count(sql, `SELECT count() AS n FROM ${database}.raw_windows`) };
}

// ---- main -----------------------------------------------------------------------

async function main(): Promise<void> {
  const path = cachePath();
  if (flag('generate-only')) {
    if (!existsSync(path)) generate(path);
    return;
  }
  if (!existsSync(path)) {
    // a separate process, so the measured one's RSS is the aggregator's
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--generate-only'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('workload generation failed');
  }
  const w = load(path);
  console.log(`aggregator benchmark (${MIX} mix): ${fmt(w.records)} enriched records in ${fmt(w.messages.length)} messages over ${PARTITIONS} partitions (${(w.bytes / 1e6).toFixed(0)} MB), ${path}`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores), load average ${loadavg()[0].toFixed(1)} at start`);
  const log = (m: string) => console.log(`  [infra] ${m}`);
  let ch: Awaited<ReturnType<typeof startClickHouse>> | null = null;
  let kafkaInfra: Awaited<ReturnType<typeof startKafka>> | null = null;
  let sql: ServerSqlClient | null = null;
  const results: Record<string, number> = { records: w.records };
  try {
    ch = process.env.CLICKHOUSE_URL ? null : await startClickHouse({ log });
    const clickhouseUrl = process.env.CLICKHOUSE_URL ?? ch!.url;
    // --compression: gzip request bodies (--clickhouse-compression; off by default, as in the service)
    const insertFormat = arg('insert-format', 'RowBinary');
    if (insertFormat !== 'RowBinary' && insertFormat !== 'JSONEachRow') throw new Error(`--insert-format: RowBinary or JSONEachRow, not ${insertFormat}`);
    sql = new ServerSqlClient({ url: clickhouseUrl, requestCompression: flag('compression'), insertFormat });
    console.log(`  ClickHouse inserts as ${insertFormat}, ${flag('compression') ? 'gzip-compressed (--compression)' : 'uncompressed (the default)'}`);
    kafkaInfra = flag('no-kafka') || process.env.KAFKA_BROKERS ? null : await startKafka({ log });
    const brokers = process.env.KAFKA_BROKERS?.split(',') ?? kafkaInfra?.brokers ?? [];
    const passes = aggregateOnly(w, 5).sort((a, b) => a - b);
    console.log(`\n0. decode + aggregate + seal (rows built, not sent), CPU time over all records, 5 passes:`);
    console.log(`   best ${fmt(w.records / passes[0])} records per CPU-second (${(passes[0] * 1e9 / w.records).toFixed(0)} ns/record), ` +
      `median ${fmt(w.records / passes[2])}`);
    Object.assign(results, { aggregateBestRecordsPerCpuS: Math.round(w.records / passes[0]), aggregateMedianRecordsPerCpuS: Math.round(w.records / passes[2]) });
    // A single run swings by 2x on this kind of shared VM: best and median of several, each into a fresh database.
    const coreRuns = Number(arg('core-runs', '3'));
    const cores: { seconds: number; cpu: number; rss: number; rows: number }[] = [];
    let flows = 0;
    for (let run = 0; run < coreRuns; run++) {
      const dbCore = `bench_core_${Date.now()}_${run}`;
      const core = await coreRun(w, sql, dbCore);
      flows = await count(sql, `SELECT count() AS n FROM ${dbCore}.flows`);
      const packets = await count(sql, `SELECT sum(packets) AS n FROM ${dbCore}.flows`);
      if (packets !== w.records) throw new Error(`core run wrote ${packets} packets for ${w.records} records`);
      await sql.command(`DROP DATABASE ${dbCore}`);
      cores.push(core);
    }
    cores.sort((a, b) => a.seconds - b.seconds);
    const core = cores[0];
    const medianCore = cores[Math.floor((cores.length - 1) / 2)];
    const peakCoreRss = Math.max(...cores.map((c) => c.rss));
    console.log(`\n1. core (decode + aggregate + insert into ClickHouse, no Kafka), ${coreRuns} runs:`);
    console.log(`   best ${fmt(w.records / core.seconds)} records/s wall (${core.seconds.toFixed(2)} s), ${fmt(w.records / core.cpu)} records per CPU-second; ` +
      `median ${fmt(w.records / medianCore.seconds)} records/s wall (${cores.map((c) => c.seconds.toFixed(2)).join(', ')} s); ` +
      `${fmt(core.rows)} rows written (${fmt(flows)} flow windows), peak RSS ${(peakCoreRss / 2 ** 20).toFixed(0)} MiB`);
    Object.assign(results, {
      coreRecordsPerS: Math.round(w.records / core.seconds), coreMedianRecordsPerS: Math.round(w.records / medianCore.seconds),
      coreRecordsPerCpuS: Math.round(w.records / core.cpu), coreRssMiB: Math.round(peakCoreRss / 2 ** 20), flowRows: flows,
    });

    if (brokers.length) {
      const dbSvc = `bench_svc_${Date.now()}`;
      const svc = await serviceRun(w, sql, clickhouseUrl, brokers, dbSvc);
      console.log(`\n2. service (Kafka topic -> AggregatorService -> ClickHouse, exactly-once bookkeeping included):`);
      console.log(`   consuming: ${fmt(w.records / svc.steadySeconds)} records/s wall from the first message to the last (${svc.steadySeconds.toFixed(2)} s), ` +
        `${fmt(w.records / svc.steadyCpu)} records per CPU-second`);
      console.log(`   end to end: ${svc.seconds.toFixed(2)} s from start (migrations, group join) to the last window written (after a 1 s idle timeout), ` +
        `${fmt(svc.rows)} rows written, peak RSS ${(svc.rss / 2 ** 20).toFixed(0)} MiB`);
      Object.assign(results, {
        serviceRecordsPerS: Math.round(w.records / svc.steadySeconds), serviceRecordsPerCpuS: Math.round(w.records / svc.steadyCpu),
        serviceEndToEndSeconds: Number(svc.seconds.toFixed(2)), serviceRssMiB: Math.round(svc.rss / 2 ** 20),
      });
    }

    if (!flag('no-reference')) {
      const dbRef = `bench_ref_${Date.now()}`;
      await sql.command(`CREATE DATABASE ${dbRef}`);
      const ref = await rawInsert(w, sql, dbRef);
      console.log(`\n3. reference on the same server, same client:`);
      console.log(`   plain INSERT of the raw records (one row per record): ${fmt(w.records / ref.seconds)} records/s (${ref.seconds.toFixed(2)} s)`);
      console.log(`   ClickHouse computing the flow windows from those rows (INSERT ... SELECT ... GROUP BY, no inter-arrival): ${ref.groupSeconds.toFixed(2)} s, ${fmt(ref.windows)} windows`);
      console.log(`   ratio: aggregator core ${(ref.seconds / core.seconds).toFixed(1)}x the raw INSERT` +
        `${results.serviceRecordsPerS ? `, service ${(results.serviceRecordsPerS / (w.records / ref.seconds)).toFixed(1)}x` : ''}; ` +
        `raw INSERT + GROUP BY takes ${(ref.seconds + ref.groupSeconds).toFixed(2)} s against ${core.seconds.toFixed(2)} s`);
      Object.assign(results, { rawInsertRecordsPerS: Math.round(w.records / ref.seconds), groupBySeconds: Number(ref.groupSeconds.toFixed(2)) });
      await sql.command(`DROP DATABASE ${dbRef}`);
    }
    console.log(`\nload average ${loadavg()[0].toFixed(1)} at the end`);
    console.log(`JSON ${JSON.stringify(results)}`);
  } finally {
    await sql?.close();
    await kafkaInfra?.stop();
    await ch?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
