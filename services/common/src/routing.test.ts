import { describe, expect, it } from 'vitest';
import { murmur2 } from './kafka/murmur2.js';
import { RecordRouter, type RoutingFields } from './routing.js';
import { emptyPacketRecord, type PacketRecord } from './records.js';

function ip(src: number[], dst: number[], extra: Partial<PacketRecord> = {}): PacketRecord {
  return { ...emptyPacketRecord(), ip_version: 4, ethertype: 0x800, src_ip: Buffer.from(src), dst_ip: Buffer.from(dst), ...extra };
}

describe('RecordRouter', () => {
  const r = new RecordRouter('agent-1', 'eth0');

  it('keeps every flow between two hosts together, whatever the ports and the direction', () => {
    const a = ip([10, 0, 0, 1], [10, 0, 0, 2], { ip_proto: 17, src_port: 1000, dst_port: 6679 });
    const b = ip([10, 0, 0, 1], [10, 0, 0, 2], { ip_proto: 6, src_port: 55555, dst_port: 80 });
    const back = ip([10, 0, 0, 2], [10, 0, 0, 1], { ip_proto: 6, src_port: 80, dst_port: 55555 });
    expect(r.hash(a)).toBe(r.hash(b));
    expect(r.hash(back)).toBe(r.hash(b));
    const arp = { ...emptyPacketRecord(), ethertype: 0x806, eth_src: 0x0a, eth_dst: 0x0b };
    expect(r.hash({ ...arp, eth_src: 0x0b, eth_dst: 0x0a })).toBe(r.hash(arp));
  });

  it('puts all PTP of a capture point together (UDP 319/320 and Ethernet)', () => {
    const sync = ip([10, 0, 0, 1], [224, 0, 1, 129], { ip_proto: 17, src_port: 319, dst_port: 319 });
    const delayReq = ip([10, 0, 0, 9], [224, 0, 1, 129], { ip_proto: 17, src_port: 319, dst_port: 319 });
    const l2 = { ...emptyPacketRecord(), ethertype: 0x88f7, eth_src: 1, eth_dst: 2 };
    expect(r.hash(sync)).toBe(r.hash(delayReq));
    expect(r.hash(sync)).toBe(r.hash(l2));
  });

  it('separates capture points and spreads host pairs over partitions', () => {
    const other = new RecordRouter('agent-2', 'eth0');
    const rec = ip([10, 0, 0, 1], [10, 0, 0, 2]);
    expect(other.hash(rec)).not.toBe(r.hash(rec));
    const used = new Set<number>();
    for (let i = 0; i < 200; i++) used.add(r.partitionOf(ip([10, 0, i >> 8, i & 255], [10, 0, 0, 2]), 8));
    expect(used.size).toBe(8);
  });
});

const fields = (f: Partial<RoutingFields>): RoutingFields => ({
  ethertype: 0x800, ipProto: 0, srcPort: 0, dstPort: 0, ipVersion: 0, buf: Buffer.alloc(0), srcIpAt: 0, dstIpAt: 0, addrLen: 0, ethSrc: 0, ethDst: 0, ...f,
});

