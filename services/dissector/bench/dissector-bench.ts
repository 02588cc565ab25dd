/**
 * npm run bench:dissector: records/s of one dissector worker without Kafka.
 *
 *   Avro PacketBatch message → MessageDissector.dissect → EnrichedBatch message(s)
 *
 * as the worker runs it (--path message, the default: each record read,
 * dissected and written at once), or batch at a time (--path batch: decode
 * the whole message → Dissector.dissectBatch → encode, timed per stage),
 * with the real codec (AvroCodec), on a mixed capture (mixed-traffic.ts: real
 * Chapter 10 / PTP / IENA frames from the public captures plus generated
 * TCP/UDP/DNS/TLS/HTTP traffic). The PacketBatch messages are prepared from
 * the pcap with the capture agent's reader and decoder before the clock runs
 * (in chunks, so memory stays bounded); only the three dissector stages are
 * timed. In the same invocation tshark reads the same pcap
 * (`tshark -r FILE -T fields -e frame.protocols > /dev/null`) as the
 * reference, and the ratio is printed. On Linux it re-runs itself pinned to
 * one core (`taskset -c 0`; --no-pin to skip) for a per-worker figure.
 *
 * Options: --records N (default 1000000), --telemetry SHARE (0.35),
 * --batch N (1000 records per message), --seed N, --no-tshark, --warmup N
 * (unmeasured passes over the whole capture with a throwaway Dissector
 * before the measured one: 1; 0 warms up on the first chunk only), --path
 * message|batch, --avsc (batch path with avsc's generic codec instead of the
 * dissector's compiled one, to compare).
 *
 * --instructions counts instead of timing (valgrind; docs/benchmarks.md,
 * "Instruction counts"): MessageDissector over the first --messages N (100)
 * messages, one pass = (3 passes - 1 pass) / 2 of one Dissector, and the
 * SHA-1 of the first pass's output, to check that a change kept the bytes.
 * --count-passes P is that child (P passes, its result as JSON).
 */
import { CAPTURES_DIR, countInstructions, requireValgrind } from '@streamlens/common/testing';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { AvroCodec, SCHEMA_NAMES, type EnrichedBatch, type PacketBatch } from '@streamlens/common';
import { Dissector, DissectorBatchCodec, frameTypeFamily, MessageDissector } from '@streamlens/dissector';
import { ensureMix } from './mixed-traffic.js';
import { packetMessageChunks } from './packet-messages.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const RECORDS = Number(arg('records', '1000000'));
const SHARE = Number(arg('telemetry', '0.35'));
const BATCH = Number(arg('batch', '1000'));
const SEED = Number(arg('seed', '7'));
const TSHARK = !process.argv.includes('--no-tshark');
/** Unmeasured passes over the whole capture before the measured one (`--warmup N`). */
const WARMUP = Number(arg('warmup', '1'));
const CAPTURES = process.env.STREAMLENS_CAPTURES_DIR ?? CAPTURES_DIR;
const BENCH_DIR = resolve(process.env.STREAMLENS_BENCH_DIR ?? '.bench');
/** PacketBatch messages prepared ahead of the clock at a time. */
const CHUNK_BATCHES = 100;

const codec = AvroCodec.forStreamLens();
/** The dissector's message codec (compiled from the contracts, byte-identical to AvroCodec). */
const batchCodec = new DissectorBatchCodec(codec);
const AVSC = process.argv.includes('--avsc');
/** The worker's streaming path (MessageDissector) unless --path batch (or --avsc). */
const MESSAGE_PATH = !AVSC && arg('path', 'message') === 'message';
let peakRss = 0;
const sampleRss = () => {
  const r = process.memoryUsage.rss();
  if (r > peakRss) peakRss = r;
};

/** Reads the pcap into PacketBatch messages, CHUNK_BATCHES at a time. */
const messageChunks = (path: string) => packetMessageChunks(path, codec, BATCH, CHUNK_BATCHES);

/**
 * CPU time per record of each stage over repeated passes of one resident chunk
 * (best and median of REPASSES): the cost of the code itself, much less
 * sensitive to other load on the machine than the stream figure.
 */
