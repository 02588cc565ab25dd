/**
 * Subscribe to the StreamLens enriched topic from TypeScript with the
 * project's codec (`@streamlens/common`) and kafkajs.
 *
 *   npx tsx docs/examples/typescript/consume-enriched.ts 127.0.0.1:9092 streamlens.enriched
 */
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, SCHEMA_NAMES, type EnrichedBatch, type EnrichedRecord } from '@streamlens/common';

export interface ConsumeOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  /** Called for every record with its absolute time in ns. */
  onRecord: (record: EnrichedRecord, tsNs: bigint, batch: EnrichedBatch) => void;
  /** Stop after this many messages (default: run until stopped). */
  maxMessages?: number;
}

export async function consumeEnriched(o: ConsumeOptions): Promise<void> {
  const codec = AvroCodec.forStreamLens();
  const consumer = new Kafka({ clientId: o.groupId, brokers: o.brokers, logLevel: logLevel.WARN })
    .consumer({ groupId: o.groupId, readUncommitted: false }); // the dissector writes in transactions
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        // decode() checks the single-object header and rejects unknown schemas with a clear error.
        const { value: batch } = codec.decode<EnrichedBatch>(message.value!, SCHEMA_NAMES.enrichedBatch);
        for (const r of batch.records) o.onRecord(r, batch.base_ts_ns + BigInt(r.packet.ts_offset_ns), batch);
        if (o.maxMessages !== undefined && ++seen >= o.maxMessages) resolve();
      },
    }).catch(reject);
  });
  await consumer.disconnect();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [brokers = '127.0.0.1:9092', topic = 'streamlens.enriched'] = process.argv.slice(2);
  await consumeEnriched({
    brokers: brokers.split(','),
    topic,
    groupId: 'streamlens-ts-example',
    onRecord: (r, ts) => console.log(ts, r.frame_type, r.packet.src_port, '->', r.packet.dst_port, r.ptp?.sequence_id ?? ''),
  });
}
