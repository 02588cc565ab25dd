import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AvroCodec, AvroDecodeError, AvroEncodeError, AvroSchemaError, parseSchema } from './codec.js';
import { rabinFingerprint } from './rabin.js';
import { buildPublishedSchemas, readSchemaHistory, TOPIC_SCHEMAS } from './schema-files.js';
import { SCHEMA_NAMES, type EnrichedBatch, type PacketBatch } from '../records.js';
import { sampleEnrichedBatch, samplePacketBatch } from '../testing/sample-records.js';

const codec = AvroCodec.forStreamLens();

describe('CRC-64-AVRO fingerprint', () => {
  it('matches the Avro specification test vectors', () => {
    // share/test/data/schema-tests.txt in the Avro repository (signed 64-bit values).
    expect(BigInt.asIntN(64, rabinFingerprint('"null"'))).toBe(7195948357588979594n);
    expect(BigInt.asIntN(64, rabinFingerprint('"boolean"'))).toBe(-6970731678124411036n);
    expect(BigInt.asIntN(64, rabinFingerprint('"int"'))).toBe(8247732601305521295n);
  });
});

describe('published schemas', () => {
  it('are up to date with the .src.avsc sources', () => {
    const script = fileURLToPath(new URL('../../../../scripts/build-schemas.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('document every field and give evolution defaults to every optional field', () => {
    const { published } = buildPublishedSchemas();
    const undocumented: string[] = [];
    const walk = (s: unknown, path: string): void => {
      if (Array.isArray(s)) return s.forEach((x) => walk(x, path));
      if (!s || typeof s !== 'object') return;
      const o = s as Record<string, unknown>;
      if (o.type === 'record') {
        for (const f of o.fields as Record<string, unknown>[]) {
          if (typeof f.doc !== 'string' || !f.doc) undocumented.push(`${path}.${String(f.name)}`);
          const t = f.type;
          if (Array.isArray(t) && t[0] === 'null' && !('default' in f)) undocumented.push(`${path}.${String(f.name)} (nullable without default)`);
          walk(t, `${path}.${String(f.name)}`);
        }
      } else if (o.type === 'array') walk(o.items, path);
      else if (typeof o.type === 'object') walk(o.type, path);
    };
    for (const [name, s] of published) walk(s, name);
    expect(undocumented).toEqual([]);
  });

  it('are namespaced', () => {
    for (const name of buildPublishedSchemas().published.keys()) expect(name.startsWith('io.streamlens.v1.')).toBe(true);
  });
});

describe('AvroCodec', () => {
  it('round-trips a packet batch field for field, with an exact epoch-ns base time', () => {
    const batch = samplePacketBatch(5);
    const msg = codec.encode(SCHEMA_NAMES.packetBatch, batch);
    expect(msg.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(msg.readBigUInt64LE(2).toString(16).padStart(16, '0')).toBe(codec.fingerprint(SCHEMA_NAMES.packetBatch));
    const out = codec.decode<PacketBatch>(msg);
    expect(out.schema).toBe(SCHEMA_NAMES.packetBatch);
    expect(out.value).toEqual(batch);
    expect(out.value.base_ts_ns).toBe(1_732_000_000_123_456_789n);
  });

  it('round-trips an enriched batch with every protocol section filled', () => {
    const batch = sampleEnrichedBatch();
    const out = codec.decode<EnrichedBatch>(codec.encode(SCHEMA_NAMES.enrichedBatch, batch), SCHEMA_NAMES.enrichedBatch);
    expect(out.value).toEqual(batch);
  });

  it('rejects a message of an unknown schema with a clear error', () => {
    const msg = codec.encode(SCHEMA_NAMES.packetBatch, samplePacketBatch(1));
    msg.writeBigUInt64LE(0x1234n, 2);
    expect(() => codec.decode(msg)).toThrow(AvroSchemaError);
    expect(() => codec.decode(msg)).toThrow(/unknown Avro schema fingerprint 0000000000001234/);
  });

  it('rejects a message without the single-object marker', () => {
    expect(() => codec.decode(Buffer.from('{"json":true}'))).toThrow(/not an Avro single-object message/);
    expect(() => codec.decode(Buffer.alloc(0))).toThrow(AvroSchemaError);
  });

  it('rejects a truncated or garbage body as malformed Avro, naming the schema', () => {
    const msg = codec.encode(SCHEMA_NAMES.packetBatch, samplePacketBatch(2));
    expect(() => codec.decode(msg.subarray(0, msg.length - 7))).toThrow(AvroDecodeError);
    const garbage = Buffer.concat([msg.subarray(0, 10), Buffer.alloc(40, 0xff)]);
    expect(() => codec.decode(garbage)).toThrow(/malformed Avro body for io.streamlens.v1.PacketBatch/);
  });

  it('refuses to encode a value that does not match, naming the field', () => {
    const bad = samplePacketBatch(1) as unknown as { records: { wire_len: unknown }[] };
    bad.records[0].wire_len = 'sixty';
    expect(() => codec.encode(SCHEMA_NAMES.packetBatch, bad)).toThrow(AvroEncodeError);
    expect(() => codec.encode(SCHEMA_NAMES.packetBatch, bad)).toThrow(/records\.0\.wire_len/);
  });

  it('refuses a per-record long beyond 2^53 instead of losing precision', () => {
    const bad = samplePacketBatch(1);
    bad.records[0].ts_offset_ns = 2 ** 60;
    expect(() => codec.encode(SCHEMA_NAMES.packetBatch, bad)).toThrow(AvroEncodeError);
  });

  it('reads messages of an older writer schema through schema resolution', () => {
    const { published } = buildPublishedSchemas();
    const current = published.get(SCHEMA_NAMES.packetBatch) as { fields: { name: string }[] };
    // An older agent that did not write sample_rate: the reader fills the default.
    const older = { ...current, fields: current.fields.filter((f) => f.name !== 'sample_rate') };
    const oldCodec = new AvroCodec([older]);
    const { sample_rate: _dropped, ...oldBatch } = samplePacketBatch(1);
    const msg = oldCodec.encode(SCHEMA_NAMES.packetBatch, oldBatch);
    expect(() => codec.decode(msg)).toThrow(AvroSchemaError);
    const reader = AvroCodec.forStreamLens();
    reader.addWriterSchema(older);
    expect(reader.decode<PacketBatch>(msg).value.sample_rate).toBe(1);
  });

  it('keeps timestamp-nanos exact at the ends of the signed 64-bit range', () => {
    const type = parseSchema({ type: 'record', name: 'T', fields: [{ name: 't', type: { type: 'long', logicalType: 'timestamp-nanos' } }] });
    for (const t of [0n, 2n ** 63n - 1n, -(2n ** 63n), 1_732_000_000_123_456_789n]) {
      expect((type.fromBuffer(type.toBuffer({ t })) as { t: bigint }).t).toBe(t);
    }
  });
});

describe('schema history (schemas/avro/history)', () => {
  it('keeps the current version of every topic schema and reads every earlier one', () => {
    const history = readSchemaHistory();
    const current = AvroCodec.forStreamLens();
    for (const name of Object.values(TOPIC_SCHEMAS)) {
      const fps = history.filter((h) => `${h.namespace}.${h.name}` === name).map((h) => new AvroCodec([h]).fingerprint(name));
      expect(fps, name).toContain(current.fingerprint(name));
    }
    for (const h of history) {
      const name = `${h.namespace}.${h.name}`;
      const writer = new AvroCodec([h]);
      const value = writer.type(name).random();
      // Every history version decodes through the current codec (resolved when it differs).
      expect(current.decode(writer.encode(name, value)).schema).toBe(name);
    }
  });
});