const REPASSES = 7;
function steadyState(d: Dissector, chunk: Buffer[]): { best: number[]; median: number[] } {
  const stage = MESSAGE_PATH ? new MessageDissector(d, codec) : null;
  const passes: number[][] = [];
  for (let k = 0; k < REPASSES; k++) {
    const st = [0, 0, 0];
    let n = 0;
    for (const msg of chunk) {
      if (stage) {
        const c0 = process.cpuUsage();
        const r = stage.dissect(msg);
        const c = process.cpuUsage(c0);
        st[1] += c.user + c.system;
        n += r.records;
        continue;
      }
      let c0 = process.cpuUsage();
      const batch = batchCodec.decodePacketBatch(msg);
      let c = process.cpuUsage(c0);
      st[0] += c.user + c.system;
      c0 = process.cpuUsage();
      const out = d.dissectBatch(batch);
      c = process.cpuUsage(c0);
      st[1] += c.user + c.system;
      c0 = process.cpuUsage();
      batchCodec.encodeEnrichedBatch(out, batch);
      c = process.cpuUsage(c0);
      st[2] += c.user + c.system;
      n += out.records.length;
    }
    passes.push(st.map((us) => (us * 1000) / n));
  }
  const col = (i: number) => passes.map((p) => p[i]).sort((a, b) => a - b);
  return { best: [0, 1, 2].map((i) => col(i)[0]), median: [0, 1, 2].map((i) => col(i)[REPASSES >> 1]) };
}

interface Totals {
  records: number;
  bytesIn: number;
  bytesOut: number;
  decodeMs: number;
  dissectMs: number;
  encodeMs: number;
  cpuMs: number;
  families: Map<string, number>;
}

function process1(d: Dissector, messages: Buffer[], t: Totals | null): void {
  const cpu0 = process.cpuUsage();
  if (MESSAGE_PATH) {
    const stage = stageOf(d);
    for (const msg of messages) {
      const a = performance.now();
      const r = stage.dissect(msg);
      const b = performance.now();
      if (t) {
        t.dissectMs += b - a;
        t.records += r.records;
        t.bytesIn += msg.length;
        for (const m of r.messages) t.bytesOut += m.value.length;
      }
    }
  }
  for (const msg of MESSAGE_PATH ? [] : messages) {
    const a = performance.now();
    const batch = AVSC ? codec.decode<PacketBatch>(msg, SCHEMA_NAMES.packetBatch).value : batchCodec.decodePacketBatch(msg);
    const b = performance.now();
    const out: EnrichedBatch = d.dissectBatch(batch);
    const c = performance.now();
    const enc = AVSC ? codec.encode(SCHEMA_NAMES.enrichedBatch, out) : batchCodec.encodeEnrichedBatch(out, batch);
    const e = performance.now();
    if (t) {
      t.decodeMs += b - a;
      t.dissectMs += c - b;
      t.encodeMs += e - c;
      t.records += out.records.length;
      t.bytesIn += msg.length;
      t.bytesOut += enc.length;
      for (const r of out.records) {
        const f = frameTypeFamily(r.frame_type);
        t.families.set(f, (t.families.get(f) ?? 0) + 1);
      }
    }
  }
  if (t) {
    const cpu = process.cpuUsage(cpu0);
    t.cpuMs += (cpu.user + cpu.system) / 1000;
  }
  sampleRss();
}

const stages = new WeakMap<Dissector, MessageDissector>();
function stageOf(d: Dissector): MessageDissector {
  let s = stages.get(d);
  if (!s) stages.set(d, (s = new MessageDissector(d, codec)));
  return s;
}

/** Records per frame-type family, from the Dissector's own counter (the message path hands no records back). */
function familiesOf(d: Dissector): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of d.metrics.frames.render()) {
    const hit = /family="([^"]+)"\} (\d+)$/.exec(line);
    if (hit) m.set(hit[1], Number(hit[2]));
  }
  return m;
}

/** On Linux, re-run pinned to one core (taskset) so the figure is one worker's. */
function pinToOneCore(): boolean {
  if (process.platform !== 'linux' || process.env.STREAMLENS_BENCH_PINNED || process.argv.includes('--no-pin')) return false;
  const r = spawnSync('taskset', ['-c', '0', process.execPath, '--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, STREAMLENS_BENCH_PINNED: '1' },
  });
  if (r.error) return false; // no taskset: run unpinned
  process.exit(r.status ?? 1);
}

/** Messages --instructions counts over. */
const COUNT_MESSAGES = Number(arg('messages', '100'));

/** --count-passes P: P passes of one MessageDissector over the first COUNT_MESSAGES messages. */
async function countChild(passes: number): Promise<void> {
  const mix = await ensureMix(BENCH_DIR, CAPTURES, { records: RECORDS, telemetryShare: SHARE, seed: SEED });
  const messages: Buffer[] = [];
  for await (const chunk of messageChunks(mix.path)) {
    messages.push(...chunk.slice(0, COUNT_MESSAGES - messages.length));
    if (messages.length >= COUNT_MESSAGES) break;
  }
  const stage = new MessageDissector(new Dissector(), codec);
  const hash = createHash('sha1');
  let records = 0;
  let bytesOut = 0;
  for (let k = 0; k < passes; k++) {
    for (const msg of messages) {
      const r = stage.dissect(msg);
      records += r.records;
      for (const m of r.messages) {
        bytesOut += m.value.length;
        if (k === 0) hash.update(m.value);
      }
    }
  }
  console.log(JSON.stringify({ passes, messages: messages.length, records, bytesOut, sha1: hash.digest('hex') }));
}

