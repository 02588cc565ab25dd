/**
 * npm run bench:dissector:kafka: the Kafka-bound rate of one dissector
 * worker, beside its rate without Kafka and tshark on the same capture, all
 * in the same invocation.
 *
 *   npm run bench:dissector:kafka [-- --records N] [--partitions P] [--concurrency C] [--repeat R] [--no-pin] [--no-tshark]
 *
 * The capture is bench:dissector's mixed stream (mixed-traffic.ts), turned
 * into PacketBatch messages once (packet-messages.ts, cached in .bench/).
 * Kafka: KAFKA_BROKERS if set, else a local broker started for the run
 * (deploy/local), pinned to CPU 0. Each measured pass runs in a fresh child
 * process pinned to CPU 1, so the worker has one core and the broker the
 * other; tshark is pinned to CPU 1 as well.
 *
 * Passes:
 *   tshark   tshark -r FILE -T fields -e frame.protocols > /dev/null (reference)
 *   memory   MessageDissector over the messages held in memory (the worker's path without Kafka)
 *   kafka    the real DissectorService (consume, dissect, produce and commit
 *            offsets in one transaction per fetched batch, exactly once) on a
 *            fresh packets topic filled before the clock starts; timed from
 *            the group join to the commit of the last record. Afterwards a
 *            read_committed consumer counts the enriched records: every input
 *            record must be there exactly once, and the DLQ must be empty.
 * Both dissector passes warm the JIT on the first messages first, as a
 * long-running worker is warm.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { AvroCodec, createLogger, SCHEMA_NAMES, topicNames, type EnrichedBatch } from '@streamlens/common';
import { Dissector, DissectorService, MessageDissector } from '@streamlens/dissector';
import { ensureMix, MIX_VERSION } from './mixed-traffic.js';
import { packetMessageChunks } from './packet-messages.js';

const SELF = fileURLToPath(import.meta.url);
const BENCH_DIR = resolve(process.env.STREAMLENS_BENCH_DIR ?? '.bench');
const CAPTURES = process.env.STREAMLENS_CAPTURES_DIR ?? CAPTURES_DIR;
/** Messages dissected (and thrown away) before a measured pass. */
const WARM_MESSAGES = 100;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

interface PassResult {
  pass: string;
  records: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  transactions?: number;
}

