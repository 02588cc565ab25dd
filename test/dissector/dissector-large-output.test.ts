/**
 * A worker with the default fetch size (8 MiB per partition) whose fetched
 * batch yields more than the broker's message.max.bytes (1 MiB) of enriched
 * output for one partition: kafkajs would make that one record batch, the
 * broker would refuse it (MESSAGE_TOO_LARGE) on every retry, and the
 * partition would stall for good. The worker must send it in bounded
 * requests within the one transaction and deliver every record once.
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroCodec, createLogger, SCHEMA_NAMES, type EnrichedBatch, type PacketBatch } from '@streamlens/common';
import { Dissector, DissectorService } from '@streamlens/dissector';
import { batchesFromCapture, SHARED_CAPTURES } from '../helpers/capture-batches.js';
import { testKafka, uniqueName } from '../harness/context.js';

const codec = AvroCodec.forStreamLens();
const prefix = uniqueName('dislarge');
const topics = { packets: `${prefix}.packets`, enriched: `${prefix}.enriched`, dlq: `${prefix}.dlq` };
let admin: Admin;
let records = 0;
let inputBytes = 0;

beforeAll(async () => {
  admin = testKafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.packets, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // 400 Chapter 10 datagrams per message is ~0.2 MB in, and as much out with the payload kept.
  const batches: PacketBatch[] = await batchesFromCapture(`${SHARED_CAPTURES}/ch10udp_derived/c10net_pychapter10_ethernet.pcap`, { batchSize: 400 });
  for (let i = 0; i < 16; i++) {
    const b = { ...batches[i % batches.length], batch_seq: i }; // the capture holds ~1.2 MB: its batches again, as new batches
    const value = codec.encode(SCHEMA_NAMES.packetBatch, b);
    records += b.records.length;
    inputBytes += value.length;
    await producer.send({ topic: topics.packets, acks: -1, messages: [{ value }] });
  }
  await producer.disconnect();
}, 120_000);

afterAll(async () => {
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
  await admin.disconnect();
});

describe('dissector service output larger than one produce request', () => {
  it('splits a fetched batch\'s output under message.max.bytes and delivers it exactly once', async () => {
    expect(inputBytes).toBeGreaterThan(2.5 * 1024 * 1024);
    const service = new DissectorService(testKafka(), new Dissector({ keepPayload: true }), {
      topicPrefix: prefix, groupId: `${prefix}-workers`, instanceId: 'large', createTopics: true, enrichedPartitions: 1,
      replicationFactor: 1, transactionTimeout: 60_000, maxBatchBytes: 8 * 1024 * 1024, concurrency: 1, sessionTimeout: 10_000,
    }, createLogger({ service: 'test', level: 'silent' }));
    await service.start();
    try {
      const deadline = Date.now() + 60_000;
      while (service.metrics.recordsIn.value < records && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(service.metrics.transactions.labels('aborted').value).toBe(0);
      expect(service.metrics.recordsIn.value).toBe(records);
    } finally {
      await service.stop();
    }
    // At least one transaction covered more than 1 MiB of output for the one enriched partition.
    expect(service.metrics.transactions.labels('committed').value).toBeLessThan(16);

    const consumer = testKafka().consumer({ groupId: uniqueName('verify'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.enriched, fromBeginning: true });
    const seen = new Map<string, number>();
    let total = 0;
    let outBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${total} of ${records} records arrived`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          outBytes += message.value!.length;
          const batch = codec.decode<EnrichedBatch>(message.value!, SCHEMA_NAMES.enrichedBatch).value;
          for (const r of batch.records) {
            const id = `${batch.batch_seq}/${r.packet.frame_no}`;
            seen.set(id, (seen.get(id) ?? 0) + 1);
            total++;
          }
          if (total >= records) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show
    await consumer.disconnect();
    expect(total).toBe(records);
    expect(seen.size).toBe(records);
    expect(outBytes).toBeGreaterThan(2.5 * 1024 * 1024);
  }, 180_000);
});