/** --instructions: one pass counted, (3 passes - 1 pass) / 2, the two children at once. */
async function countedPasses(): Promise<void> {
  requireValgrind();
  await ensureMix(BENCH_DIR, CAPTURES, { records: RECORDS, telemetryShare: SHARE, seed: SEED });
  // The child's own option first: arg() takes an option's first occurrence.
  const forwarded = process.argv.slice(2).filter((a) => a !== '--instructions');
  const child = (passes: number) => countInstructions([...process.execArgv, process.argv[1], '--count-passes', String(passes), ...forwarded]);
  const [one, three] = await Promise.all([child(1), child(3)]);
  const r1 = JSON.parse(one.lastLine) as { records: number; bytesOut: number; sha1: string; messages: number };
  const perPass = (three.instructions - one.instructions) / 2;
  console.log(`counted (valgrind --tool=cachegrind, node --single-threaded): MessageDissector over the first ${r1.messages} messages ` +
    `(${r1.records.toLocaleString('en')} records, ${r1.bytesOut.toLocaleString('en')} bytes out, SHA-1 ${r1.sha1.slice(0, 12)})`);
  console.log(`  1 pass ${Math.round(one.instructions / 1e6).toLocaleString('en')} M, 3 passes ${Math.round(three.instructions / 1e6).toLocaleString('en')} M ` +
    `instructions: one pass = ${Math.round(perPass / 1e6).toLocaleString('en')} M (${Math.round(perPass / r1.records).toLocaleString('en')} per record)`);
  console.log(`JSON ${JSON.stringify({ messages: r1.messages, records: r1.records, instructionsPerPass: perPass, sha1: r1.sha1 })}`);
}

