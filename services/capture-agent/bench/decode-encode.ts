/**
 * npm run bench:agent — read + decode + Avro-encode throughput of the capture
 * agent on a large generated capture, without Kafka, beside tcpdump (and
 * optionally tshark) reading the same file in the same run.
 *
 *   npm run bench:agent [-- --packets N] [--repeat R] [--tshark] [--no-pin]
 *
 * Every measured pass runs in a fresh child process pinned to one CPU core
 * (taskset), so its peak RSS is its own and it cannot borrow a second core;
 * tcpdump and tshark are pinned to the same core. Phases:
 *   read     frames from CaptureFileReader only
 *   decode   + decodeFrame into reused PacketRecords
 *   avsc     + PacketBatch messages of 1000 records encoded by avsc's generic writer
 *   encode   + PacketBatch messages encoded by AvroCodec.encode (what the agent runs)
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AvroCodec, emptyPacketRecord, SCHEMA_NAMES, type PacketBatch, type PacketRecord } from '@streamlens/common';
import { CaptureFileReader, decodeFrameAt, DEFAULT_PAYLOAD_CAP } from '@streamlens/capture-agent';
import { ensureMixedCapture, MIX_VERSION } from './mixed-capture.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const BATCH = 1000;

type Phase = 'read' | 'decode' | 'avsc' | 'encode';

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

async function runPhase(phase: Phase, file: string): Promise<PhaseResult> {
  const codec = AvroCodec.forStreamLens();
  const type = codec.type(SCHEMA_NAMES.packetBatch);
  const header = Buffer.from(`c301${BigInt(`0x${codec.fingerprint(SCHEMA_NAMES.packetBatch)}`).toString(16).padStart(16, '0').match(/../g)!.reverse().join('')}`, 'hex');
  const pool: PacketRecord[] = Array.from({ length: BATCH }, () => emptyPacketRecord());
  const batch: PacketBatch = {
    agent_id: 'bench-host', interface: 'file', link_type: 1, agent_run: 'bench-run', batch_seq: 0, base_ts_ns: 0n, sample_rate: 1, records: pool,
  };
  let n = 0;
  let inBatch = 0;
  let baseSec = 0;
  let baseNs = 0;
  let messages = 0;
  let bytesOut = 0;
  let decodeErrors = 0;
  const flush = () => {
    if (inBatch === 0) return;
    batch.records = inBatch === BATCH ? pool : pool.slice(0, inBatch);
    const msg = phase === 'avsc' ? Buffer.concat([header, type.toBuffer(batch)]) : codec.encode(SCHEMA_NAMES.packetBatch, batch);
    bytesOut += msg.length;
    messages++;
    batch.batch_seq++;
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
        const rec = pool[inBatch];
        if (inBatch === 0) {
          baseSec = f.tsSec;
          baseNs = f.tsNs;
          batch.base_ts_ns = BigInt(baseSec) * 1_000_000_000n + BigInt(baseNs);
        }
        decodeFrameAt(f.linkType, f.buf, f.offset, f.capLen, f.wireLen, rec, DEFAULT_PAYLOAD_CAP);
        rec.frame_no = f.frameNo;
        rec.ts_offset_ns = (f.tsSec - baseSec) * 1e9 + (f.tsNs - baseNs);
        if (rec.decode_error !== null) decodeErrors++;
        if (phase === 'decode') {
          if (n % BATCH === 0) reader.releaseFramesBefore(f.frameNo + 1);
          continue;
        }
        if (++inBatch === BATCH) {
          flush();
          // Every record so far is encoded: the reader may reuse their chunks.
          reader.releaseFramesBefore(f.frameNo + 1);
        }
      }
    } while (await reader.fill());
  } finally {
    await reader.close();
  }
  if (phase === 'avsc' || phase === 'encode') flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    phase, packets: n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024,
    pageFaults: process.resourceUsage().minorPageFault - faults0,
    messages, bytesOut, decodeErrors,
  };
}

function pinned(cmd: string[], pin: boolean): string[] {
  return pin ? ['taskset', '-c', '1', ...cmd] : cmd;
}

function timeCommand(cmd: string[]): { seconds: number; ok: boolean; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, ok: r.status === 0, stderr: String(r.stderr ?? '').trim() };
}

function child(phase: Phase, file: string, pin: boolean): PhaseResult {
  const r = spawnSync(pinned([process.execPath, SELF, '--phase', phase, '--file', file], pin)[0],
    pinned([process.execPath, SELF, '--phase', phase, '--file', file], pin).slice(1), { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`phase ${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PhaseResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  const phaseArg = arg('phase', '');
  if (phaseArg) {
    console.log(JSON.stringify(await runPhase(phaseArg as Phase, arg('file', ''))));
    return;
  }
  const packets = Number(arg('packets', '1000000'));
  const repeat = Number(arg('repeat', '3'));
  const pin = !process.argv.includes('--no-pin');
  const file = `${ROOT}.bench/agent-mixed-v${MIX_VERSION}-${packets}.pcap`;
  const t0 = Date.now();
  ensureMixedCapture(file, packets);
  const size = statSync(file).size;
  console.log(`capture: ${file} (${fmt(packets)} packets, ${(size / 1e6).toFixed(1)} MB, avg ${(size / packets - 16).toFixed(0)} B/frame; ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`node ${process.version}, ${pin ? 'every pass pinned to CPU 1 (taskset -c 1)' : 'not pinned'}, median of ${repeat} runs\n`);

  // Warm the page cache so every contender reads from memory.
  timeCommand(['cat', file]);
  const tcpdump: number[] = [];
  let tcpdumpErr = '';
  for (let i = 0; i < repeat; i++) {
    const r = timeCommand(pinned(['sh', '-c', `tcpdump -nr '${file}' > /dev/null`], pin));
    if (!r.ok) tcpdumpErr = r.stderr;
    tcpdump.push(r.seconds);
  }
  const results = new Map<Phase, PhaseResult[]>();
  for (const phase of ['read', 'decode', 'avsc', 'encode'] as Phase[]) {
    results.set(phase, Array.from({ length: repeat }, () => child(phase, file, pin)));
  }
  let tshark: number | null = null;
  if (process.argv.includes('--tshark')) {
    tshark = timeCommand(pinned(['sh', '-c', `tshark -n -r '${file}' -T fields -e frame.number > /dev/null 2>&1`], pin)).seconds;
  }

  const tcpdumpSec = median(tcpdump);
  const tcpdumpPps = packets / tcpdumpSec;
  const rows: string[][] = [['pass', 'packets/s', 'wall s', 'CPU s', 'peak RSS MiB', 'vs tcpdump']];
  rows.push(['tcpdump -nr FILE > /dev/null', fmt(tcpdumpPps), tcpdumpSec.toFixed(2), '', '', '1.00×']);
  if (tshark !== null) rows.push(['tshark -T fields -e frame.number', fmt(packets / tshark), tshark.toFixed(2), '', '', `${(tshark === 0 ? 0 : tcpdumpSec / tshark).toFixed(2)}×`]);
  const label: Record<Phase, string> = {
    read: 'read (CaptureFileReader)',
    decode: 'read + decodeFrame',
    avsc: 'read + decode + encode (avsc generic writer)',
    encode: 'read + decode + encode (AvroCodec.encode)',
  };
  for (const [phase, rs] of results) {
    const sec = median(rs.map((r) => r.seconds));
    const r = rs.find((x) => x.seconds === sec)!;
    if (r.packets !== packets) throw new Error(`${phase}: read ${r.packets} packets, expected ${packets}`);
    rows.push([label[phase], fmt(packets / sec), sec.toFixed(2), r.cpuSeconds.toFixed(2), r.maxRssMiB.toFixed(0), `${(tcpdumpSec / sec).toFixed(2)}×`]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(`| ${r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ')} |`);
  const enc = results.get('encode')!;
  const e = enc[0];
  console.log(`\nencode pass: ${fmt(e.messages)} PacketBatch messages, ${(e.bytesOut / 1e6).toFixed(1)} MB of Avro (${(e.bytesOut / packets).toFixed(0)} B/record), ${fmt(e.decodeErrors)} decode errors`);
  if (tcpdumpErr) console.log(`tcpdump stderr: ${tcpdumpErr}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
