import { describe, expect, it } from 'vitest';
import { compileRowEncoder, encoderForType, parseIpv6, RowBinaryMismatch, RowBinaryWriter } from './row-binary.js';

function ipv6(text: string): string | null {
  const out = Buffer.alloc(16);
  return parseIpv6(text, out, 0) ? out.toString('hex') : null;
}

function encode(type: string, v: unknown): string {
  const e = encoderForType(type);
  if (!e) throw new Error(`no encoder for ${type}`);
  const w = new RowBinaryWriter(4);
  e(w, v);
  return w.finish().toString('hex');
}

const u64hex = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b.toString('hex');
};

describe('parseIpv6', () => {
  it('reads every textual form (RFC 4291 2.2) into network-order bytes', () => {
    expect(ipv6('::')).toBe('0'.repeat(32));
    expect(ipv6('::1')).toBe(`${'0'.repeat(30)}01`);
    expect(ipv6('::ffff:192.168.1.10')).toBe('00000000000000000000ffffc0a8010a');
    expect(ipv6('::FFFF:1.2.3.4')).toBe('00000000000000000000ffff01020304');
    expect(ipv6('2001:db8::8a2e:370:7334')).toBe('20010db80000000000008a2e03707334');
    expect(ipv6('2001:DB8:0:0:0:0:0:1')).toBe('20010db8000000000000000000000001');
    expect(ipv6('1:2:3:4:5:6:7::')).toBe('00010002000300040005000600070000');
    expect(ipv6('::2:3:4:5:6:7:8')).toBe('00000002000300040005000600070008');
    expect(ipv6('fe80::')).toBe(`fe80${'0'.repeat(28)}`);
    expect(ipv6('64:ff9b::192.0.2.33')).toBe('0064ff9b0000000000000000c0000221');
    expect(ipv6('1:2:3:4:5:6:1.2.3.4')).toBe('00010002000300040005000601020304');
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', ':', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '1:2:3:4:5:6:7', '::ffff:256.1.1.1',
      '::ffff:1.2.3', '::ffff:1.2.3.4.5', '::ffff:1..2.3', 'fe80::1%eth0', '[::1]', '1.2.3.4', 'g::1', '1:', ':1', '1:2:3:4:5:6:7:1.2.3.4']) {
      expect(ipv6(bad), bad).toBeNull();
    }
  });
});

