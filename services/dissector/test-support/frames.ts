/**
 * Builders for crafted test frames (Ethernet, 802.1Q, IPv4, IPv6, UDP, TCP)
 * with correct lengths and checksums, and a classic pcap writer, so crafted
 * traffic can be checked against tshark as an oracle.
 */
import { writeFileSync } from 'node:fs';

export function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function ip4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

export function ip6(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function sum16(buf: Buffer, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length % 2) s += buf[buf.length - 1] << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

export interface EthOptions {
  dst?: string;
  src?: string;
  vlans?: number[];
}

export function ethernet(ethertype: number, payload: Buffer, o: EthOptions = {}): Buffer {
  const parts: Buffer[] = [mac(o.dst ?? '00:11:22:33:44:55'), mac(o.src ?? '00:aa:bb:cc:dd:ee')];
  for (const v of o.vlans ?? []) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(0x8100, 0);
    tag.writeUInt16BE(v & 0xfff, 2);
    parts.push(tag);
  }
  const et = Buffer.alloc(2);
  et.writeUInt16BE(ethertype, 0);
  parts.push(et, payload);
  const frame = Buffer.concat(parts);
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame;
}

export interface Ip4Options {
  ttl?: number;
  id?: number;
  flags?: number;
  fragOffset?: number;
}

export function ipv4(src: string, dst: string, proto: number, payload: Buffer, o: Ip4Options = {}): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(((o.flags ?? 0) << 13) | ((o.fragOffset ?? 0) >> 3), 6);
  h[8] = o.ttl ?? 64;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(fold(sum16(h)), 10);
  return Buffer.concat([h, payload]);
}

export function ipv6(src: string, dst: string, nextHeader: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = nextHeader;
  h[7] = 64;
  ip6(src).copy(h, 8);
  ip6(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

function pseudoSum(src: Buffer, dst: Buffer, proto: number, len: number): number {
  const ph = Buffer.alloc(src.length * 2 + 4);
  src.copy(ph, 0);
  dst.copy(ph, src.length);
  ph.writeUInt16BE(proto, src.length * 2);
  ph.writeUInt16BE(len, src.length * 2 + 2);
  return sum16(ph);
}

function addrs(src: string, dst: string): [Buffer, Buffer] {
  return src.includes(':') ? [ip6(src), ip6(dst)] : [ip4(src), ip4(dst)];
}

export function udp(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const u = Buffer.alloc(8);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(8 + payload.length, 4);
  const seg = Buffer.concat([u, payload]);
  const [s, d] = addrs(src, dst);
  const c = fold(sum16(seg, pseudoSum(s, d, 17, seg.length)));
  seg.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  return seg;
}

export interface TcpOptions {
  seq?: number;
  ack?: number;
  flags?: number;
}

/** Default sequence numbers advance per segment so tshark never reads crafted segments as retransmissions. */
let nextSeq = 1000;

export function tcp(src: string, dst: string, sport: number, dport: number, payload: Buffer, o: TcpOptions = {}): Buffer {
  const t = Buffer.alloc(20);
  t.writeUInt16BE(sport, 0);
  t.writeUInt16BE(dport, 2);
  t.writeUInt32BE((o.seq ?? (nextSeq += 100_000)) >>> 0, 4);
  t.writeUInt32BE((o.ack ?? 1) >>> 0, 8);
  t[12] = 5 << 4;
  t[13] = o.flags ?? 0x18; // PSH,ACK
  t.writeUInt16BE(65535, 14);
  const seg = Buffer.concat([t, payload]);
  const [s, d] = addrs(src, dst);
  seg.writeUInt16BE(fold(sum16(seg, pseudoSum(s, d, 6, seg.length))), 16);
  return seg;
}

/** A whole Ethernet + IPv4/IPv6 + UDP frame. */
export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Buffer, eth: EthOptions = {}): Buffer {
  const seg = udp(src, dst, sport, dport, payload);
  return src.includes(':')
    ? ethernet(0x86dd, ipv6(src, dst, 17, seg), eth)
    : ethernet(0x0800, ipv4(src, dst, 17, seg), eth);
}

/** A whole Ethernet + IPv4/IPv6 + TCP frame. */
export function tcpFrame(src: string, dst: string, sport: number, dport: number, payload: Buffer, o: TcpOptions = {}, eth: EthOptions = {}): Buffer {
  const seg = tcp(src, dst, sport, dport, payload, o);
  return src.includes(':')
    ? ethernet(0x86dd, ipv6(src, dst, 6, seg), eth)
    : ethernet(0x0800, ipv4(src, dst, 6, seg), eth);
}

/** Classic pcap (µs, little endian) of Ethernet frames, one second apart. */
export function writePcap(path: string, frames: Buffer[], linkType = 1): void {
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [gh];
  frames.forEach((f, i) => {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(1_700_000_000 + i, 0);
    rh.writeUInt32LE(0, 4);
    rh.writeUInt32LE(f.length, 8);
    rh.writeUInt32LE(f.length, 12);
    parts.push(rh, f);
  });
  writeFileSync(path, Buffer.concat(parts));
}
