import { describe, expect, it } from 'vitest';
import type avro from 'avsc';
import { AvroCodec, emptyPacketRecord, parseSchema, SCHEMA_NAMES, type PacketRecord } from '@streamlens/common';
import { samplePacketRecord } from '@streamlens/common/testing';
import { compileRecordWriter, RecordTypeError } from './record-writer.js';

const codec = AvroCodec.forStreamLens();
const recordType = (codec.type(SCHEMA_NAMES.packetBatch) as avro.types.RecordType).fields[7].type as avro.types.ArrayType;
const type = recordType.itemsType;
const write = compileRecordWriter(type)!;

function bytes(rec: unknown, start = 0, size = 16): Buffer {
  const t = { buf: Buffer.alloc(size) };
  const end = write(rec, t, start);
  return t.buf.subarray(start, end);
}

/** Deterministic variety: every field family with small, large, negative, unicode and empty values. */
function variant(i: number): PacketRecord {
  const r = samplePacketRecord(i);
  const big = [0, 1, -1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 48 - 1, 2 ** 52, -(2 ** 52) + 1];
  r.ts_offset_ns = big[i % big.length];
  r.frame_no = big[(i + 3) % big.length] >= 0 ? big[(i + 3) % big.length] : 5;
  r.tcp_seq = 4_294_967_295 - i;
  r.eth_src = 0xffff_ffff_ffff - i;
  r.vlan_ids = Array.from({ length: i % 3 }, (_, k) => k * 4000);
  r.ipv6_ext_headers = i % 2 ? [0, 43, 60] : [];
  r.tcp_flags_str = ['', 'SYN', 'SYN,ACK', 'FIN,PSH,ACK,URG,ECE,CWR,NS'.repeat(3)][i % 4];
  r.payload = Buffer.alloc((i * 37) % 300, i);
  r.decode_error = i % 3 === 0 ? null : 'ipv4.truncated';
  r.icmp = i % 2 ? null : { type: i % 256, code: 3 };
  r.arp = i % 3 ? null : r.arp;
  r.igmp = i % 4 ? null : r.igmp;
  r.dns = i % 5 ? null : { ...r.dns!, qname: i % 10 ? 'xn--bcher-kva.example' : 'bücher.example.\u{1F600}'.repeat(8) };
  r.http = i % 6 ? null : { ...r.http!, uri: '/'.padEnd(200 + i, 'a'), host: 'é' };
  return r;
}

describe('compiled PacketRecord writer', () => {
  it('writes exactly the bytes avsc writes, for every field family', () => {
    for (const rec of [emptyPacketRecord(), samplePacketRecord(7), ...Array.from({ length: 60 }, (_, i) => variant(i))]) {
      expect(bytes(rec).equals(type.toBuffer(rec))).toBe(true);
      expect({ ...type.fromBuffer(bytes(rec, 5)) }).toEqual(rec);
    }
  });

  it('writes longs exactly up to the limits JavaScript readers decode (zig-zag beyond 2^53)', () => {
    const zigzag = (n: bigint) => {
      let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
      const out: number[] = [];
      while (z >= 0x80n) {
        out.push(Number(z & 0x7fn) | 0x80);
        z >>= 7n;
      }
      out.push(Number(z));
      return Buffer.from(out);
    };
    const longOnly = parseSchema({ type: 'record', name: 'N', fields: [{ name: 'n', type: 'long' }] });
    const w = compileRecordWriter(longOnly)!;
    const edges = [0, -1, 1, -64, 63, 64, -65, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 52 + 1, -(2 ** 52) - 1, 2 ** 53 - 2, -(2 ** 53) + 2, -(2 ** 53) + 3, 9007199254740989];
    for (const n of edges) {
      const t = { buf: Buffer.alloc(16) };
      const end = w({ n }, t, 0);
      expect(t.buf.subarray(0, end).toString('hex'), String(n)).toBe(zigzag(BigInt(n)).toString('hex'));
    }
    expect(() => w({ n: 2 ** 53 - 1 }, { buf: Buffer.alloc(16) }, 0)).toThrow(/field n/);
  });

  it('grows the target buffer and keeps what was before the write position', () => {
    const t = { buf: Buffer.alloc(8, 0xab) };
    const end = write(variant(5), t, 8);
    expect(t.buf.length).toBeGreaterThanOrEqual(end);
    expect(t.buf.subarray(0, 8).equals(Buffer.alloc(8, 0xab))).toBe(true);
  });

  it('names the field of a value that does not fit the schema', () => {
    const cases: [string, (r: Record<string, unknown>) => void, RegExp][] = [
      ['undefined string', (r) => { r.tcp_flags_str = undefined; }, /tcp_flags_str.*undefined/],
      ['fractional int', (r) => { r.ip_ttl = 1.5; }, /ip_ttl/],
      ['unsafe long', (r) => { r.tcp_seq = 2 ** 60; }, /tcp_seq/],
      ['bytes as string', (r) => { r.payload = 'abc'; }, /payload.*"abc"/],
      ['missing union', (r) => { r.dns = undefined; }, /dns/],
      ['bad nested field', (r) => { r.icmp = { type: 'x', code: 0 }; }, /icmp\.type/],
      ['bad array item', (r) => { r.vlan_ids = [1, 'b']; }, /vlan_ids\[\]/],
    ];
    for (const [what, spoil, msg] of cases) {
      const r = samplePacketRecord(1) as unknown as Record<string, unknown>;
      spoil(r);
      expect(() => bytes(r), what).toThrow(RecordTypeError);
      expect(() => bytes(r), what).toThrow(msg);
    }
  });

  it('supports enums, fixed, floats, maps-free nesting; refuses what it does not know', () => {
    const t = parseSchema({
      type: 'record', name: 'T', fields: [
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } },
        { name: 'f', type: { type: 'fixed', name: 'F', size: 3 } },
        { name: 'd', type: 'double' }, { name: 'g', type: 'float' }, { name: 'b', type: 'boolean' },
        { name: 'n', type: ['string', 'null'] },
        { name: 'a', type: { type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 's', type: 'string' }] } } },
      ],
    });
    const w = compileRecordWriter(t)!;
    const v = { e: 'C', f: Buffer.from([1, 2, 3]), d: -2.5, g: 0.25, b: true, n: 'x', a: [{ s: 'ü' }, { s: '' }] };
    const tgt = { buf: Buffer.alloc(1) };
    let end = w(v, tgt, 0);
    expect(tgt.buf.subarray(0, end).toString('hex')).toBe(t.toBuffer(v).toString('hex'));
    const v2 = { ...v, n: null, a: [] };
    end = w(v2, tgt, 0);
    expect(tgt.buf.subarray(0, end).toString('hex')).toBe(t.toBuffer(v2).toString('hex'));
    expect(compileRecordWriter(parseSchema({ type: 'record', name: 'M', fields: [{ name: 'm', type: { type: 'map', values: 'int' } }] }))).toBeUndefined();
    expect(compileRecordWriter(parseSchema({ type: 'record', name: 'L', fields: [{ name: 't', type: { type: 'long', logicalType: 'timestamp-nanos' } }] }))).toBeUndefined();
  });
});