describe('RowBinary values', () => {
  it('writes 64-bit integers from numbers, decimal strings and bigints exactly', () => {
    const cases: bigint[] = [0n, 1n, 4294967295n, 4294967296n, 9007199254740991n, 1732000000000000000n, 1732000000123456789n,
      999999999999999999n, 1000000000000000000n, 9999999999999999999n, 18446744073709551615n];
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const digits = 1 + (seed % 20);
      let s = '';
      for (let d = 0; d < digits; d++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        s += String((seed >>> 8) % 10);
      }
      if (BigInt(s) < 1n << 64n) cases.push(BigInt(s));
    }
    for (const v of cases) {
      expect(encode('UInt64', v.toString()), v.toString()).toBe(u64hex(v));
      expect(encode('UInt64', v)).toBe(u64hex(v));
      if (v <= BigInt(Number.MAX_SAFE_INTEGER)) expect(encode('UInt64', Number(v))).toBe(u64hex(v));
    }
    expect(encode('Int64', -1)).toBe('ffffffffffffffff');
    expect(encode('Int64', -4294967297)).toBe('fffffffffeffffff');
    expect(encode('Int64', '-9223372036854775808')).toBe('0000000000000080');
  });

  it('writes the small integers, floats, strings, arrays and nullables of the tables', () => {
    expect(encode('UInt8', 255)).toBe('ff');
    expect(encode('Int8', 127)).toBe('7f');
    expect(encode('Int8', -2)).toBe('fe');
    expect(encode('UInt16', 0x88f7)).toBe('f788');
    expect(encode('UInt32', 0xdeadbeef)).toBe('efbeadde');
    expect(encode('Int32', -1)).toBe('ffffffff');
    expect(encode('Float64', 0.5)).toBe('000000000000e03f');
    expect(encode('String', 'PTP-Sync')).toBe(`08${Buffer.from('PTP-Sync').toString('hex')}`);
    expect(encode('LowCardinality(String)', 'é')).toBe('02c3a9');
    const long = 'x'.repeat(200);
    expect(encode('String', long)).toBe(`c801${Buffer.from(long).toString('hex')}`);
    expect(encode('Array(LowCardinality(String))', ['eth', 'ip'])).toBe('0203657468026970');
    expect(encode('SimpleAggregateFunction(groupUniqArrayArray, Array(UInt16))', [1, 2])).toBe('0201000200');
    expect(encode('SimpleAggregateFunction(sum, UInt64)', 3)).toBe('0300000000000000');
    expect(encode('Nullable(UInt8)', null)).toBe('01');
    expect(encode('Nullable(UInt8)', 5)).toBe('0005');
    expect(encode('IPv6', Buffer.alloc(16, 1))).toBe('01'.repeat(16));
  });

  it('leaves to JSON every value it would not store as JSONEachRow does', () => {
    const refused: [string, unknown][] = [
      ['UInt16', 70_000], ['UInt8', -1], ['UInt32', 1.5], ['Int8', 128], ['UInt16', '80'], ['UInt64', -1], ['UInt64', 0.5], ['UInt64', '1e3'],
      ['UInt64', '18446744073709551616'], ['UInt64', ''], ['UInt64', ' 1'], ['UInt64', 2 ** 60], ['Float64', NaN], ['Float64', Infinity],
      ['Float64', '1.5'], ['String', 5], ['String', undefined], ['IPv6', '10.0.0.1'], ['IPv6', ''], ['Array(UInt8)', 'x'], ['Nullable(UInt8)', undefined],
      ['Int64', 2 ** 60], ['Int64', '9223372036854775808'],
    ];
    for (const [type, v] of refused) expect(() => encode(type, v), `${type} ${String(v)}`).toThrow(RowBinaryMismatch);
  });

  it('has no encoder for the types it does not write', () => {
    for (const t of ["DateTime('UTC')", "DateTime64(3, 'UTC')", 'UUID', 'Map(String, UInt8)', "Enum8('a' = 1)", 'Decimal(10, 2)', 'Array(DateTime)']) {
      expect(encoderForType(t), t).toBeNull();
    }
  });
});

describe('compileRowEncoder', () => {
  const table = [
    { name: 'agent_id', type: 'LowCardinality(String)', default_type: '' },
    { name: 'n', type: 'UInt16', default_type: '' },
    { name: 'at', type: "DateTime('UTC')", default_type: 'DEFAULT' },
    { name: 'm', type: 'UInt8', default_type: 'MATERIALIZED' },
  ];

  it('writes the named columns of every row in order', () => {
    const e = compileRowEncoder(['n', 'agent_id'], table);
    expect(e?.columns).toEqual(['n', 'agent_id']);
    expect(e?.encode([{ agent_id: 'a', n: 1 }, { agent_id: 'bc', n: 258 }]).toString('hex')).toBe('010001610201026263');
  });

  it('is null for a column the table lacks, cannot insert, or that has a type it does not write', () => {
    expect(compileRowEncoder(['agent_id', 'nope'], table)).toBeNull();
    expect(compileRowEncoder(['m'], table)).toBeNull();
    expect(compileRowEncoder(['at'], table)).toBeNull();
  });

  it('refuses a row that lacks a column (JSON would store the default)', () => {
    const e = compileRowEncoder(['agent_id', 'n'], table)!;
    expect(() => e.encode([{ agent_id: 'a', n: 1 }, { agent_id: 'b' }])).toThrow(RowBinaryMismatch);
  });
});

