/**
 * The dissector worker through the real CLI against a real broker: scale-out
 * in one group, a worker SIGKILLed mid-run and replaced, SIGTERM drains and
 * exits 0, malformed messages go to the DLQ, and every input record appears
 * exactly once on the enriched topic (read_committed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroCodec, RecordRouter, SCHEMA_NAMES, type EnrichedBatch, type PacketBatch } from '@streamlens/common';
import { batchesFromCapture, SHARED_CAPTURES } from '../helpers/capture-batches.js';
import { testBrokers, testKafka, uniqueName } from '../harness/context.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const codec = AvroCodec.forStreamLens();
const prefix = uniqueName('dis');
const group = `${prefix}-workers`;
const topics = { packets: `${prefix}.packets`, enriched: `${prefix}.enriched`, dlq: `${prefix}.dlq` };
const PARTITIONS = 4;
const workers: ChildProcess[] = [];
let admin: Admin;
const expected = new Map<string, string>(); // record id → capture file
const continuation = new Set<string>(); // records that are Chapter 10 continuation segments (no packet header)
let inputMessages = 0;

function worker(): ChildProcess {
  const w = spawn(process.execPath, [BIN, 'dissector', '--kafka-brokers', testBrokers().join(','), '--topic-prefix', prefix,
    '--group-id', group, '--metrics-port', '0', '--max-batch-bytes', '65536', '--session-timeout', '6s', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  w.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  (w as ChildProcess & { errText: () => string }).errText = () => err;
  workers.push(w);
  return w;
}

const exited = (w: ChildProcess) => new Promise<number | null>((resolve) => {
  if (w.exitCode !== null || w.signalCode !== null) resolve(w.exitCode);
  else w.once('exit', (code) => resolve(code));
});

async function committedTotal(): Promise<number> {
  const offs = await admin.fetchOffsets({ groupId: group, topics: [topics.packets] });
  return offs[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

beforeAll(async () => {
  admin = testKafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.packets, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  const files = ['ptp/tcpdump_ptp_ethernet.pcap', 'iena/acranetwork_ienad.pcap', 'ch10udp/c10-tools_test.pcap', 'ch10udp_derived/c10net_pychapter10_ethernet.pcap'];
  const messages: { partition: number; value: Buffer }[] = [];
  for (const agent of ['agent-a', 'agent-b', 'agent-c']) {
    for (const f of files) {
      const batches: PacketBatch[] = await batchesFromCapture(`${SHARED_CAPTURES}/${f}`, { agentId: agent, agentRun: `${agent}-${f}`, batchSize: 20 });
      const router = new RecordRouter(agent, 'eth0');
      for (const b of batches) {
        for (const r of b.records) {
          const id = `${b.agent_run}/${b.batch_seq}/${r.frame_no}`;
          expected.set(id, f);
          // Format 1 segmented transfer header with a non-zero segment offset: a slice without the packet header.
          if (r.payload.length >= 12 && r.payload[0] === 0x11 && r.payload.readUInt32LE(8) !== 0) continuation.add(id);
        }
        messages.push({ partition: router.partitionOf(b.records[0], PARTITIONS), value: codec.encode(SCHEMA_NAMES.packetBatch, b) });
      }
    }
  }
  // Two messages no worker can decode: they must land in the DLQ, not stop a partition.
  messages.splice(100, 0, { partition: 1, value: Buffer.from('definitely not avro') });
  const bad = codec.encode(SCHEMA_NAMES.packetBatch, (await batchesFromCapture(`${SHARED_CAPTURES}/ptp/tcpdump_ptp.pcap`))[0]);
  messages.splice(300, 0, { partition: 2, value: bad.subarray(0, bad.length - 9) });
  inputMessages = messages.length;
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // kafkajs puts a partition's messages of one send into one record batch, which max.message.bytes (1 MB) bounds.
  for (let i = 0; i < messages.length; i += 10) await producer.send({ topic: topics.packets, acks: -1, messages: messages.slice(i, i + 10) });
  await producer.disconnect();
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
  await admin.disconnect();
});

describe('dissector service', () => {
  it('scales out, survives a SIGKILLed worker, drains on SIGTERM, and delivers every record exactly once', async () => {
    const a = worker();
    const b = worker();
    // Kill one worker once work is committed but before the end.
    const deadline = Date.now() + 120_000;
    while ((await committedTotal()) < inputMessages / 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await committedTotal()).toBeLessThan(inputMessages);
    a.kill('SIGKILL');
    const c = worker();
    while ((await committedTotal()) < inputMessages && Date.now() < deadline + 120_000) await new Promise((r) => setTimeout(r, 250));
    const stderr = (w: ChildProcess) => (w as ChildProcess & { errText: () => string }).errText().slice(-2000);
    expect(await committedTotal(), `workers' stderr:\n${stderr(b)}\n${stderr(c)}`).toBe(inputMessages);
    b.kill('SIGTERM');
    c.kill('SIGTERM');
    expect(await exited(b)).toBe(0);
    expect(await exited(c)).toBe(0);

    // Read everything back as a downstream consumer would (read_committed).
    const consumer = testKafka().consumer({ groupId: uniqueName('verify'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.enriched, topics.dlq], fromBeginning: true });
    const seen = new Map<string, number>();
    const frameTypes = new Map<string, Set<string>>();
    const dlq: Record<string, string>[] = [];
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${total} of ${expected.size} records and ${dlq.length} dead letters arrived`)), 60_000);
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (topic === topics.dlq) {
            dlq.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
          } else {
            const batch = codec.decode<EnrichedBatch>(message.value!, SCHEMA_NAMES.enrichedBatch).value;
            for (const r of batch.records) {
              const id = `${batch.agent_run}/${batch.batch_seq}/${r.packet.frame_no}`;
              seen.set(id, (seen.get(id) ?? 0) + 1);
              const file = expected.get(id) ?? 'unexpected';
              if (!frameTypes.has(file)) frameTypes.set(file, new Set());
              const family = r.frame_type.replace(/^(CH10|PTP|IENA)-.*/, '$1');
              // A worker that takes over a flow mid-transfer has not seen its packet start: the continuation
              // slices before the flow's next packet header are plain UDP (docs/frame-types.md). Nothing else may be.
              frameTypes.get(file)!.add(family === 'UDP' && continuation.has(id) ? 'CH10' : family);
              total++;
            }
          }
          if (total >= expected.size && dlq.length >= 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    const duplicates = [...seen].filter(([, n]) => n > 1);
    const missing = [...expected.keys()].filter((id) => !seen.has(id));
    expect(duplicates).toEqual([]);
    expect(missing).toEqual([]);
    expect(total).toBe(expected.size);
    expect(dlq.map((h) => h['streamlens-reason']).sort()).toEqual(['malformed_avro', 'unknown_schema']);
    expect(dlq.every((h) => /^.+\/\d+\/\d+$/.test(h['streamlens-source']))).toBe(true);
    expect([...frameTypes.get('ptp/tcpdump_ptp_ethernet.pcap')!]).toEqual(['PTP']);
    expect([...frameTypes.get('iena/acranetwork_ienad.pcap')!]).toEqual(['IENA']);
    expect(frameTypes.get('ch10udp/c10-tools_test.pcap')!).toEqual(new Set(['CH10']));
    expect(frameTypes.has('unexpected')).toBe(false);
  }, 420_000);

  it('stops on a SIGTERM that arrives while it is still starting', async () => {
    // A worker that was told to stop during start-up used to carry on starting, and then ran for good.
    const w = spawn(process.execPath, [BIN, 'dissector', '--kafka-brokers', testBrokers().join(','), '--topic-prefix', prefix,
      '--group-id', `${group}-early-stop`, '--metrics-port', '0', '--session-timeout', '6s', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
    workers.push(w);
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line in 30 s: ${err}`)), 30_000);
      w.stderr!.on('data', (d: Buffer) => {
        const first = !err.includes('dissector starting');
        err += d.toString();
        if (first && err.includes('dissector starting')) {
          clearTimeout(timer);
          w.kill('SIGTERM'); // its signal handler is in place by then; start() has just begun
          resolve();
        }
      });
    });
    const code = await Promise.race([exited(w), new Promise<string>((r) => setTimeout(() => r('still running 30 s after SIGTERM'), 30_000))]);
    expect(code, err.slice(-2000)).toBe(0);
  }, 90_000);
});
