/** Smoke test: an Avro packet batch through a real Kafka topic and back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { AvroCodec, AvroSchemaError, SCHEMA_NAMES, type PacketBatch } from '@streamlens/common';
import { samplePacketBatch } from '@streamlens/common/testing';
import { testKafka, uniqueName } from '../harness/context.js';

const codec = AvroCodec.forStreamLens();
const kafka = testKafka();
let admin: Admin;
let producer: Producer;
let consumer: Consumer;
const topic = uniqueName('smoke_packets');

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  consumer = kafka.consumer({ groupId: uniqueName('smoke') });
  await consumer.connect();
});

afterAll(async () => {
  await Promise.allSettled([producer?.disconnect(), consumer?.disconnect()]);
  await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin?.disconnect();
});

describe('Kafka + Avro', () => {
  it('delivers a packet batch field-identical, and a malformed message is rejected with the clear error', async () => {
    const batch = samplePacketBatch(4);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'flow-1', value: codec.encode(SCHEMA_NAMES.packetBatch, batch) },
        { key: 'junk', value: Buffer.from('not avro at all') },
      ],
    });
    const received: Buffer[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for messages')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value!);
          if (received.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    const decoded = codec.decode<PacketBatch>(received[0], SCHEMA_NAMES.packetBatch);
    expect(decoded.value).toEqual(batch);
    expect(decoded.value.base_ts_ns).toBe(batch.base_ts_ns);
    expect(() => codec.decode(received[1])).toThrow(AvroSchemaError);
    expect(() => codec.decode(received[1])).toThrow(/not an Avro single-object message/);
  });
});
