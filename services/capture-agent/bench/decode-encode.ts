/**
 * npm run bench:agent — read + decode + Avro-encode throughput of the capture
 * agent on a large generated capture, without Kafka, beside tcpdump (and
 * optionally tshark) reading the same file in the same run.
 *
 *   npm run bench:agent [-- --packets N] [--repeat R] [--warmup W] [--partitions P] [--tshark] [--no-pin]
 *   npm run bench:agent -- --instructions   (the fused and pipeline passes counted by valgrind instead of timed)
 *
 * Two generated captures (cached in .bench/): mixed traffic (TCP, UDP, DNS,
 * HTTP, ICMP, ARP, IGMP, VLAN/QinQ, IPv6, fragments, PTP, Chapter 10, IENA;
 * ~330 B/frame) and minimum-size frames (60 B, the GbE line-rate case).
 *
 * Every measured pass runs in a fresh child process pinned to one CPU core
 * (taskset), so its peak RSS is its own and it cannot borrow a second core;
 * tcpdump and tshark are pinned to the same core. A child first makes W
 * unmeasured passes over the file (default 3), then measures one: the
 * agent runs for hours, so what counts is its rate once V8 has compiled the
 * hot code, not the first second's, when V8 is still compiling it on the
 * same core (docs/benchmarks.md: the pipeline's first pass took 1.6-1.8x the
 * CPU time of a fourth; tcpdump has no such start). The `cold` row shows
 * the first pass. Phases:
 *   read     frames from CaptureFileReader only
 *   decode   + decodeFrameAt into one reused PacketRecord
 *   avsc     + PacketBatch objects of 1000 records encoded by avsc's generic writer
 *   codec    + the same batch objects encoded by AvroCodec.encode (compiled writer)
 *   stream   + records encoded one by one as decoded (PacketBatchWriter), the record path (the agent's until 2026-11-23)
 *   fused    scanFrameAt + FrameBatchWriter.addScan: records written straight from the frame bytes, decodeFrameAt +
 *            add for the frames the scan leaves to the decoder — the agent's way
 *   pipeline the agent's FramePipeline itself (counters, sampler at 1, routing to 4 partitions or --partitions N, Batcher)
 *   cold     the pipeline pass without the warm-up: what a new agent does in its first second
 * The reader is told after each batch that its frames are done with
 * (releaseFramesBefore), so it reuses its chunks.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AvroCodec, emptyPacketRecord, PacketBatchWriter, SCHEMA_NAMES, type PacketBatch, type PacketRecord } from '@streamlens/common';
import { AgentMetrics, CaptureFileReader, decodeFrameAt, DEFAULT_PAYLOAD_CAP, FrameBatchWriter, FramePipeline, FrameScan, messageBuffers, scanFrameAt } from '@streamlens/capture-agent';
import { createLogger } from '@streamlens/common';
import { countInstructions, requireValgrind } from '@streamlens/common/testing';
import { ensureMixedCapture, MIX_VERSION, type Mix } from './mixed-capture.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const BATCH = 1000;
/** Unmeasured passes a child makes before the measured one (`--warmup W`). */
const WARMUP = Number(arg('warmup', '3'));
/** Partitions the pipeline pass routes to (each batch still seals at BATCH records); `--partitions N` to vary it. */
const PIPELINE_PARTITIONS = Number(arg('partitions', '4'));

type Phase = 'read' | 'decode' | 'avsc' | 'codec' | 'stream' | 'fused' | 'pipeline' | 'cold';

