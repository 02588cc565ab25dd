/**
 * The compiled writer must produce exactly avsc's bytes: compared here on
 * many random values of every published schema and of a schema using every
 * Avro type, with edge values (int/long bounds, unicode and lone surrogates,
 * string and bytes lengths around every size threshold, messages that grow
 * the buffer), and it must refuse what avsc refuses.
 */
import { describe, expect, it } from 'vitest';
import { AvroCodec, AvroEncodeError, parseSchema } from './codec.js';
import { AvroValueError, compileAppender, compileValidator, compileWriter, type PassThrough } from './compiled-writer.js';
import { buildPublishedSchemas, type AvroSchema } from './schema-files.js';
import { SCHEMA_NAMES } from '../records.js';
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

function compareOn(schema: AvroSchema, count: number, seed: number): void {
  const slow = new AvroCodec([schema], { compiledWriters: false });
  const fast = new AvroCodec([schema]);
  const name = parseSchema(schema).name!;
  const type = fast.type(name) as unknown as T;
  const rnd = prng(seed);
  for (let i = 0; i < count; i++) {
    const v = randomValue(type, rnd);
    const want = slow.encode(name, v);
    const got = fast.encode(name, v);
    if (!got.equals(want)) throw new Error(`${name}: bytes differ for value #${i}: ${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x)).slice(0, 500)}`);
  }
}

