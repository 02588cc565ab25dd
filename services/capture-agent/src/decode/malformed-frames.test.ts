/**
 * Malformed frames get the exact decode_error of the layer that fails, with
 * what parsed before it kept; random bytes and mutated real frames never
 * make the decoder throw; and every code in DECODE_ERROR_CODES is reachable.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyPacketRecord, type PacketRecord } from '@streamlens/common';
import { DECODE_ERROR_CODES } from './decode-errors.js';
import { decodeFrame, DEFAULT_PAYLOAD_CAP } from './decode-frame.js';
import { ETHERNET_FRAMES, OTHER_LINK_FRAMES } from '../../test-fixtures/crafted-catalogue.js';
import { dnsMessage, ethernet, ipv4, ipv6, linuxSll, linuxSll2, nullHeader, TCP, tcp, udp } from '../../test-fixtures/frames.js';
import { Prng } from '../../test-fixtures/prng.js';
import { decodeFile } from '../../test-fixtures/tshark-oracle.js';

const seen = new Set<string>();

function decode(linkType: number, data: Buffer, wireLen = data.length, cap = DEFAULT_PAYLOAD_CAP): PacketRecord {
  const rec = emptyPacketRecord();
  decodeFrame(linkType, data, wireLen, rec, cap);
  if (rec.decode_error) seen.add(rec.decode_error);
  return rec;
}

const eth4 = (p: Buffer) => ethernet({ type: 0x0800 }, p);
const udp4 = (dport: number, payload: Buffer) => eth4(ipv4({ proto: 17 }, udp({ sport: 40000, dport }, payload)));
const tcp4 = (dport: number, payload: Buffer) => eth4(ipv4({ proto: 6 }, tcp({ sport: 40000, dport, flags: TCP.PSH | TCP.ACK }, payload)));
const dnsHeader = (qd: number) => Buffer.from([0x12, 0x34, 0x01, 0x00, 0, qd, 0, 0, 0, 0, 0, 0]);

describe('malformed frames: the failing layer names the error, the layers before it are filled', () => {
  const cases: { name: string; linkType?: number; data: Buffer; wireLen?: number; code: string; check?: (r: PacketRecord) => void }[] = [
    { name: 'unknown link type keeps the whole frame', linkType: 105, data: Buffer.from('0800abcdef', 'hex'), code: 'link.unsupported',
      check: (r) => expect(r.payload.toString('hex')).toBe('0800abcdef') },
    { name: 'empty Ethernet frame', data: Buffer.alloc(0), code: 'eth.truncated' },
    { name: 'Ethernet cut inside the source MAC', data: Buffer.from('ffffffffffff0011', 'hex'), code: 'eth.truncated',
      check: (r) => expect(r.eth_dst).toBe(0xffffffffffff) },
    { name: 'VLAN tag cut short', data: ethernet({ type: 0x8100 }, Buffer.from([0x00])), code: 'vlan.truncated',
      check: (r) => expect(r.eth_src).toBe(0x020000000001) },
    { name: 'nine stacked VLAN tags', data: ethernet({ type: 0x0800, vlans: Array.from({ length: 9 }, (_, i) => ({ vid: i + 1 })) }, Buffer.alloc(20)),
      code: 'vlan.too_many_tags', check: (r) => expect(r.vlan_ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]) },
    { name: 'SLL header cut short', linkType: 113, data: Buffer.alloc(15), code: 'sll.truncated' },
    { name: 'SLL2 header cut short', linkType: 276, data: Buffer.alloc(19), code: 'sll2.truncated' },
    { name: 'null header cut short', linkType: 0, data: Buffer.from([2, 0]), code: 'null.truncated' },
    { name: 'raw IP with version 5', linkType: 101, data: Buffer.from('5500001400000000', 'hex'), code: 'raw.bad_version' },
    { name: 'raw IP, empty', linkType: 101, data: Buffer.alloc(0), code: 'raw.bad_version' },
    { name: 'ARP cut inside the addresses', data: ethernet({ type: 0x0806 }, Buffer.from('0001080006040001001122334455', 'hex')), code: 'arp.truncated' },
    { name: 'IPv4 with version 6 under EtherType 0x0800', data: eth4(ipv4({ proto: 17, version: 6 }, udp({ sport: 1, dport: 2 }))), code: 'ipv4.bad_version',
      check: (r) => expect(r.ip_version).toBe(0) },
    { name: 'IPv4 IHL of 4 words', data: eth4(ipv4({ proto: 17, ihl: 4 }, udp({ sport: 1, dport: 2 }))), code: 'ipv4.bad_header_length',
      check: (r) => expect(r.src_port).toBe(0) },
    { name: 'IPv4 total length below the header', data: eth4(ipv4({ proto: 17, totalLength: 12 }, udp({ sport: 1, dport: 2 }))), code: 'ipv4.bad_length' },
    { name: 'IPv4 total length beyond the frame', data: eth4(ipv4({ proto: 17, totalLength: 200 }, udp({ sport: 1, dport: 2 }))), code: 'ipv4.truncated',
      check: (r) => expect(r.src_ip.toString('hex')).toBe('0a000001') },
    { name: 'IPv4 options not captured', data: eth4(ipv4({ proto: 17, options: Buffer.alloc(8, 1) }, Buffer.alloc(0))).subarray(0, 38), wireLen: 100, code: 'ipv4.truncated' },
    { name: 'IPv6 with version 4 under EtherType 0x86DD', data: ethernet({ type: 0x86dd }, ipv6({ nextHeader: 17, version: 4 }, udp({ sport: 1, dport: 2 }))), code: 'ipv6.bad_version' },
    { name: 'IPv6 payload length beyond the frame', data: ethernet({ type: 0x86dd }, ipv6({ nextHeader: 17, payloadLength: 300 }, udp({ sport: 1, dport: 2 }))), code: 'ipv6.truncated',
      check: (r) => expect(r.ip_version).toBe(6) },
    { name: 'IPv6 extension header longer than the packet', data: ethernet({ type: 0x86dd }, ipv6({ nextHeader: 17, ext: [{ type: 60, raw: Buffer.from([0, 5, 0, 0, 0, 0, 0, 0]) }] }, Buffer.alloc(8))),
      code: 'ipv6.ext_truncated', check: (r) => expect(r.ipv6_ext_headers).toEqual([60]) },
    { name: 'TCP data offset of 4 words', data: eth4(ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: TCP.SYN, dataOffset: 4 }))), code: 'tcp.bad_offset',
      check: (r) => expect([r.src_port, r.dst_port, r.tcp_flags_str]).toEqual([1, 2, 'SYN']) },
    { name: 'TCP data offset beyond the segment', data: eth4(ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: TCP.ACK, dataOffset: 15 }))), code: 'tcp.bad_offset' },
    { name: 'TCP options not captured', data: eth4(ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: TCP.ACK, options: Buffer.alloc(20, 1) }))).subarray(0, 60), wireLen: 74, code: 'tcp.truncated' },
    { name: 'TCP header not captured', data: eth4(ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: TCP.ACK }))).subarray(0, 40), wireLen: 54, code: 'tcp.truncated',
      check: (r) => expect([r.src_port, r.dst_port]).toEqual([1, 2]) },
    { name: 'UDP header not captured', data: udp4(9, Buffer.alloc(0)).subarray(0, 37), wireLen: 42, code: 'udp.truncated' },
    { name: 'UDP length below 8', data: eth4(ipv4({ proto: 17 }, udp({ sport: 1, dport: 2, length: 4 }, Buffer.from('abcd')))), code: 'udp.bad_length',
      check: (r) => expect(r.payload.toString()).toBe('abcd') },
    { name: 'UDP length beyond an unfragmented datagram', data: eth4(ipv4({ proto: 17 }, udp({ sport: 1, dport: 2, length: 100 }, Buffer.from('abcd')))), code: 'udp.bad_length' },
    { name: 'ICMP cut inside its header', data: eth4(ipv4({ proto: 1 }, Buffer.from([8, 0, 0, 0]))), code: 'icmp.truncated',
      check: (r) => expect(r.icmp).toEqual({ type: 8, code: 0 }) },
    { name: 'ICMPv6 cut inside its header', data: ethernet({ type: 0x86dd }, ipv6({ nextHeader: 58 }, Buffer.from([128, 0]))), code: 'icmpv6.truncated' },
    { name: 'IGMP shorter than 8 bytes', data: eth4(ipv4({ proto: 2 }, Buffer.from([0x16, 0, 0, 0]))), code: 'igmp.truncated' },
    { name: 'DNS shorter than its header', data: udp4(53, Buffer.from([1, 2, 3])), code: 'dns.truncated',
      check: (r) => { expect(r.dns).toBeNull(); expect(r.dst_port).toBe(53); } },
    { name: 'DNS question cut short', data: udp4(53, Buffer.concat([dnsHeader(1), Buffer.from([3, 0x77, 0x77])])), code: 'dns.truncated',
      check: (r) => expect(r.dns).toMatchObject({ id: 0x1234, question_count: 1, qname: '' }) },
    { name: 'DNS question without its type', data: udp4(53, Buffer.concat([dnsHeader(1), Buffer.from([1, 0x61, 0, 0])])), code: 'dns.truncated',
      check: (r) => expect(r.dns).toMatchObject({ qname: 'a', qtype: 0 }) },
    { name: 'DNS compression pointer loop', data: udp4(53, Buffer.concat([dnsHeader(1), Buffer.from([1, 0x61, 0xc0, 12, 0, 1, 0, 1])])), code: 'dns.bad_name',
      check: (r) => expect(r.dns).toMatchObject({ id: 0x1234, question_count: 1, qname: '', qtype: 0 }) },
    { name: 'DNS pointer to itself', data: udp4(5353, Buffer.concat([dnsHeader(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])])), code: 'dns.bad_name' },
    { name: 'DNS extended label type 0x40', data: udp4(53, Buffer.concat([dnsHeader(1), Buffer.from([0x41, 0, 0, 1, 0, 1])])), code: 'dns.bad_name' },
    { name: 'DNS name over 255 bytes', data: udp4(53, Buffer.concat([dnsHeader(1), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])])),
      code: 'dns.bad_name' },
    { name: 'HTTP request line without a version', data: tcp4(80, Buffer.from('GET /only-a-path\r\nHost: x\r\n\r\n')), code: 'http.bad_start_line',
      check: (r) => { expect(r.http).toMatchObject({ method: 'GET', uri: '/only-a-path', version: '' }); expect(r.tcp_flags_str).toBe('PSH,ACK'); } },
    { name: 'HTTP request with a version that is not HTTP', data: tcp4(80, Buffer.from('GET / SPDY/3\r\n\r\n')), code: 'http.bad_start_line' },
    { name: 'HTTP status that is not three digits', data: tcp4(8080, Buffer.from('HTTP/1.1 2x0 OK\r\n\r\n')), code: 'http.bad_start_line',
      check: (r) => expect(r.http).toMatchObject({ is_request: false, version: 'HTTP/1.1', status_code: 0 }) },
    { name: 'HTTP request line cut by the snap length', data: tcp4(80, Buffer.from('GET /a/very/long/path HTT')), code: 'http.truncated',
      check: (r) => expect(r.http).toMatchObject({ method: 'GET', uri: '/a/very/long/path', version: 'HTT' }) },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, () => {
      const r = decode(c.linkType ?? 1, c.data, c.wireLen ?? c.data.length);
      expect(r.decode_error).toBe(c.code);
      c.check?.(r);
    });
  }

  it('null/loopback with an unknown address family keeps its bytes, without an error', () => {
    const r = decode(0, nullHeader(10, true, Buffer.from('abc')));
    expect(r).toMatchObject({ ethertype: 0, ip_version: 0, payload_len: 3, decode_error: null });
    expect(r.payload.toString()).toBe('abc');
  });

  it('a segment that does not start like HTTP, on port 80, is not HTTP', () => {
    expect(decode(1, tcp4(80, Buffer.from('\x16\x03\x01 TLS'))).http).toBeNull();
    expect(decode(1, tcp4(80, Buffer.from('GETX / HTTP/1.1\r\n'))).http).toBeNull();
  });

  it('DNS with no question keeps the header fields', () => {
    const r = decode(1, udp4(53, dnsMessage({ id: 7, questions: [], response: true, rcode: 2 })));
    expect(r.dns).toEqual({ is_response: true, id: 7, opcode: 0, rcode: 2, qname: '', qtype: 0, question_count: 0, answer_count: 0, size: 12 });
    expect(r.decode_error).toBeNull();
  });

  it('DNS names: escapes for dots and control bytes inside labels, UTF-8 labels decoded', () => {
    const q = Buffer.concat([dnsHeader(1), Buffer.from([3, 0x61, 0x2e, 0x01, 5]), Buffer.from('caf\u00e9', 'utf8'), Buffer.from([0, 0, 16, 0, 1])]);
    expect(decode(1, udp4(5353, q)).dns?.qname).toBe('a\\.\\001.caf\u00e9');
  });

  it('payload cap: payload keeps at most `cap` bytes, payload_len stays what was sent', () => {
    const r = decode(1, udp4(6000, Buffer.alloc(1000, 0x5a)), undefined, 100);
    expect(r.payload_len).toBe(1000);
    expect(r.payload.length).toBe(100);
    expect(decode(1, udp4(6000, Buffer.alloc(1000, 0x5a)), undefined, 0).payload.length).toBe(0);
  });

  it('a record is fully reset between frames (no field leaks from the previous frame)', () => {
    const rec = emptyPacketRecord();
    const busy = ETHERNET_FRAMES.find((f) => f.name === 'dns response with compressed answers')!;
    decodeFrame(1, busy.data, busy.data.length, rec);
    const arpFrame = ETHERNET_FRAMES.find((f) => f.name === 'arp request')!;
    decodeFrame(1, arpFrame.data, arpFrame.data.length, rec);
    const fresh = emptyPacketRecord();
    decodeFrame(1, arpFrame.data, arpFrame.data.length, fresh);
    expect(rec).toEqual(fresh);
  });
});

describe('fuzz: random and mutated frames never make the decoder throw', () => {
  const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];
  const codes = new Set<string>(DECODE_ERROR_CODES);

  function check(linkType: number, data: Buffer, wireLen: number, cap: number): void {
    let r: PacketRecord;
    try {
      r = decode(linkType, data, wireLen, cap);
    } catch (err) {
      throw new Error(`decodeFrame threw on linktype ${linkType}, wire ${wireLen}, cap ${cap}, bytes ${data.toString('hex')}: ${(err as Error).stack}`);
    }
    if (r.decode_error !== null && !codes.has(r.decode_error)) throw new Error(`undeclared decode_error ${r.decode_error}`);
    if (r.payload.length > Math.min(cap, data.length)) throw new Error(`payload of ${r.payload.length} bytes exceeds cap ${cap} / captured ${data.length}`);
    if (r.payload_len < r.payload.length) throw new Error(`payload_len ${r.payload_len} < kept ${r.payload.length}`);
    if (r.cap_len !== data.length || r.wire_len !== wireLen) throw new Error('lengths not recorded');
  }

  it('random bytes on every link type', () => {
    const rnd = new Prng(0xc0ffee);
    for (let i = 0; i < 30_000; i++) {
      const data = rnd.bytes(rnd.int(120));
      // Bias toward plausible headers so the fuzz reaches deep layers.
      if (data.length > 14 && rnd.next() < 0.5) data.writeUInt16BE(rnd.pick([0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8]), 12);
      if (data.length > 23 && rnd.next() < 0.5) data[14] = rnd.pick([0x45, 0x46, 0x4f, 0x60]);
      check(rnd.pick(LINK_TYPES), data, data.length + (rnd.next() < 0.3 ? rnd.int(2000) : 0), rnd.pick([0, 1, 64, DEFAULT_PAYLOAD_CAP]));
    }
  });

  it('mutated and truncated real frames (crafted and public captures)', async () => {
    const frames = [...ETHERNET_FRAMES, ...OTHER_LINK_FRAMES].map((f) => ({ linkType: f.linkType, data: f.data }));
    for (const dir of ['ptp', 'iena', 'ch10udp']) {
      for (const f of readdirSync(join(CAPTURES_DIR, dir)).filter((x) => /\.pcap(ng)?$/.test(x))) {
        const { frames: d } = await decodeFile(join(CAPTURES_DIR, dir, f));
        for (const x of d.slice(0, 20)) frames.push({ linkType: x.linkType, data: Buffer.from(x.data) });
      }
    }
    const rnd = new Prng(0x5eed);
    for (let i = 0; i < 60_000; i++) {
      const base = rnd.pick(frames);
      const data = Buffer.from(base.data.subarray(0, rnd.next() < 0.5 ? base.data.length : rnd.int(base.data.length + 1)));
      const flips = rnd.int(5);
      for (let k = 0; k < flips && data.length > 0; k++) data[rnd.int(data.length)] = rnd.int(256);
      check(base.linkType, data, rnd.next() < 0.2 ? base.data.length : data.length, rnd.pick([0, 16, DEFAULT_PAYLOAD_CAP]));
    }
  });

  it('random DNS bodies (pointer loops, bad labels) on port 53', () => {
    const rnd = new Prng(53);
    for (let i = 0; i < 20_000; i++) {
      const body = rnd.bytes(12 + rnd.int(60));
      body[4] = 0;
      body[5] = 1 + rnd.int(2);
      for (let k = 12; k < body.length; k++) if (rnd.next() < 0.2) body[k] = 0xc0 | rnd.int(2);
      const data = rnd.next() < 0.5 ? udp4(53, body) : tcp4(53, Buffer.concat([Buffer.from([0, body.length]), body]));
      check(1, data, data.length, DEFAULT_PAYLOAD_CAP);
    }
  });

  it('every declared decode_error code is produced by some input in these tests', () => {
    // Also exercised by the frames above: SLL/SLL2 headers behind other link layers.
    check(113, linuxSll({ protocol: 0x0800 }, Buffer.alloc(3)), 19, DEFAULT_PAYLOAD_CAP);
    check(276, linuxSll2({ protocol: 0x86dd }, Buffer.alloc(3)), 23, DEFAULT_PAYLOAD_CAP);
    expect(DECODE_ERROR_CODES.filter((c) => !seen.has(c))).toEqual([]);
  });
});