/** The PacketBatch messages, length-prefixed (u32 LE) in one file the passes share. */
async function ensureMessages(pcap: string, file: string, batch: number): Promise<void> {
  if (existsSync(file)) return;
  const codec = AvroCodec.forStreamLens();
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  const len = Buffer.alloc(4);
  try {
    for await (const chunk of packetMessageChunks(pcap, codec, batch, 100)) {
      for (const m of chunk) {
        len.writeUInt32LE(m.length);
        writeSync(fd, len);
        writeSync(fd, m);
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The first `limit` messages of the file (all by default). */
function readMessages(file: string, limit = Infinity): Buffer[] {
  const out: Buffer[] = [];
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(4);
    for (let pos = 0; out.length < limit && readSync(fd, len, 0, 4, pos) === 4; pos += 4 + len.readUInt32LE(0)) {
      const m = Buffer.allocUnsafe(len.readUInt32LE(0));
      if (readSync(fd, m, 0, m.length, pos + 4) !== m.length) throw new Error(`${file}: truncated`);
      out.push(m);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function warmUp(file: string): void {
  const stage = new MessageDissector(new Dissector());
  for (const m of readMessages(file, WARM_MESSAGES)) stage.dissect(m);
}

/** `partitions`: of the enriched topic, as the worker's (it creates the enriched topic with as many as the packets topic). */
function memoryPass(file: string, partitions: number): PassResult {
  warmUp(file);
  const messages = readMessages(file);
  const stage = new MessageDissector(new Dissector(), AvroCodec.forStreamLens(), partitions);
  let records = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const m of messages) records += stage.dissect(m).records;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { pass: 'memory', records, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

async function kafkaPass(file: string, brokers: string, prefix: string, records: number, concurrency: number): Promise<PassResult> {
  warmUp(file);
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const kafka = new Kafka({ clientId: 'bench-dissector', brokers: [brokers], logLevel: logLevel.NOTHING });
  const service = new DissectorService(kafka, new Dissector(), {
    topicPrefix: prefix, groupId: `${prefix}-dissector`, instanceId: 'bench', createTopics: true, replicationFactor: 1,
    transactionTimeout: 60_000, maxBatchBytes: 8 * 1024 * 1024, concurrency,
  }, logger);
  await service.start(); // topic creation and the group join are not timed
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + 600_000;
  while (service.metrics.recordsIn.value < records) {
    if (performance.now() > deadline) throw new Error(`timed out at ${service.metrics.recordsIn.value} of ${records} records`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await service.stop();
  return {
    pass: 'kafka', records: service.metrics.recordsIn.value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024, transactions: service.metrics.transactions.labels('committed').value,
  };
}

/** Fills `<prefix>.packets` with the messages (before the clock), spread over the partitions. */
async function fillTopic(kafka: Kafka, prefix: string, partitions: number, messages: Buffer[]): Promise<void> {
  const topic = topicNames(prefix).packets;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // One message per partition per request: a request's messages to one partition form one record batch, which the broker caps (1 MB by default).
  for (let i = 0; i < messages.length; i += partitions) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + partitions).map((value, k) => ({ partition: (i + k) % partitions, value })) });
  }
  await producer.disconnect();
}

/** Enriched records visible to read_committed consumers, and DLQ messages. */
async function countOutput(kafka: Kafka, prefix: string, expected: number): Promise<{ records: number; dlq: number }> {
  const topics = topicNames(prefix);
  const codec = AvroCodec.forStreamLens();
  const admin = kafka.admin();
  await admin.connect();
  const end = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  const dlq = await end(topics.dlq);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${prefix}-count`, readUncommitted: false, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.enriched, fromBeginning: true });
  let records = 0;
  const done = new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`counted ${records} of ${expected} enriched records`)), 300_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        records += codec.decode<EnrichedBatch>(message.value!, SCHEMA_NAMES.enrichedBatch).value.records.length;
        if (records >= expected) {
          clearTimeout(timer);
          res();
        }
      },
    });
  });
  try {
    await done;
    await new Promise((r) => setTimeout(r, 1000)); // anything past the expected count would be a duplicate
  } finally {
    await consumer.disconnect();
  }
  return { records, dlq };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const pass = arg('pass', '');
  if (pass === 'memory') return void console.log(JSON.stringify(memoryPass(arg('msgs', ''), Number(arg('partitions', '4')))));
  if (pass === 'kafka') {
    const r = await kafkaPass(arg('msgs', ''), arg('brokers', ''), arg('prefix', ''), Number(arg('records', '0')), Number(arg('concurrency', '2')));
    return void console.log(JSON.stringify(r));
  }

  const recordsWanted = Number(arg('records', '1000000'));
  const share = Number(arg('telemetry', '0.35'));
  const seed = Number(arg('seed', '7'));
  const batch = Number(arg('batch', '1000'));
  const partitions = Number(arg('partitions', '4'));
  const concurrency = Number(arg('concurrency', '2'));
  const repeat = Number(arg('repeat', '3'));
  const pin = process.platform === 'linux' && !process.argv.includes('--no-pin');
  const cpu = pin ? 1 : undefined;

  const mix = await ensureMix(BENCH_DIR, CAPTURES, { records: recordsWanted, telemetryShare: share, seed });
  const msgsFile = resolve(BENCH_DIR, `dissector-kafka-v${MIX_VERSION}-${recordsWanted}-${share}-${seed}-${batch}.msgs`);
  await ensureMessages(mix.path, msgsFile, batch);
  const messages = readMessages(msgsFile);
  const { benchChild, benchmarkKafka, pinnedCommand } = await import('@streamlens/local-infra');
  const child = (args: string[], cpu: number | undefined) => benchChild<PassResult>(SELF, args, cpu);
  const memory = Array.from({ length: repeat }, () => child(['--pass', 'memory', '--msgs', msgsFile, '--partitions', String(partitions)], cpu));
  const records = memory[0].records;
  const bytes = messages.reduce((n, m) => n + m.length, 0);

  const broker = await benchmarkKafka(pin ? 0 : undefined);
  const brokers = broker.broker;
  try {
    const kafka = new Kafka({ clientId: 'bench-dissector-driver', brokers: [brokers], logLevel: logLevel.NOTHING });
    const viaKafka: PassResult[] = [];
    for (let i = 0; i < repeat; i++) {
      const prefix = `bench-d${Date.now().toString(36)}${i}`;
      await fillTopic(kafka, prefix, partitions, messages);
      const r = child(['--pass', 'kafka', '--msgs', msgsFile, '--brokers', brokers, '--prefix', prefix, '--records', String(records),
        '--concurrency', String(concurrency)], cpu);
      const out = await countOutput(kafka, prefix, records);
      if (out.records !== records || out.dlq !== 0) {
        throw new Error(`${prefix}: ${out.records} enriched records for ${records} in, ${out.dlq} DLQ messages`);
      }
      viaKafka.push(r);
    }

    let tsharkSeconds = NaN;
    if (!process.argv.includes('--no-tshark')) {
      const cmd = pinnedCommand(['sh', '-c', `tshark -r '${mix.path}' -T fields -e frame.protocols > /dev/null`], cpu);
      const t0 = performance.now();
      const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });
      if (r.status === 0) tsharkSeconds = (performance.now() - t0) / 1000;
    }

    console.log(`capture: ${mix.path} (${fmt(records)} records, ${Math.round(share * 100)} % telemetry by construction), ` +
      `${fmt(messages.length)} PacketBatch messages (${(bytes / 1e6).toFixed(0)} MB, ${batch} records each)`);
    console.log(`${broker.description}; packets topic with ${partitions} partitions, worker concurrency ${concurrency}; node ${process.version}; ` +
      `${pin ? 'worker and tshark pinned to CPU 1, broker to CPU 0' : 'not pinned'}; median of ${repeat} runs\n`);
    const tsharkRate = records / tsharkSeconds;
    const rows: [string, number, number, number, number][] = [];
    if (!Number.isNaN(tsharkSeconds)) rows.push(['tshark -T fields -e frame.protocols (reference)', tsharkSeconds, tsharkRate, NaN, NaN]);
    for (const [name, rs] of [['worker without Kafka (MessageDissector)', memory], ['worker with Kafka (consume, dissect, produce, commit; exactly once)', viaKafka]] as const) {
      rows.push([name, median(rs.map((r) => r.seconds)), records / median(rs.map((r) => r.seconds)), median(rs.map((r) => r.cpuSeconds)), Math.max(...rs.map((r) => r.maxRssMiB))]);
    }
    console.log('| pass | seconds | records/s | vs tshark | worker CPU s | peak RSS MiB |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, s, rate, cpuS, rss] of rows) {
      console.log(`| ${name} | ${s.toFixed(2)} | ${fmt(rate)} | ${Number.isNaN(tsharkRate) ? '' : `${(rate / tsharkRate).toFixed(1)}×`} | ` +
        `${Number.isNaN(cpuS) ? '' : cpuS.toFixed(2)} | ${Number.isNaN(rss) ? '' : fmt(rss)} |`);
    }
    const kafkaRate = records / median(viaKafka.map((r) => r.seconds));
    const memRate = records / median(memory.map((r) => r.seconds));
    console.log(`\nwith Kafka / without: ${(kafkaRate / memRate).toFixed(2)}; ${fmt(median(viaKafka.map((r) => r.transactions ?? 0)))} transactions per run; ` +
      `every run's enriched topic held all ${fmt(records)} records once (read_committed), DLQ empty`);
    console.log(`\nJSON ${JSON.stringify({
      records, partitions, concurrency, memoryPerSec: Math.round(memRate), kafkaPerSec: Math.round(kafkaRate),
      tsharkPerSec: Number.isNaN(tsharkRate) ? null : Math.round(tsharkRate), memory, kafka: viaKafka,
    })}`);
  } finally {
    await broker.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
