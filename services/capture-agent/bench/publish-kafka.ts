/**
 * npm run bench:agent:kafka — end-to-end publish rate of the capture agent:
 * the generated benchmark capture replayed at full speed through the real
 * agent (read, decode, batch, Avro, idempotent acks=all produce) into a real
 * local Kafka, beside the same agent pipeline with the Kafka send left out
 * and tcpdump reading the same file, all in the same run.
 *
 *   npm run bench:agent:kafka [-- --packets N] [--repeat R] [--partitions P] [--payload-cap N] [--no-pin]
 *
 * Kafka: KAFKA_BROKERS if set, else a local broker started for the run
 * (deploy/local), pinned to CPU 0. Each measured pass runs in a fresh child
 * process pinned to CPU 1 (taskset), so the agent has one core and the broker
 * the other; tcpdump is pinned to CPU 1 as well.
 *
 * Passes:
 *   tcpdump    tcpdump -nr FILE > /dev/null
 *   pipeline   the agent's frame pipeline (decode, sample, route, batch, Avro) with closed batches discarded
 *   kafka      the agent service replaying FILE into a fresh topic until Kafka acknowledged every batch
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvroCodec, createLogger, loadConfig, topicNames } from '@streamlens/common';
import {
  AgentMetrics, AgentService, agentOptions, CaptureFileReader, DEFAULT_PAYLOAD_CAP, FramePipeline,
} from '@streamlens/capture-agent';
import { ensureMixedCapture, MIX_VERSION } from './mixed-capture.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

interface PassResult {
  pass: string;
  packets: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  batches: number;
  bytes: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const silent = createLogger({ service: 'bench', level: 'silent' });

async function pipelinePass(file: string, payloadCap: number): Promise<PassResult> {
  const metrics = new AgentMetrics();
  const codec = AvroCodec.forStreamLens();
  let batches = 0;
  let bytes = 0;
  const clock = { ms: 0 };
  const pipelines: FramePipeline[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const reader = await CaptureFileReader.open(file);
  let n = 0;
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        const p = pipelines[f.interfaceIndex] ??= new FramePipeline(codec, {
          agentId: 'bench-host', agentRun: 'bench', interfaceName: String(f.interfaceIndex), linkType: f.linkType, sampleRate: 1,
          payloadCap, maxRecords: 4096, maxBytes: 512 * 1024, lingerMs: 100, partitionCount: 12,
          nextBatchSeq: () => batches, onSealed: (b) => { batches++; bytes += b.value.length; },
        }, metrics, silent, clock);
        p.frame(f.buf, f.offset, f.capLen, f.wireLen, f.tsSec, f.tsNs, f.frameNo);
        n++;
      }
      reader.releaseFramesBefore(n + 1);
    } while (await reader.fill());
  } finally {
    await reader.close();
  }
  for (const p of pipelines) p.batcher.flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { pass: 'pipeline', packets: n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024, batches, bytes };
}

async function kafkaPass(file: string, brokers: string, partitions: number, payloadCap: number): Promise<PassResult> {
  const prefix = `bench-${Date.now().toString(36)}`;
  const spool = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const { config } = loadConfig(agentOptions, {
    argv: ['--read', file, '--kafka-brokers', brokers, '--topic-prefix', prefix, '--create-topics', '--topic-partitions', String(partitions),
      '--topic-replication', '1', '--spool-dir', spool, '--metrics-port', '0', '--progress', 'never', '--log-level', 'warn', '--payload-cap', String(payloadCap)],
    env: {},
  });
  const agent = new AgentService(config, { logger: createLogger({ service: 'bench', level: 'warn' }) });
  await agent.start(); // topic creation is not timed
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const outcome = await agent.finished;
  await agent.stop();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  rmSync(spool, { recursive: true, force: true });
  const m = agent.metrics;
  if (!outcome.completed || m.recordsPublished.value !== m.captured.total()) {
    throw new Error(`not everything was published: ${m.recordsPublished.value} of ${m.captured.total()} records (${topicNames(prefix).packets})`);
  }
  return {
    pass: 'kafka', packets: m.recordsPublished.value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024, batches: m.batchesPublished.value, bytes: m.bytesPublished.value,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  const pass = arg('pass', '');
  const payloadCap = Number(arg('payload-cap', String(DEFAULT_PAYLOAD_CAP)));
  if (pass === 'pipeline') return void console.log(JSON.stringify(await pipelinePass(arg('file', ''), payloadCap)));
  if (pass === 'kafka') return void console.log(JSON.stringify(await kafkaPass(arg('file', ''), arg('brokers', ''), Number(arg('partitions', '12')), payloadCap)));

  const packets = Number(arg('packets', '1000000'));
  const repeat = Number(arg('repeat', '3'));
  const partitions = Number(arg('partitions', '12'));
  const pin = !process.argv.includes('--no-pin');
  const agentCpu = pin ? 1 : undefined;
  const file = `${ROOT}.bench/agent-mixed-v${MIX_VERSION}-${packets}.pcap`;
  ensureMixedCapture(file, packets);
  const size = statSync(file).size;
  const { benchChild, benchmarkKafka, pinnedCommand } = await import('@streamlens/local-infra');
  const child = (args: string[], cpu: number | undefined) => benchChild<PassResult>(SELF, args, cpu);
  const broker = await benchmarkKafka(pin ? 0 : undefined); // the agent gets CPU 1
  const brokers = broker.broker;
  try {
    console.log(`capture: ${file} (${fmt(packets)} packets, ${(size / 1e6).toFixed(1)} MB)`);
    console.log(`${broker.description}; topic with ${partitions} partitions, replication 1; payload cap ${payloadCap} bytes; node ${process.version}; ` +
      `${pin ? 'agent and tcpdump pinned to CPU 1, broker to CPU 0' : 'not pinned'}; median of ${repeat} runs\n`);
    spawnSync('cat', [file], { stdio: 'ignore' }); // page cache
    const tcpdump: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const cmd = pinnedCommand(['sh', '-c', `tcpdump -nr '${file}' > /dev/null 2>&1`], agentCpu);
      const t0 = process.hrtime.bigint();
      spawnSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });
      tcpdump.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const cap = ['--payload-cap', String(payloadCap)];
    const pipeline = Array.from({ length: repeat }, () => child(['--pass', 'pipeline', '--file', file, ...cap], agentCpu));
    const kafka = Array.from({ length: repeat }, () => child(['--pass', 'kafka', '--file', file, '--brokers', brokers, '--partitions', String(partitions), ...cap], agentCpu));
    const tcpdumpRate = packets / median(tcpdump);
    const rows: [string, number, number, number, number][] = [['tcpdump -nr (reference)', median(tcpdump), tcpdumpRate, NaN, NaN]];
    for (const [name, rs] of [['agent pipeline, no Kafka', pipeline], ['agent → Kafka (acks=all, idempotent)', kafka]] as const) {
      const s = median(rs.map((r) => r.seconds));
      rows.push([name, s, rs[0].packets / s, median(rs.map((r) => r.cpuSeconds)), Math.max(...rs.map((r) => r.maxRssMiB))]);
    }
    console.log('| pass | seconds | packets/s | vs tcpdump | agent CPU s | peak RSS MiB |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, s, rate, cpuS, rss] of rows) {
      console.log(`| ${name} | ${s.toFixed(2)} | ${fmt(rate)} | ${(rate / tcpdumpRate).toFixed(2)}× | ${Number.isNaN(cpuS) ? '' : cpuS.toFixed(2)} | ${Number.isNaN(rss) ? '' : fmt(rss)} |`);
    }
    const k = kafka[0];
    console.log(`\nkafka pass: ${fmt(k.batches)} messages, ${(k.bytes / 1e6).toFixed(1)} MB of Avro (${fmt(k.packets / k.batches)} records and ${fmt(k.bytes / k.batches / 1024)} KiB per message)`);
  } finally {
    await broker.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