describe('RecordRouter hashes (against murmur2 over the key bytes, built here)', () => {
  const prefix = Buffer.from('agent-1\u0000eth0\u0000');
  const keyHash = (...parts: Buffer[]) => murmur2(Buffer.concat([prefix, ...parts])) & 0x7fffffff;
  const unsignedLess = (a: Buffer, b: Buffer) => Buffer.compare(a, b) <= 0;

  it.each([1, 1024, 8192])('IPv4 host pairs, cached or not, in both directions, through hash() and hashFields() (%i cache slots)', (slots) => {
    const r = new RecordRouter('agent-1', 'eth0', slots);
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    // 6,000 random pairs and 6,000 sharing their lower or their higher address (more pairs than the cache's slots, so slots are
    // shared and overwritten by pairs that differ in one address only), high bits set or not, equal
    // addresses, each seen many times in random order and direction
    const pairs: [Buffer, Buffer][] = [];
    for (let i = 0; i < 6000; i++) {
      const a = Buffer.from([rnd(), rnd(), rnd(), rnd()]);
      pairs.push([a, i % 500 === 0 ? Buffer.from(a) : Buffer.from([i % 3 === 0 ? a[0] : rnd(), rnd(), rnd(), rnd()])]);
      pairs.push(i & 1 ? [Buffer.from([10, 0, 0, 1]), Buffer.from([200, rnd(), rnd(), rnd()])] : [Buffer.from([10, rnd(), rnd(), rnd()]), Buffer.from([250, 0, 0, 1])]);
    }
    const frame = Buffer.alloc(8);
    for (let k = 0; k < 60_000; k++) {
      const [a, b] = pairs[(rnd() << 8 | rnd()) % pairs.length];
      const [src, dst] = k & 1 ? [a, b] : [b, a];
      const want = unsignedLess(src, dst) ? keyHash(Buffer.from([0x49]), src, dst) : keyHash(Buffer.from([0x49]), dst, src);
      expect(r.hash(ip([...src], [...dst], { ip_proto: 6, src_port: 1000, dst_port: 80 }))).toBe(want);
      src.copy(frame, 0);
      dst.copy(frame, 4);
      expect(r.hashFields(fields({ ipVersion: 4, ipProto: 6, srcPort: 1000, dstPort: 80, buf: frame, srcIpAt: 0, dstIpAt: 4, addrLen: 4 }))).toBe(want);
    }
  });

  it.each([1, 1024, 8192])('IPv6 host pairs, cached or not, in both directions, through hash() and hashFields() (%i IPv4 cache slots)', (slots) => {
    const r = new RecordRouter('agent-1', 'eth0', slots);
    let seed = 11;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    const bytes = (n: number) => Array.from({ length: n }, rnd);
    // Pairs that differ first in each of the four words (shared /32, /64, /96 prefixes), in the high bit of a word,
    // equal addresses, and many more pairs than the cache has slots
    const pairs: [Buffer, Buffer][] = [];
    for (let i = 0; i < 3000; i++) {
      const a = Buffer.from(bytes(16));
      const b = Buffer.from(a);
      const word = i % 5;
      if (word < 4) {
        for (let k = word * 4; k < 16; k++) b[k] = rnd();
        if (i % 7 === 0) b[word * 4] = a[word * 4] ^ 0x80;
      }
      pairs.push([a, b]);
    }
    // Pairs whose keys (lower address, higher address) differ in one 32-bit word only, one after the other: with few
    // slots they meet in the same one, so the cache must compare every word
    const twins: [Buffer, Buffer][] = [];
    for (let word = 0; word < 8; word++) {
      const lo = Buffer.from([0x20, 0x01, 0x0d, 0xb8, ...bytes(12)]);
      const hi = Buffer.from([0xfe, 0x80, ...bytes(14)]);
      for (let t = 0; t < 2; t++) {
        const key = Buffer.concat([lo, hi]);
        key[word * 4 + 3] ^= t + 1;
        twins.push([key.subarray(0, 16), key.subarray(16)]);
      }
    }
    const frame = Buffer.alloc(40);
    for (let k = 0; k < 30_000; k++) {
      const [a, b] = k < 6000 ? twins[k % twins.length] : pairs[(rnd() << 8 | rnd()) % pairs.length];
      const [src, dst] = k & 1 ? [a, b] : [b, a];
      const want = unsignedLess(src, dst) ? keyHash(Buffer.from([0x49]), src, dst) : keyHash(Buffer.from([0x49]), dst, src);
      const rec = { ...emptyPacketRecord(), ip_version: 6, ethertype: 0x86dd, src_ip: src, dst_ip: dst, ip_proto: 6, src_port: 1000, dst_port: 443 };
      expect(r.hash(rec)).toBe(want);
      // addresses at odd offsets of a frame, source after destination for some
      const [sa, da] = k & 2 ? [3, 21] : [22, 5];
      src.copy(frame, sa);
      dst.copy(frame, da);
      expect(r.hashFields(fields({ ethertype: 0x86dd, ipVersion: 6, ipProto: 6, srcPort: 1000, dstPort: 443, buf: frame, srcIpAt: sa, dstIpAt: da, addrLen: 16 }))).toBe(want);
    }
  });

  it('non-IP keys for MAC addresses of every size, the high bits set', () => {
    const r = new RecordRouter('agent-1', 'eth0');
    for (const [src, dst, type] of [[0, 1, 0x806], [0xffffffffffff, 0x800000000000, 0x88cc], [0x0000ffffffff, 0x000100000000, 0x8100], [0x123456789abc, 0x123456789abc, 0xffff]]) {
      const mac = (v: number) => Buffer.from(v.toString(16).padStart(12, '0'), 'hex');
      const [lo, hi] = src <= dst ? [src, dst] : [dst, src];
      const want = keyHash(Buffer.from([0x45]), mac(lo), mac(hi), Buffer.from([type >> 8, type & 0xff]));
      expect(r.hash({ ...emptyPacketRecord(), ethertype: type, eth_src: src, eth_dst: dst })).toBe(want);
      expect(r.hashFields(fields({ ethertype: type, ethSrc: dst, ethDst: src }))).toBe(want);
    }
  });

  it('refuses a cache size that is not a power of two', () => {
    expect(() => new RecordRouter('a', 'b', 1000)).toThrow(/power of two/);
    expect(() => new RecordRouter('a', 'b', 0)).toThrow(/power of two/);
  });

  it('PTP, IPv6 and non-IP keys', () => {
    const r = new RecordRouter('agent-1', 'eth0');
    const ptp = keyHash(Buffer.from([0x50]));
    expect(r.hash(ip([10, 0, 0, 1], [224, 0, 1, 129], { ip_proto: 17, src_port: 319, dst_port: 319 }))).toBe(ptp);
    expect(r.hashFields(fields({ ethertype: 0x88f7, ethSrc: 1, ethDst: 2 }))).toBe(ptp);
    const a6 = Buffer.from('fe800000000000000000000000000002', 'hex');
    const b6 = Buffer.from('fe800000000000000000000000000001', 'hex');
    const v6 = { ...emptyPacketRecord(), ip_version: 6, ethertype: 0x86dd, src_ip: a6, dst_ip: b6, ip_proto: 17, src_port: 5000, dst_port: 5001 };
    expect(r.hash(v6)).toBe(keyHash(Buffer.from([0x49]), b6, a6));
    expect(r.hashFields(fields({ ethertype: 0x86dd, ipVersion: 6, ipProto: 17, srcPort: 5000, dstPort: 5001, buf: Buffer.concat([a6, b6]), srcIpAt: 0, dstIpAt: 16, addrLen: 16 })))
      .toBe(keyHash(Buffer.from([0x49]), b6, a6));
    const arp = { ...emptyPacketRecord(), ethertype: 0x806, eth_src: 0x0b0000000001, eth_dst: 0x0a0000000002 };
    expect(r.hash(arp)).toBe(keyHash(Buffer.from([0x45]), Buffer.from('0a0000000002', 'hex'), Buffer.from('0b0000000001', 'hex'), Buffer.from([0x08, 0x06])));
    expect(r.hashFields(fields({ ethertype: 0x806, ethSrc: 0x0b0000000001, ethDst: 0x0a0000000002 }))).toBe(r.hash(arp));
  });
});
