/**
 * The compiled writer must produce exactly avsc's bytes: compared here on
 * many random values of every published schema and of a schema using every
 * Avro type, with edge values (int/long bounds, unicode and lone surrogates,
 * string and bytes lengths around every size threshold, messages that grow
 * the buffer), and it must refuse what avsc refuses.
 */
import { describe, expect, it } from 'vitest';
import { AvroCodec, AvroEncodeError, parseSchema } from './codec.js';
import { compileWriter } from './compiled-writer.js';
import { buildPublishedSchemas, type AvroSchema } from './schema-files.js';
import { SCHEMA_NAMES } from '../records.js';
import { samplePacketBatch } from '../testing/sample-records.js';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'a', 'SYN,ACK', 'é', '日本語', '😀', 'x😀y', '\ud800', 'a\udc00b', '\ud83d', 'ß'.repeat(21), 'a'.repeat(21), 'a'.repeat(22),
  'é'.repeat(31), 'é'.repeat(32), 'é'.repeat(33), 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), '😀'.repeat(16), '\ud800'.repeat(22), 'z'.repeat(5000)];
const INTS = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)];
const LONGS = [...INTS, 2 ** 31, 2 ** 32, -(2 ** 32), 2 ** 40 + 7, 2 ** 52, -(2 ** 52) - 3, 9007199254740990, -9007199254740990, 1_700_000_000_123_456];
const BIGS = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1_732_000_000_123_456_789n, -(2n ** 31n)];

interface T { typeName: string; fields?: { name: string; type: T; defaultValue(): unknown }[]; itemsType?: T; valuesType?: T; types?: T[]; symbols?: string[]; size?: number }

/** A random valid value of type `t` (undefined for a defaulted field sometimes). */
function randomValue(t: T, rnd: () => number, depth = 0): unknown {
  const pick = <X>(xs: X[]) => xs[Math.floor(rnd() * xs.length)];
  switch (t.typeName) {
    case 'null': return null;
    case 'boolean': return rnd() < 0.5;
    case 'int': return rnd() < 0.5 ? pick(INTS) : Math.floor(rnd() * 2 ** 32) - 2 ** 31;
    case 'long': return rnd() < 0.5 ? pick(LONGS) : Math.floor((rnd() - 0.5) * 2 ** 53);
    case 'abstract:long': return pick(BIGS);
    case 'float': return Math.fround((rnd() - 0.5) * 1e6);
    case 'double': return (rnd() - 0.5) * 1e12;
    case 'string': return rnd() < 0.7 ? pick(STRINGS) : Array.from({ length: Math.floor(rnd() * 40) }, () => String.fromCharCode(Math.floor(rnd() * 0x3000))).join('');
    case 'bytes': return Buffer.from(Array.from({ length: rnd() < 0.01 ? 70000 : pick([0, 1, 4, 16, 47, 48, 63, 64, 65, 200]) }, () => Math.floor(rnd() * 256)));
    case 'fixed': return Buffer.from(Array.from({ length: t.size! }, () => Math.floor(rnd() * 256)));
    case 'enum': return pick(t.symbols!);
    case 'array': return depth > 3 ? [] : Array.from({ length: pick([0, 1, 2, 5, rnd() < 0.1 ? 70 : 3]) }, () => randomValue(t.itemsType!, rnd, depth + 1));
    case 'map': return depth > 3 ? {} : Object.fromEntries(Array.from({ length: pick([0, 1, 3]) }, (_, i) => [`k${i}${pick(STRINGS)}`, randomValue(t.valuesType!, rnd, depth + 1)]));
    case 'union:unwrapped': {
      const branches = depth > 3 && t.types!.some((b) => b.typeName === 'null') ? t.types!.filter((b) => b.typeName === 'null') : t.types!;
      return randomValue(pick(branches), rnd, depth + 1);
    }
    case 'record': {
      const o: Record<string, unknown> = {};
      for (const f of t.fields!) {
        if (f.defaultValue() !== undefined && rnd() < 0.1) continue; // left out: the writer uses the default
        o[f.name] = randomValue(f.type, rnd, depth + 1);
      }
      return o;
    }
    default: throw new Error(`random value for ${t.typeName}`);
  }
}

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
});