describe('compiled Avro writer', () => {
  it('compiles every published schema', () => {
    for (const [name, schema] of buildPublishedSchemas().published) {
      expect(compileWriter(parseSchema(schema), Buffer.alloc(0)), name).not.toBeNull();
    }
  });

  for (const [name, schema] of buildPublishedSchemas().published) {
    it(`writes avsc's bytes for random ${name} values`, () => compareOn(schema, name.endsWith('Batch') ? 60 : 400, name.length));
  }

  it("writes avsc's bytes for a schema with every Avro type, recursion and defaults", () => compareOn(EVERY_TYPE, 3000, 42));

  it('grows its buffer for large messages and starts clean for the next one', () => {
    const slow = AvroCodec.forStreamLens({ compiledWriters: false });
    const fast = AvroCodec.forStreamLens();
    const big = samplePacketBatch(20_000);
    big.records[5].payload = Buffer.alloc(300_000, 7);
    expect(fast.encode(SCHEMA_NAMES.packetBatch, big).equals(slow.encode(SCHEMA_NAMES.packetBatch, big))).toBe(true);
    const small = samplePacketBatch(1);
    expect(fast.encode(SCHEMA_NAMES.packetBatch, small).equals(slow.encode(SCHEMA_NAMES.packetBatch, small))).toBe(true);
  });

  it('refuses what avsc refuses, and the codec reports the path as before', () => {
    const fast = compileWriter(parseSchema(EVERY_TYPE), Buffer.alloc(0))!;
    const codec = new AvroCodec([EVERY_TYPE]);
    const type = codec.type('test.Every') as unknown as T;
    const good = randomValue(type, prng(1)) as Record<string, unknown>;
    good.next = null;
    expect(() => fast(good)).not.toThrow();
    const bad: [string, unknown][] = [
      ['b', 1], ['i', 1.5], ['i', 2 ** 31], ['i', '1'], ['l', 2 ** 53], ['l', 0.5], ['l', 5n], ['f', '1'], ['d', null], ['s', 7], ['y', 'ab'],
      ['y', new Uint8Array(2)], ['x', Buffer.alloc(5)], ['e', 'BLUE'], ['a', [[1], ['2']]], ['a', {}], ['m', []], ['m', { k: 3 }],
      ['u', true], ['u', [1.5]], ['u', { q: 'no' }], ['t', 5], ['next', {}], ['dflt', null], ['s', undefined],
    ];
    for (const [field, value] of bad) {
      const v = { ...good, [field]: value };
      expect(() => fast(v), `${field}=${String(value)}`).toThrow();
      expect(() => codec.encode('test.Every', v), `${field}=${String(value)}`).toThrow(AvroEncodeError);
    }
    // avsc looks enum symbols up in a plain object, so it would write garbage for these; the compiled writer refuses them.
    for (const symbol of ['toString', 'constructor', '__proto__']) expect(() => fast({ ...good, e: symbol })).toThrow();
  });

  it('names the path of an invalid value, nested and in arrays', () => {
    const codec = AvroCodec.forStreamLens();
    const batch = codec.type(SCHEMA_NAMES.enrichedBatch);
    const write = compileWriter(batch, Buffer.alloc(0))!;
    const v = sampleEnrichedBatch();
    (v.records[0] as { frame_type: unknown }).frame_type = 42;
    expect(() => write(v)).toThrow(AvroValueError);
    expect(() => write(v)).toThrow('invalid value at records[].frame_type: 42');
    const w = sampleEnrichedBatch();
    (w.records[0].packet as { src_port: unknown }).src_port = 'x';
    try {
      write(w);
      expect.unreachable();
    } catch (err) {
      expect((err as AvroValueError).path).toBe('records[].packet.src_port');
    }
    // The writer is clean after an error: the next value is written as avsc writes it.
    expect(write(sampleEnrichedBatch()).equals(batch.toBuffer(sampleEnrichedBatch()))).toBe(true);
  });

  it('copies the bytes a PassThrough offers at its path, and encodes what it declines', () => {
    const codec = AvroCodec.forStreamLens();
    const batchType = codec.type(SCHEMA_NAMES.enrichedBatch);
    const packetType = (codec.type(SCHEMA_NAMES.packetBatch) as unknown as { fields: { name: string; type: { itemsType: { toBuffer(v: unknown): Buffer } } }[] })
      .fields.find((f) => f.name === 'records')!.type.itemsType;
    const write = compileWriter(batchType, Buffer.from([9]), { passPath: 'records[].packet' })!;
    const batch = sampleEnrichedBatch();
    batch.records.push({ ...batch.records[0], packet: { ...batch.records[0].packet, payload: Buffer.alloc(40_000, 3) } }, batch.records[0]);
    const want = Buffer.concat([Buffer.from([9]), batchType.toBuffer(batch)]);
    let asked = 0;
    let pending: Buffer = Buffer.alloc(0);
    const copying: PassThrough = {
      size(value) {
        asked++;
        if (asked === 2) return -1; // the second packet is encoded by the writer
        pending = packetType.toBuffer(value);
        return pending.length;
      },
      write(buf, at) {
        pending.copy(buf, at);
      },
    };
    expect(write(batch, copying).equals(want)).toBe(true);
    expect(asked).toBe(3);
    expect(write(batch).equals(want)).toBe(true); // without a PassThrough
    // The same through an appender of records at the root path.
    const recordType = (batchType as unknown as { fields: { name: string; type: { itemsType: import('avsc').Type } }[] }).fields.find((f) => f.name === 'records')!.type.itemsType;
    const app = compileAppender(recordType, { passPath: 'packet' })!;
    asked = 0;
    for (const r of batch.records) app.append(r, copying);
    const out = Buffer.alloc(app.length);
    app.copyTo(out, 0);
    expect(out.equals(Buffer.concat(batch.records.map((r) => recordType.toBuffer(r))))).toBe(true);
  });

  it('validates without writing: the path of the first field that cannot be encoded, or null', () => {
    const codec = AvroCodec.forStreamLens();
    const recordType = (codec.type(SCHEMA_NAMES.enrichedBatch) as unknown as { fields: { name: string; type: { itemsType: { fields: { name: string; type: import('avsc').Type }[] } } }[] })
      .fields.find((f) => f.name === 'records')!.type.itemsType;
    const ch10 = recordType.fields.find((f) => f.name === 'ch10')!.type;
    const check = compileValidator(ch10, { rootPath: 'ch10' })!;
    const info = sampleEnrichedBatch().records.find((r) => r.ch10 !== null)?.ch10 ?? null;
    expect(info).not.toBeNull();
    expect(check(info)).toBeNull();
    expect(check(null)).toBeNull();
    expect(check({ ...info!, packets: [{ ...info!.packets[0], seq: 2 ** 40 }] })).toBe('ch10.packets[].seq');
    expect(check({ ...info!, udp_seq: 2 ** 60 })).toBe('ch10.udp_seq');
  });
});