interface PhaseResult {
  phase: Phase;
  packets: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  pageFaults: number;
  messages: number;
  bytesOut: number;
  decodeErrors: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/**
 * One pass over the file. Batches hold BATCH records; the batch's base time is
 * its first frame's, each record carries its offset from it (docs/topics.md).
 */
async function runPhase(phase: Phase, file: string): Promise<PhaseResult> {
  const codec = AvroCodec.forStreamLens({ compiledWriters: phase !== 'avsc' });
  const writer = phase === 'fused' ? new FrameBatchWriter(codec) : new PacketBatchWriter(codec);
  const fusedWriter = writer instanceof FrameBatchWriter ? writer : null;
  const scan = new FrameScan();
  let sealedRecords = 0;
  const pipeline = phase !== 'pipeline' && phase !== 'cold' ? null : new FramePipeline(codec, {
    agentId: 'bench-host', agentRun: 'bench-run', interfaceName: 'file', linkType: 1, sampleRate: 1, payloadCap: DEFAULT_PAYLOAD_CAP,
    maxRecords: BATCH, maxBytes: 64 << 20, lingerMs: 1e12, partitionCount: PIPELINE_PARTITIONS, nextBatchSeq: () => messages,
    onSealed: (b) => {
      messages++;
      bytesOut += b.value.length;
      sealedRecords += b.records;
      // As the publisher does once Kafka acknowledged a batch (nothing is sent here).
      messageBuffers.release(b.value);
    },
  }, new AgentMetrics(), createLogger({ service: 'bench', level: 'silent' }), { ms: 0 });
  // Batch objects (avsc/codec passes) need every record kept until the batch is encoded; the other passes reuse one.
  const pool: PacketRecord[] = Array.from({ length: phase === 'avsc' || phase === 'codec' ? BATCH : 1 }, () => emptyPacketRecord());
  const header = { agent_id: 'bench-host', interface: 'file', link_type: 1, agent_run: 'bench-run', batch_seq: 0, base_ts_ns: 0n, sample_rate: 1 };
  const batch: PacketBatch = { ...header, records: pool };
  let n = 0;
  let inBatch = 0;
  let baseSec = 0;
  let baseNs = 0;
  let messages = 0;
  let bytesOut = 0;
  let decodeErrors = 0;
  const seal = () => {
    if (inBatch === 0) return;
    let msg: Buffer;
    if (phase === 'stream' || phase === 'fused') {
      msg = writer.finish();
    } else {
      batch.base_ts_ns = header.base_ts_ns;
      batch.batch_seq = header.batch_seq;
      batch.records = inBatch === BATCH ? pool : pool.slice(0, inBatch);
      msg = codec.encode(SCHEMA_NAMES.packetBatch, batch);
    }
    bytesOut += msg.length;
    if (phase === 'fused') messageBuffers.release(msg);
    messages++;
    header.batch_seq++;
    inBatch = 0;
  };
  const cpu0 = process.cpuUsage();
  const faults0 = process.resourceUsage().minorPageFault;
  const t0 = process.hrtime.bigint();
  const reader = await CaptureFileReader.open(file);
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        n++;
        if (phase === 'read') {
          if (n % BATCH === 0) reader.releaseFramesBefore(f.frameNo + 1);
          continue;
        }
        if (pipeline !== null) {
          pipeline.frame(f.buf, f.offset, f.capLen, f.wireLen, f.tsSec, f.tsNs, f.frameNo);
          // Every frame is encoded as it arrives: nothing of the frames before is kept.
          if (n % BATCH === 0) reader.releaseFramesBefore(f.frameNo + 1);
          continue;
        }
        if (inBatch === 0) {
          baseSec = f.tsSec;
          baseNs = f.tsNs;
          header.base_ts_ns = BigInt(baseSec) * 1_000_000_000n + BigInt(baseNs);
          if (phase === 'stream' || phase === 'fused') writer.begin(header);
        }
        if (fusedWriter !== null && scanFrameAt(f.linkType, f.buf, f.offset, f.capLen, f.wireLen, DEFAULT_PAYLOAD_CAP, scan)) {
          fusedWriter.addScan(scan, (f.tsSec - baseSec) * 1e9 + (f.tsNs - baseNs), f.frameNo);
          if (++inBatch === BATCH) {
            seal();
            reader.releaseFramesBefore(f.frameNo + 1);
          }
          continue;
        }
        const rec = pool.length === 1 ? pool[0] : pool[inBatch];
        decodeFrameAt(f.linkType, f.buf, f.offset, f.capLen, f.wireLen, rec, DEFAULT_PAYLOAD_CAP);
        rec.frame_no = f.frameNo;
        rec.ts_offset_ns = (f.tsSec - baseSec) * 1e9 + (f.tsNs - baseNs);
        if (rec.decode_error !== null) decodeErrors++;
        if (phase === 'stream' || phase === 'fused') writer.add(rec);
        if (++inBatch === BATCH) {
          if (phase === 'decode') inBatch = 0;
          else seal();
          // Every record so far is encoded (or dropped): the reader may reuse their chunks.
          reader.releaseFramesBefore(f.frameNo + 1);
        }
      }
    } while (await reader.fill());
  } finally {
    await reader.close();
  }
  if (pipeline !== null) {
    pipeline.batcher.flush();
    if (sealedRecords !== n) throw new Error(`pipeline sealed ${sealedRecords} of ${n} records`);
  } else if (phase !== 'read' && phase !== 'decode') seal();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    phase, packets: n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024,
    pageFaults: process.resourceUsage().minorPageFault - faults0, messages, bytesOut, decodeErrors,
  };
}

