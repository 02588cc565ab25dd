import { describe, expect, it } from 'vitest';
import { AvroBodyError, AvroCodec, buildPublishedSchemas, SCHEMA_NAMES } from '@streamlens/common';
import { sampleEnrichedBatch } from '@streamlens/common/testing';
import { aggregatorReaderSchema, EnrichedDecoder } from './enriched-decoder.js';
import { flightTestScenario, routeIntoBatches } from './testing/synthetic-traffic.js';

const codec = AvroCodec.forStreamLens();

function viaResolver(): (m: Buffer) => unknown {
  const pruned = new AvroCodec([aggregatorReaderSchema()]);
  pruned.addWriterSchema(buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch)!);
  return (m) => pruned.decode(m).value;
}

describe('EnrichedDecoder (compiled projection reader)', () => {
  it('reads the enriched batch exactly as avsc schema resolution does, with every field of the contract populated', () => {
    const resolve = viaResolver();
    const decoder = new EnrichedDecoder();
    const messages = [
      codec.encode(SCHEMA_NAMES.enrichedBatch, sampleEnrichedBatch()),
      ...routeIntoBatches(flightTestScenario({ startNs: 1_732_000_000_000_000_000n, durationNs: 3_000_000_000n, backgroundFlows: 20 }),
        { agentId: 'a', iface: 'e', partitions: 2, batchRecords: 300 }).map((b) => codec.encode(SCHEMA_NAMES.enrichedBatch, b.batch)),
    ];
    for (const m of messages) {
      const got = decoder.decode(m);
      expect(got).toEqual(resolve(m));
      expect(typeof got.base_ts_ns).toBe('bigint');
    }
    // the sample's DNS record survives pruning to is_response
    expect(decoder.decode(messages[0]).records[0].packet.dns).toEqual({ is_response: true });
    // pooled decoding gives the same values, reusing its objects from one message to the next
    const pooled = new EnrichedDecoder();
    let previous: unknown;
    for (const m of [...messages, ...messages.slice().reverse()]) {
      const got = pooled.decodeReused(m);
      expect(got).toEqual(resolve(m));
      if (previous) expect(got).toBe(previous);
      previous = got;
    }
    const a = pooled.decodeReused(messages[1]).records[0];
    expect(pooled.decodeReused(messages[2]).records[0]).toBe(a);
  });

  it('rejects truncated, padded and garbage bodies instead of guessing', () => {
    const decoder = new EnrichedDecoder();
    const m = codec.encode(SCHEMA_NAMES.enrichedBatch, sampleEnrichedBatch());
    expect(() => decoder.decode(m.subarray(0, m.length - 7))).toThrow(AvroBodyError);
    expect(() => decoder.decode(Buffer.concat([m, Buffer.from([0])]))).toThrow(AvroBodyError);
    const garbage = Buffer.concat([m.subarray(0, 10), Buffer.alloc(64, 0xff)]);
    expect(() => decoder.decode(garbage)).toThrow(AvroBodyError);
    expect(() => decoder.decode(Buffer.from('hello'))).toThrow(/not an Avro single-object message/);
    expect(() => decoder.decodeReused(m.subarray(0, m.length - 7))).toThrow(AvroBodyError);
    expect(decoder.decodeReused(m)).toEqual(decoder.decode(m));
  });
});
