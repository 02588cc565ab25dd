/** Read every message of a topic with a read_committed consumer (tests of what the agent published). */
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, SCHEMA_NAMES, type PacketBatch } from '@streamlens/common';

export interface TopicMessage {
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
}

/**
 * All messages up to each partition's end offset as it stands when called
 * (read_committed), in partition order then offset order.
 */
export async function readTopic(brokers: string[], topic: string, timeoutMs = 30_000): Promise<TopicMessage[]> {
  const kafka = new Kafka({ clientId: 'topic-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const out: TopicMessage[] = [];
  if ([...want.values()].every((h) => h === 0)) return out;
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random().toString(36).slice(2)}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}: have ${out.length} messages, want offsets ${JSON.stringify([...want])}`)), timeoutMs);
    const reached = new Map<number, number>();
    const check = () => {
      for (const [p, high] of want) if ((reached.get(p) ?? 0) < high) return;
      clearTimeout(timer);
      resolve();
    };
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0) });
        reached.set(partition, Number(message.offset) + 1);
        check();
      },
    });
    check();
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const codec = AvroCodec.forStreamLens();

export function decodeBatch(m: TopicMessage): PacketBatch {
  return codec.decode<PacketBatch>(m.value, SCHEMA_NAMES.packetBatch).value;
}