function pinned(cmd: string[], pin: boolean): string[] {
  return pin ? ['taskset', '-c', '1', ...cmd] : cmd;
}

/** Run a shell command line; wall and CPU seconds (user + system of it and its children) from bash's `time`. */
function timeShell(line: string, pin: boolean): { seconds: number; cpuSeconds: number } {
  const script = `TIMEFORMAT='%R %U %S'; time ( ${line} )`;
  const r = spawnSync(pinned(['bash', '-c', script], pin)[0], pinned(['bash', '-c', script], pin).slice(1),
    { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, encoding: 'utf8' });
  const last = String(r.stderr ?? '').trim().split('\n').pop() ?? '';
  const [real, user, sys] = last.split(' ').map(Number);
  if (r.status !== 0 || !(real >= 0)) throw new Error(`${line} failed: ${r.stderr}`);
  return { seconds: real, cpuSeconds: user + sys };
}

/** A child's arguments after node's: this script measuring one phase of `file` after `warmup` unmeasured passes. */
function childArgs(phase: Phase, file: string, warmup: number): string[] {
  return [SELF, '--phase', phase, '--file', file, '--partitions', String(PIPELINE_PARTITIONS), '--warmup', String(warmup)];
}

function child(phase: Phase, file: string, pin: boolean): PhaseResult {
  const cmd = pinned([process.execPath, ...process.execArgv, ...childArgs(phase, file, phase === 'cold' ? 0 : WARMUP)], pin); // the parent's V8 flags
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`phase ${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PhaseResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

interface Timed { seconds: number; cpuSeconds: number }
interface Table { tcpdump: Timed[]; tshark: Timed | null; results: Map<Phase, PhaseResult[]> }

/**
 * `repeat` rounds, each running tcpdump and then every phase once, so a
 * change of load on a shared machine hits all contenders alike.
 */
function measure(file: string, packets: number, phases: Phase[], repeat: number, pin: boolean, withTshark: boolean): Table {
  // Warm the page cache so every contender reads from memory.
  timeShell(`cat '${file}' > /dev/null`, false);
  const tcpdump: Timed[] = [];
  const results = new Map<Phase, PhaseResult[]>(phases.map((p) => [p, []]));
  for (let i = 0; i < repeat; i++) {
    tcpdump.push(timeShell(`tcpdump -nr '${file}' > /dev/null 2>&1`, pin));
    for (const phase of phases) {
      const r = child(phase, file, pin);
      if (r.packets !== packets) throw new Error(`${phase}: read ${r.packets} packets, expected ${packets}`);
      results.get(phase)!.push(r);
    }
  }
  const tshark = withTshark ? timeShell(`tshark -n -r '${file}' -T fields -e frame.number > /dev/null 2>&1`, pin) : null;
  return { tcpdump, tshark, results };
}

const LABEL: Record<Phase, string> = {
  read: 'read (CaptureFileReader)',
  decode: 'read + decodeFrame',
  avsc: 'read + decode + encode: batch objects, avsc',
  codec: 'read + decode + encode: batch objects, AvroCodec.encode',
  stream: 'read + decode + encode: PacketBatchWriter (record path, before)',
  fused: 'read + scan + write bytes: FrameBatchWriter (agent path)',
  pipeline: `the agent's FramePipeline (+ counters, routing to ${PIPELINE_PARTITIONS} partitions)`,
  cold: 'the same, first pass of a new process (JIT compiling)',
};