describe('compileRowEncoder, integers stored in the row loop', () => {
  // Every type the loop stores itself, under the wrappers that keep the encoding, between columns it does not.
  const types = ['UInt8', 'Int8', 'UInt16', 'Int16', 'UInt32', 'Int32', 'UInt64', 'Int64', 'LowCardinality(UInt16)',
    'SimpleAggregateFunction(max, UInt64)', 'SimpleAggregateFunction(min, Int64)', 'String', 'Nullable(UInt32)', 'IPv6', 'Float64'];
  const table = types.map((type, i) => ({ name: `c${i}`, type, default_type: '' }));
  const names = table.map((c) => c.name);
  const values: Record<string, unknown[]> = {
    UInt8: [0, 1, 255, -0], Int8: [-128, -1, 0, 127], UInt16: [0, 0x88f7, 65535], Int16: [-32768, -2, 32767], UInt32: [0, 0xdeadbeef, 4294967295],
    Int32: [-2147483648, -1, 2147483647], UInt64: [0, 4294967295, 4294967296, 2 ** 53 - 1, '1732000000123456789', 18446744073709551615n],
    Int64: [-1, -2147483648, -2147483649, 2147483648, -(2 ** 53) + 1, '-9223372036854775808'],
    String: ['', 'PTP-Sync', 'é'.repeat(70)], 'Nullable(UInt32)': [null, 7], IPv6: ['::1', '::ffff:10.0.0.1'], Float64: [0.5, -1e300],
  };
  const pick = (type: string, k: number): unknown => {
    const key = type in values ? type : type.includes('UInt16') ? 'UInt16' : type.includes('UInt64') ? 'UInt64' : 'Int64';
    const list = values[key];
    return list[k % list.length];
  };
  const byEncoders = (rows: Record<string, unknown>[]): string => rows.map((r) => types.map((t, i) => encode(t, r[`c${i}`])).join('')).join('');

  it('writes what the per-type encoders write, for values stored inline and values that are not', () => {
    const e = compileRowEncoder(names, table)!;
    const rows: Record<string, unknown>[] = [];
    for (let k = 0; k < 60; k++) rows.push(Object.fromEntries(types.map((t, i) => [`c${i}`, pick(t, k + i)])));
    expect(e.encode(rows).toString('hex')).toBe(byEncoders(rows));
    // A buffer that must grow mid-row (long strings between inline columns).
    const wide = rows.map((r) => ({ ...r, c11: 'x'.repeat(5000) }));
    expect(e.encode(wide).toString('hex')).toBe(byEncoders(wide));
  });

  it('makes room for the inline columns of a row when the row before it filled the buffer exactly', () => {
    const e = compileRowEncoder(['n', 's'], [{ name: 'n', type: 'UInt64' }, { name: 's', type: 'String' }])!;
    // The body starts with 64 bytes: the first row takes 8 + 1 + 55 of them, the second row's 8 inline bytes need more.
    const rows = [{ n: 1, s: 'a'.repeat(55) }, { n: 2, s: 'b' }];
    expect(e.encode(rows).toString('hex')).toBe(rows.map((r) => encode('UInt64', r.n) + encode('String', r.s)).join(''));
  });

  it('refuses what the encoders refuse, inline types included', () => {
    const e = compileRowEncoder(names, table)!;
    const good = Object.fromEntries(types.map((t, i) => [`c${i}`, pick(t, 0)]));
    for (const [col, bad] of [['c0', 256], ['c1', -129], ['c2', 1.5], ['c3', '1'], ['c4', -1], ['c5', 2 ** 31], ['c6', -1], ['c7', 0.5],
      ['c6', undefined], ['c7', null], ['c8', 70_000]] as [string, unknown][]) {
      expect(() => e.encode([good, { ...good, [col]: bad }]), `${col} ${String(bad)}`).toThrow(RowBinaryMismatch);
    }
  });

  it('writes each IPv6 text right when rows repeat, alternate and change hosts', () => {
    const e = compileRowEncoder(['a'], [{ name: 'a', type: 'IPv6' }])!;
    const texts = ['::ffff:10.0.0.1', '::ffff:10.0.0.1', ['::ffff:10.0.', '0.1'].join(''), '2001:db8::1', '::ffff:10.0.0.1', '::ffff:10.0.0.2', '::1', '::1'];
    const rows = texts.map((a) => ({ a }));
    expect(e.encode(rows).toString('hex')).toBe(texts.map((t) => encode('IPv6', t)).join(''));
    expect(() => e.encode([{ a: '::ffff:10.0.0.2' }, { a: '' }])).toThrow(RowBinaryMismatch);
    expect(() => e.encode([{ a: '::1' }, { a: '::1%eth0' }])).toThrow(RowBinaryMismatch);
  });
});