async function main(): Promise<void> {
  const countPasses = Number(arg('count-passes', '0'));
  if (countPasses > 0) return countChild(countPasses);
  if (process.argv.includes('--instructions')) return countedPasses();
  if (pinToOneCore()) return;
  if (process.env.STREAMLENS_BENCH_PINNED) console.log('pinned to CPU 0 (taskset -c 0)');
  console.log(`dissector benchmark: ${RECORDS} records, ${Math.round(SHARE * 100)} % telemetry, ${BATCH} records per message, ` +
    (MESSAGE_PATH ? 'message path (MessageDissector, as the worker runs)' : `batch path, ${AVSC ? 'avsc codec' : 'compiled codec'}`));
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores visible); ` +
    (WARMUP > 0 ? `${WARMUP} unmeasured pass(es) over the capture first` : 'warm-up on the first chunk only'));
  const loadStart = loadavg()[0];
  const mix = await ensureMix(BENCH_DIR, CAPTURES, { records: RECORDS, telemetryShare: SHARE, seed: SEED });
  const fileBytes = statSync(mix.path).size;
  console.log(`input: ${mix.path} (${(fileBytes / 1e6).toFixed(0)} MB)`);

  // Warm-up (JIT, inline caches) as a long-running worker is: WARMUP passes over the whole capture with a throwaway
  // Dissector (with 0, the first chunk only, as before 2026-11-24); then the measured run, a new Dissector over it all.
  if (WARMUP > 0) {
    for (let w = 0; w < WARMUP; w++) {
      const wd = new Dissector();
      for await (const chunk of messageChunks(mix.path)) process1(wd, chunk, null);
    }
  } else {
    const warm = messageChunks(mix.path);
    const first = await warm.next();
    await warm.return(undefined);
    if (!first.done) process1(new Dissector(), first.value, null);
  }

  const d = new Dissector();
  const t: Totals = { records: 0, bytesIn: 0, bytesOut: 0, decodeMs: 0, dissectMs: 0, encodeMs: 0, cpuMs: 0, families: new Map() };
  let chunkBytes = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  let last: Buffer[] = [];
  for await (const chunk of messageChunks(mix.path)) {
    chunkBytes = Math.max(chunkBytes, chunk.reduce((n, m) => n + m.length, 0));
    sampleRss();
    // The preparation's garbage (pcap reading, agent decoding, avsc encoding) is collected off the clock.
    gc?.();
    process1(d, chunk, t);
    last = chunk;
  }
  if (MESSAGE_PATH) t.families = familiesOf(d);
  const steady = steadyState(d, last);
  const wallMs = t.decodeMs + t.dissectMs + t.encodeMs;
  const rate = t.records / (wallMs / 1000);
  const telemetry = (t.families.get('CH10') ?? 0) + (t.families.get('TMATS') ?? 0) + (t.families.get('PTP') ?? 0) + (t.families.get('IENA') ?? 0);
  const fam = [...t.families].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(100 * v / t.records).toFixed(1)}%`).join(', ');

  console.log(`\nclassified: ${fam}`);
  console.log(`telemetry (CH10/TMATS/PTP/IENA): ${(100 * telemetry / t.records).toFixed(1)} % of records`);
  console.log(`\nstage                    ms       ns/record`);
  const rows = MESSAGE_PATH ? [['read + dissect + write', t.dissectMs]] as const
    : [['Avro decode PacketBatch', t.decodeMs], ['dissect', t.dissectMs], ['Avro encode EnrichedBatch', t.encodeMs]] as const;
  for (const [name, ms] of rows) {
    console.log(`${name.padEnd(25)}${ms.toFixed(0).padStart(6)}   ${(ms * 1e6 / t.records).toFixed(0).padStart(6)}`);
  }
  const load = loadavg()[0];
  console.log(`\ndissector: ${t.records} records in ${(wallMs / 1000).toFixed(2)} s = ${Math.round(rate).toLocaleString('en')} records/s ` +
    `(${Math.round(t.records / (t.cpuMs / 1000)).toLocaleString('en')} per CPU-second incl. GC threads)`);
  console.log(`  machine load average ${loadStart.toFixed(1)} at start, ${load.toFixed(1)} at end (${cpus().length} cores): wall-clock rates need a quiet machine`);
  console.log(`  in ${(t.bytesIn / 1e6).toFixed(0)} MB of PacketBatch, out ${(t.bytesOut / 1e6).toFixed(0)} MB of EnrichedBatch (payload dropped)`);
  console.log(`  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (holds one prepared chunk of input messages, ${(chunkBytes / 2 ** 20).toFixed(0)} MiB)`);
  const sum = (a: number[]) => a[0] + a[1] + a[2];
  console.log(`\nsteady state, CPU time over ${REPASSES} passes of the last chunk (${last.length} messages):`);
  const stagesOf = (a: number[]) => (MESSAGE_PATH ? `read + dissect + write ${sum(a).toFixed(0)}`
    : `decode ${a[0].toFixed(0)} + dissect ${a[1].toFixed(0)} + encode ${a[2].toFixed(0)} = ${sum(a).toFixed(0)}`);
  console.log(`  best   ${stagesOf(steady.best)} ns/record = ${Math.round(1e9 / sum(steady.best)).toLocaleString('en')} records/s`);
  console.log(`  median ${stagesOf(steady.median)} ns/record = ${Math.round(1e9 / sum(steady.median)).toLocaleString('en')} records/s`);
  const mem = d.memory();
  console.log(`  memories: ${mem.ch10Flows} Chapter 10 flows, ${mem.reassembly?.completed ?? 0} packets reassembled, ${mem.reassembly?.open ?? 0} open`);

  if (TSHARK) {
    const a = performance.now();
    const r = spawnSync('sh', ['-c', `tshark -r '${mix.path}' -T fields -e frame.protocols > /dev/null`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - a;
    if (r.status !== 0) {
      console.log(`tshark failed: ${r.stderr.toString().trim()}`);
    } else {
      const tsharkRate = t.records / (ms / 1000);
      console.log(`\nreference: tshark -r FILE -T fields -e frame.protocols > /dev/null: ${(ms / 1000).toFixed(2)} s = ${Math.round(tsharkRate).toLocaleString('en')} records/s`);
      console.log(`ratio: dissector ${(rate / tsharkRate).toFixed(1)}× tshark`);
    }
  }
  console.log(`\nJSON ${JSON.stringify({
    records: t.records, telemetryPct: +(100 * telemetry / t.records).toFixed(1), path: MESSAGE_PATH ? 'message' : 'batch', recordsPerSec: Math.round(rate),
    recordsPerCpuSec: Math.round(t.records / (t.cpuMs / 1000)), steadyBestPerSec: Math.round(1e9 / sum(steady.best)),
    steadyMedianPerSec: Math.round(1e9 / sum(steady.median)), loadAvg: +load.toFixed(1), decodeNs: Math.round(t.decodeMs * 1e6 / t.records),
    dissectNs: Math.round(t.dissectMs * 1e6 / t.records), encodeNs: Math.round(t.encodeMs * 1e6 / t.records), peakRssMiB: Math.round(peakRss / 2 ** 20),
  })}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
