import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { AvroCodec, buildPublishedSchemas, SCHEMA_NAMES } from '@streamlens/common';
import { sampleEnrichedBatch } from '@streamlens/common/testing';
import { compileProjection, ProjectionError } from './avro-projection.js';
import { aggregatorReaderSchema, EnrichedDecoder } from './enriched-decoder.js';
import { flightTestScenario, routeIntoBatches } from './testing/synthetic-traffic.js';

const codec = AvroCodec.forStreamLens();

function viaResolver(): (m: Buffer) => unknown {
  const pruned = new AvroCodec([aggregatorReaderSchema()]);
  pruned.addWriterSchema(buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch)!);
  return (m) => pruned.decode(m).value;
}

describe('compiled projection reader', () => {
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
    expect(() => decoder.decode(m.subarray(0, m.length - 7))).toThrow(ProjectionError);
    expect(() => decoder.decode(Buffer.concat([m, Buffer.from([0])]))).toThrow(ProjectionError);
    const garbage = Buffer.concat([m.subarray(0, 10), Buffer.alloc(64, 0xff)]);
    expect(() => decoder.decode(garbage)).toThrow(ProjectionError);
    expect(() => decoder.decode(Buffer.from('hello'))).toThrow(/not an Avro single-object message/);
    expect(() => decoder.decodeReused(m.subarray(0, m.length - 7))).toThrow(ProjectionError);
    expect(decoder.decodeReused(m)).toEqual(decoder.decode(m));
  });

  it('handles every Avro type: enums, fixed, maps, unions, nested records, floats, skipped and kept', () => {
    const schema = {
      type: 'record', name: 'ns.Outer', fields: [
        { name: 'skipMe', type: { type: 'map', values: { type: 'array', items: 'string' } } },
        { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
        { name: 'f', type: { type: 'fixed', name: 'Four', size: 4 } },
        { name: 'm', type: { type: 'map', values: 'long' } },
        { name: 'u', type: ['null', 'double', { type: 'record', name: 'Inner', fields: [{ name: 'a', type: 'float' }, { name: 'b', type: 'boolean' }, { name: 'c', type: 'string' }] }] },
        { name: 'again', type: 'Inner' },
        { name: 'big', type: 'long' },
        { name: 'neg', type: 'int' },
        { name: 'skipFixed', type: 'Four' },
        { name: 'skipInner', type: ['null', 'Inner'] },
      ],
    };
    const type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: false });
    const values = [
      { skipMe: { x: ['a', 'b'] }, e: 'GREEN', f: Buffer.from([1, 2, 3, 4]), m: { k: 5, l: -6 }, u: { a: 1.5, b: true, c: 'héllo' }, again: { a: -2, b: false, c: '' },
        big: 2 ** 52 + 3, neg: -123456, skipFixed: Buffer.alloc(4), skipInner: { a: 0, b: true, c: 'x' } },
      { skipMe: {}, e: 'RED', f: Buffer.alloc(4), m: {}, u: null, again: { a: 0, b: true, c: 'z'.repeat(100) }, big: -(2 ** 40), neg: 0, skipFixed: Buffer.alloc(4), skipInner: null },
      { skipMe: {}, e: 'RED', f: Buffer.alloc(4), m: {}, u: 2.25, again: { a: 0, b: true, c: 'y' }, big: 1, neg: -1, skipFixed: Buffer.alloc(4), skipInner: null },
    ];
    const read = compileProjection<Record<string, unknown>>(schema, { Outer: ['e', 'f', 'm', 'u', 'again', 'big', 'neg'] });
    const reused = compileProjection<Record<string, unknown>>(schema, { Outer: ['e', 'f', 'm', 'u', 'again', 'big', 'neg'] }, { reuse: true });
    for (const v of values) {
      const { skipMe: _s, skipFixed: _f, skipInner: _i, ...kept } = v;
      expect(read(type.toBuffer(v))).toEqual(kept);
      expect(reused(type.toBuffer(v))).toEqual(kept);
    }
    expect(() => compileProjection(schema, { Outer: ['nope'] })).toThrow(/no field\(s\) nope/);
  });
});