function print(t: Table, packets: number): void {
  const rows: string[][] = [['pass', 'packets/s', 'wall s', 'CPU s', 'packets/CPU-s', 'peak RSS MiB', '× tcpdump (wall)', '× tcpdump (CPU)']];
  const tdWall = median(t.tcpdump.map((x) => x.seconds));
  const tdCpu = median(t.tcpdump.map((x) => x.cpuSeconds));
  rows.push(['tcpdump -nr FILE > /dev/null', fmt(packets / tdWall), tdWall.toFixed(2), tdCpu.toFixed(2), fmt(packets / tdCpu), '', '1.00', '1.00']);
  if (t.tshark !== null) {
    const { seconds, cpuSeconds } = t.tshark;
    rows.push(['tshark -T fields -e frame.number', fmt(packets / seconds), seconds.toFixed(2), cpuSeconds.toFixed(2), fmt(packets / cpuSeconds), '',
      (tdWall / seconds).toFixed(2), (tdCpu / cpuSeconds).toFixed(2)]);
  }
  for (const [phase, rs] of t.results) {
    // CPU time is the fairer figure on a shared machine: wall time includes waiting for the core.
    const sec = median(rs.map((r) => r.seconds));
    const cpu = median(rs.map((x) => x.cpuSeconds));
    const rss = median(rs.map((x) => x.maxRssMiB));
    rows.push([LABEL[phase], fmt(packets / sec), sec.toFixed(2), cpu.toFixed(2), fmt(packets / cpu), rss.toFixed(0),
      (tdWall / sec).toFixed(2), (tdCpu / cpu).toFixed(2)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ')} |`;
  console.log(line(rows[0]));
  console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

async function main(): Promise<void> {
  const phaseArg = arg('phase', '');
  if (phaseArg) {
    for (let w = WARMUP; w > 0; w--) await runPhase(phaseArg as Phase, arg('file', ''));
    console.log(JSON.stringify(await runPhase(phaseArg as Phase, arg('file', ''))));
    return;
  }
  const packets = Number(arg('packets', '1000000'));
  if (process.argv.includes('--instructions')) return countedPasses(packets);
  const repeat = Number(arg('repeat', '3'));
  const pin = !process.argv.includes('--no-pin');
  const withTshark = process.argv.includes('--tshark');
  console.log(`node ${process.version}, ${pin ? 'every pass pinned to CPU 1 (taskset -c 1)' : 'not pinned'}, median of ${repeat} runs, each after ${WARMUP} unmeasured passes; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const mix of ['mixed', 'minimum'] as Mix[]) {
    const file = `${ROOT}.bench/agent-${mix}-v${MIX_VERSION}-${packets}.pcap`;
    const t0 = Date.now();
    ensureMixedCapture(file, packets, 1, mix);
    const size = statSync(file).size;
    console.log(`\n${mix === 'mixed' ? 'Mixed traffic' : 'Minimum-size frames (60 B)'}: ${file}`);
    console.log(`${fmt(packets)} packets, ${(size / 1e6).toFixed(1)} MB, ${(size / packets - 16).toFixed(0)} B/frame on average (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    const phases: Phase[] = mix === 'mixed' ? ['read', 'decode', 'avsc', 'codec', 'stream', 'fused', 'pipeline', 'cold'] : ['read', 'decode', 'codec', 'stream', 'fused', 'pipeline', 'cold'];
    const t = measure(file, packets, phases, repeat, pin, withTshark && mix === 'mixed');
    print(t, packets);
    const e = t.results.get('stream')![0];
    const c = t.results.get('codec')![0];
    if (e.bytesOut !== c.bytesOut) throw new Error(`PacketBatchWriter wrote ${e.bytesOut} bytes, AvroCodec.encode ${c.bytesOut}`);
    const fz = t.results.get('fused')![0];
    if (fz.bytesOut !== c.bytesOut) throw new Error(`FrameBatchWriter wrote ${fz.bytesOut} bytes, AvroCodec.encode ${c.bytesOut}`);
    console.log(`\nencode: ${fmt(e.messages)} PacketBatch messages of ${BATCH} records, ${(e.bytesOut / 1e6).toFixed(1)} MB of Avro (${(e.bytesOut / packets).toFixed(0)} B/record), ${fmt(e.decodeErrors)} decode errors`);
  }
}

/**
 * --instructions: the whole child process of the fused and the pipeline pass, counted (valgrind, node
 * --single-threaded): on this VM a pass's time moves by ±25 % within minutes, its instruction count by under 1 %.
 */
async function countedPasses(packets: number): Promise<void> {
  requireValgrind();
  console.log('counted: instructions of the whole child process of a pass (valgrind --tool=cachegrind, node --single-threaded)');
  for (const mix of ['mixed', 'minimum'] as Mix[]) {
    const file = `${ROOT}.bench/agent-${mix}-v${MIX_VERSION}-${packets}.pcap`;
    ensureMixedCapture(file, packets, 1, mix);
    const count = (phase: Phase) => countInstructions([...process.execArgv, ...childArgs(phase, file, 0)]);
    const [fused, pipeline] = await Promise.all([count('fused'), count('pipeline')]);
    const M = (n: number) => `${fmt(Math.round(n / 1e6))} M (${fmt(n / packets)} per frame)`;
    console.log(`  ${mix}, ${fmt(packets)} frames: FrameBatchWriter ${M(fused.instructions)}, FramePipeline ${M(pipeline.instructions)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
