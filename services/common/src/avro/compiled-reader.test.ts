/**
 * The compiled reader must read exactly what avsc reads: compared here on
 * many random values of every published schema and of a schema using every
 * Avro type (recursion, maps, enums, fixed, wide unions, defaults), in every
 * mode (fresh objects, pooled objects, projection, spans, shared addresses),
 * and it must refuse damaged bodies with its own error, never another.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroCodec, parseSchema } from './codec.js';
import { AvroBodyError, compileReader } from './compiled-reader.js';
import { buildPublishedSchemas, type AvroSchema } from './schema-files.js';
import { SCHEMA_NAMES, type PacketBatch } from '../records.js';
import { prng, randomValue, type T } from '../testing/random-avro-values.js';
import { sampleEnrichedBatch, samplePacketBatch } from '../testing/sample-records.js';

const EVERY_TYPE: AvroSchema = {
  type: 'record', name: 'Every', namespace: 'test', fields: [
    { name: 'b', type: 'boolean' }, { name: 'i', type: 'int' }, { name: 'l', type: 'long' }, { name: 'f', type: 'float' }, { name: 'd', type: 'double' },
    { name: 's', type: 'string' }, { name: 'y', type: 'bytes' }, { name: 'x', type: { type: 'fixed', name: 'F6', size: 6 } },
    { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE_ISH'] } },
    { name: 'a', type: { type: 'array', items: { type: 'array', items: 'int' } } },
    { name: 'm', type: { type: 'map', values: ['null', 'string'] } },
    { name: 'u', type: ['null', 'int', 'string', 'bytes', { type: 'array', items: 'long' }, { type: 'record', name: 'Inner', fields: [{ name: 'q', type: 'double' }] }] },
    { name: 't', type: { type: 'long', logicalType: 'timestamp-nanos' } },
    { name: 'next', type: ['null', 'Every'], default: null },
    { name: 'dflt', type: 'string', default: 'hé' },
    { name: 'dint', type: 'int', default: -3 },
    { name: 'darr', type: { type: 'array', items: 'string' }, default: ['x', 'y'] },
  ],
};

/**
 * Where `a` and `b` differ (a path), or null: vitest's toEqual walks large Buffers byte by byte
 * through generic code, too slow for thousands of random values with 70 kB fields.
 */
function difference(a: unknown, b: unknown, path = ''): string | null {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0 ? null : `${path} (bytes)`;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${path} (array)`;
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length || ka.some((k) => !Object.hasOwn(b, k))) return `${path} (keys ${ka.join(',')} vs ${kb.join(',')})`;
    for (const k of ka) {
      const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
}

/** avsc's reading of `body` (the reference). */
function avscRead(type: avro.Type, body: Buffer): unknown {
  return type.fromBuffer(body);
}

function randomBodies(schema: AvroSchema, count: number, seed: number): { type: avro.Type; bodies: Buffer[] } {
  const type = parseSchema(schema);
  const rnd = prng(seed);
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) bodies.push(type.toBuffer(randomValue(type as unknown as T, rnd)));
  return { type, bodies };
}

describe('compiled Avro reader', () => {
  it('compiles every published schema', () => {
    for (const [name, schema] of buildPublishedSchemas().published) expect(compileReader(parseSchema(schema)), name).not.toBeNull();
    // (the comparison below notices a difference anywhere)
    expect(difference({ a: [1, { b: Buffer.from([1]) }] }, { a: [1, { b: Buffer.from([2]) }] })).toBe('.a[1].b (bytes)');
    expect(difference({ a: 1n }, { a: 2n })).not.toBeNull();
    expect(difference({ a: 1 }, { a: 1, b: undefined })).not.toBeNull();
  });

  const schemas: [string, AvroSchema][] = [...buildPublishedSchemas().published, ['test.Every', EVERY_TYPE]];
  for (const [name, schema] of schemas) {
    it(`reads avsc's values for random ${name} values, fresh and pooled`, () => {
      const { type, bodies } = randomBodies(schema, name.endsWith('Batch') ? 40 : 300, name.length);
      const fresh = compileReader(type)!;
      const pooled = compileReader(type, { reuse: true })!;
      const shared = compileReader(type, { sharedEmptyArrays: true })!;
      for (const body of bodies) {
        const want = avscRead(type, body);
        expect(difference(fresh.read(body), want)).toBeNull();
        expect(difference(pooled.read(body), want)).toBeNull();
        expect(difference(shared.read(body), want)).toBeNull();
      }
    });
  }

  it('reads ints and longs at every varint length boundary (inline and slow paths)', () => {
    const type = avro.Type.forSchema({ type: 'record', name: 'N', fields: [{ name: 'i', type: 'int' }, { name: 'l', type: 'long' }, { name: 'after', type: 'int' }] });
    const longType = avro.Type.forSchema('long');
    const edges = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2 ** 20 - 1, -(2 ** 20), 2 ** 20, 2 ** 27 - 1, -(2 ** 27), 2 ** 27, -(2 ** 27) - 1, 2 ** 30, 2 ** 31 - 1, -(2 ** 31)];
    // every varint length of a long (each 7-bit boundary, both signs) up to the safe-integer limits
    const boundaries = Array.from({ length: 46 }, (_, k) => 2 ** (k + 7)).flatMap((v) => [v - 1, v, -v, -v - 1]);
    const longs = [...edges, 2 ** 31, 2 ** 34, -(2 ** 35), 0x0011_2233_4455, 2 ** 48 - 1, 2 ** 51 + 7, -(2 ** 51) - 3,
      // (zigzag doubles |v|: past 2^52 avsc itself writes rounded varints, so only values it round-trips)
      ...boundaries.filter((v) => longType.fromBuffer(longType.toBuffer(v)) === v)];
    for (const reuse of [false, true]) {
      const r = compileReader<{ i: number; l: number; after: number }>(type, { reuse })!;
      for (const i of edges) {
        for (const l of longs) {
          expect(r.read(type.toBuffer({ i, l, after: -7 }))).toEqual({ i, l, after: -7 });
        }
      }
      // a varint cut short: an error, not a value
      expect(() => r.read(type.toBuffer({ i: 2 ** 27, l: 0, after: 0 }).subarray(0, 3))).toThrow(AvroBodyError);
      expect(longs.filter((l) => Math.abs(l) >= 2 ** 49).length).toBeGreaterThanOrEqual(8); // 8-byte varints among them
      for (const l of longs) {
        const body = type.toBuffer({ i: 0, l, after: 0 });
        for (let cut = 1; cut < body.length - 1; cut++) expect(() => r.read(body.subarray(0, cut)), `${l} cut at ${cut}`).toThrow(AvroBodyError);
      }
    }
  });

  it('pooled reads return the same objects every time (valid until the next read)', () => {
    const codec = AvroCodec.forStreamLens();
    const type = codec.type(SCHEMA_NAMES.packetBatch);
    const pooled = compileReader<PacketBatch>(type, { reuse: true })!;
    const a = type.toBuffer(samplePacketBatch(5));
    const b = type.toBuffer(samplePacketBatch(3));
    const first = pooled.read(a);
    const rec0 = first.records[0];
    const src = rec0.src_ip;
    expect(pooled.read(b)).toBe(first);
    expect(first.records[0]).toBe(rec0);
    expect(first.records[0].src_ip).toBe(src);
    expect(first).toEqual(type.fromBuffer(b));
  });

  it('projection reads what avsc resolution to a pruned schema reads, and skips the rest', () => {
    const published = buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch)!;
    const keep = {
      EnrichedBatch: ['agent_id', 'base_ts_ns', 'records'], EnrichedRecord: ['packet', 'frame_type', 'ptp'],
      PacketRecord: ['src_ip', 'dst_port', 'dns'], DnsInfo: ['is_response'], PtpInfo: ['sequence_id', 'announce'],
    };
    const prune = (s: unknown): unknown => {
      if (Array.isArray(s)) return s.map(prune);
      if (s === null || typeof s !== 'object') return s;
      const o = s as AvroSchema;
      if (o.type === 'record') {
        const k = (keep as Record<string, string[]>)[String(o.name).split('.').pop()!];
        return { ...o, fields: (o.fields as AvroSchema[]).filter((f) => !k || k.includes(String(f.name))).map((f) => ({ ...f, type: prune(f.type) })) };
      }
      if (o.type === 'array') return { ...o, items: prune(o.items) };
      if (o.type === 'map') return { ...o, values: prune(o.values) };
      return o;
    };
    const writer = parseSchema(published);
    const reader = parseSchema(prune(published) as AvroSchema);
    const resolver = reader.createResolver(writer);
    const projected = compileReader(writer, { keep })!;
    const pooled = compileReader(writer, { keep, reuse: true })!;
    const rnd = prng(5);
    const values = [sampleEnrichedBatch(), ...Array.from({ length: 30 }, () => randomValue(writer as unknown as T, rnd))];
    for (const v of values) {
      const body = writer.toBuffer(v);
      const want = reader.fromBuffer(body, resolver);
      expect(difference(projected.read(body), want)).toBeNull();
      expect(difference(pooled.read(body), want)).toBeNull();
    }
    expect(() => compileReader(writer, { keep: { PacketRecord: ['nope'] } })).toThrow(/no field\(s\) nope/);
  });

  it('skips blocks written with their byte size whole, and reads them too', () => {
    // avsc writes arrays without sizes; build a body with a sized block by hand: [1, 2, 3] as one block of -3 items, 3 bytes.
    const schema = { type: 'record', name: 'S', fields: [{ name: 'a', type: { type: 'array', items: 'int' } }, { name: 'z', type: 'int' }] } as AvroSchema;
    const type = parseSchema(schema);
    const body = Buffer.from([5, 6, 2, 4, 6, 0, 14]); // count -3 (zigzag 5), size 3 (6), items 1 2 3, end, z = 7
    expect(compileReader(type)!.read(body)).toEqual({ a: [1, 2, 3], z: 7 });
    expect(compileReader(type, { keep: { S: ['z'] } })!.read(body)).toEqual({ z: 7 });
    expect(type.fromBuffer(body)).toEqual({ a: [1, 2, 3], z: 7 });
  });

  it('notes the extent of each record at a path and of one of its fields', () => {
    const codec = AvroCodec.forStreamLens();
    const type = codec.type(SCHEMA_NAMES.packetBatch);
    const recordType = (type as unknown as { fields: { name: string; type: { itemsType: avro.Type } }[] }).fields.find((f) => f.name === 'records')!.type.itemsType;
    const batch = samplePacketBatch(7);
    batch.records[2].payload = Buffer.alloc(300, 9);
    const body = type.toBuffer(batch);
    for (const reuse of [false, true]) {
      const r = compileReader<PacketBatch>(type, { reuse, spans: { path: 'records[]', field: 'payload' } })!;
      r.read(body);
      expect(r.spans.length).toBe(4 * batch.records.length);
      batch.records.forEach((rec, i) => {
        const [start, ps, pe, end] = r.spans.slice(4 * i, 4 * i + 4);
        expect(body.subarray(start, end).equals(recordType.toBuffer(rec))).toBe(true);
        expect(body.subarray(ps, pe).equals(avro.Type.forSchema('bytes').toBuffer(rec.payload))).toBe(true);
      });
    }
    // One record at a time: readAt and the root path.
    const one = compileReader(recordType, { spans: { path: '', field: 'payload' } })!;
    const r = compileReader<PacketBatch>(type, { spans: { path: 'records[]', field: 'payload' } })!;
    r.read(body);
    let at = r.spans[0];
    for (let i = 0; i < batch.records.length; i++) {
      expect(one.readAt(body, at, body.length)).toEqual(recordType.fromBuffer(recordType.toBuffer(batch.records[i])));
      expect(one.spans).toEqual(r.spans.slice(4 * i, 4 * i + 4));
      at = one.next;
    }
  });

  it('shares 4-byte addresses at the configured paths', () => {
    const codec = AvroCodec.forStreamLens();
    const type = codec.type(SCHEMA_NAMES.packetBatch);
    const r = compileReader<PacketBatch>(type, { addressPaths: ['records[].src_ip', 'records[].dst_ip'] })!;
    const batch = samplePacketBatch(4);
    for (const rec of batch.records) rec.src_ip = Buffer.from([10, 0, 0, 1]);
    const got = r.read(type.toBuffer(batch));
    expect(got).toEqual(type.fromBuffer(type.toBuffer(batch)));
    expect(got.records[1].src_ip).toBe(got.records[0].src_ip);
    expect(r.read(type.toBuffer(batch)).records[0].src_ip).toBe(got.records[0].src_ip);
  });

  it('refuses every truncation and random damage with its own error, or reads something avsc-shaped', () => {
    const codec = AvroCodec.forStreamLens();
    for (const [name, sample] of [[SCHEMA_NAMES.packetBatch, samplePacketBatch(3)], [SCHEMA_NAMES.enrichedBatch, sampleEnrichedBatch()]] as const) {
      const type = codec.type(name);
      const body = type.toBuffer(sample);
      for (const reuse of [false, true]) {
        const r = compileReader(type, { reuse })!;
        for (let n = 0; n < body.length; n++) expect(() => r.read(body.subarray(0, n)), `${name} cut at ${n}`).toThrow(AvroBodyError);
        expect(() => r.read(Buffer.concat([body, Buffer.from([0])]))).toThrow(/1 bytes left after the value/);
        const rnd = prng(99);
        for (let k = 0; k < 1500; k++) {
          const m = Buffer.from(body);
          for (let j = 0; j < 3; j++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
          try {
            r.read(m);
          } catch (err) {
            expect(err).toBeInstanceOf(AvroBodyError);
          }
        }
      }
    }
  });

  it('throws the configured error class', () => {
    class Mine extends Error {}
    const type = parseSchema(EVERY_TYPE);
    const r = compileReader(type, { error: Mine })!;
    expect(() => r.read(Buffer.from([1]))).toThrow(Mine);
  });
});
