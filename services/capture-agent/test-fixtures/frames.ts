/**
 * Builders for crafted frames (tests and the benchmark generator). Each
 * returns the bytes of one layer wrapped around its payload, with lengths and
 * the IPv4 header checksum computed unless a test overrides them to build a
 * malformed frame.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function mac(s: string): Buffer {
  const b = Buffer.from(s.replace(/[:-]/g, ''), 'hex');
  if (b.length !== 6) throw new Error(`bad MAC ${s}`);
  return b;
}

export function ip4(s: string): Buffer {
  if (!isIPv4(s)) throw new Error(`bad IPv4 ${s}`);
  return Buffer.from(s.split('.').map(Number));
}

export function ip6(s: string): Buffer {
  if (!isIPv6(s)) throw new Error(`bad IPv6 ${s}`);
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const parts = (x: string) => (x ? x.split(':') : []);
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export interface VlanTag { tpid?: number; vid: number; pcp?: number }

export function ethernet(o: { dst?: string; src?: string; type: number; vlans?: VlanTag[] }, payload: Buffer): Buffer {
  const tags = o.vlans ?? [];
  const b = Buffer.alloc(14 + 4 * tags.length);
  mac(o.dst ?? '02:00:00:00:00:02').copy(b, 0);
  mac(o.src ?? '02:00:00:00:00:01').copy(b, 6);
  let p = 12;
  for (const t of tags) {
    b.writeUInt16BE(t.tpid ?? 0x8100, p);
    b.writeUInt16BE(((t.pcp ?? 0) << 13) | t.vid, p + 2);
    p += 4;
  }
  b.writeUInt16BE(o.type, p);
  return Buffer.concat([b, payload]);
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Options {
  src?: string; dst?: string; proto: number; ttl?: number; tos?: number; id?: number;
  df?: boolean; mf?: boolean; reservedFlag?: boolean; fragOffset?: number; options?: Buffer;
  /** Override the total length field (malformed frames). */
  totalLength?: number;
  /** Override the IHL nibble (malformed frames). */
  ihl?: number;
  version?: number;
}

export function ipv4(o: Ipv4Options, payload: Buffer): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  if (opts.length % 4) throw new Error('IPv4 options must be padded to 4 bytes');
  const hl = 20 + opts.length;
  const h = Buffer.alloc(hl);
  h[0] = ((o.version ?? 4) << 4) | (o.ihl ?? hl / 4);
  h[1] = o.tos ?? 0;
  h.writeUInt16BE(o.totalLength ?? hl + payload.length, 2);
  h.writeUInt16BE(o.id ?? 0x1234, 4);
  const flags = (o.reservedFlag ? 4 : 0) | (o.df ? 2 : 0) | (o.mf ? 1 : 0);
  h.writeUInt16BE((flags << 13) | ((o.fragOffset ?? 0) >> 3), 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  ip4(o.src ?? '10.0.0.1').copy(h, 12);
  ip4(o.dst ?? '10.0.0.2').copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

export type Ipv6Ext =
  | { type: 0 | 60; options?: Buffer }
  | { type: 43; routingType?: number; segmentsLeft?: number; addresses?: string[] }
  | { type: 44; offset?: number; more?: boolean; id?: number }
  | { type: 51; spi?: number; seq?: number; icvLength?: number }
  /** Raw extension bytes (next header is patched in), for malformed headers. */
  | { type: number; raw: Buffer };

export interface Ipv6Options {
  src?: string; dst?: string; nextHeader: number; hopLimit?: number; tclass?: number; flow?: number;
  ext?: Ipv6Ext[]; payloadLength?: number; version?: number;
}

function extBytes(e: Ipv6Ext, next: number): Buffer {
  if ('raw' in e) {
    const b = Buffer.from(e.raw);
    if (b.length) b[0] = next;
    return b;
  }
  switch (e.type) {
    case 0:
    case 60: {
      // Pad the options to a multiple of 8 with PadN.
      const opts = e.options ?? Buffer.alloc(0);
      let len = 2 + opts.length;
      const pad = (8 - (len % 8)) % 8;
      len += pad;
      const b = Buffer.alloc(len);
      b[0] = next;
      b[1] = len / 8 - 1;
      opts.copy(b, 2);
      if (pad === 1) b[2 + opts.length] = 0;
      else if (pad > 1) { b[2 + opts.length] = 1; b[3 + opts.length] = pad - 2; }
      return b;
    }
    case 43: {
      const addrs = e.addresses ?? ['2001:db8::99'];
      const b = Buffer.alloc(8 + 16 * addrs.length);
      b[0] = next;
      b[1] = 2 * addrs.length;
      b[2] = e.routingType ?? 0;
      b[3] = e.segmentsLeft ?? 0;
      addrs.forEach((a, i) => ip6(a).copy(b, 8 + 16 * i));
      return b;
    }
    case 44: {
      const b = Buffer.alloc(8);
      b[0] = next;
      b.writeUInt16BE(((e.offset ?? 0) & 0xfff8) | (e.more ? 1 : 0), 2);
      b.writeUInt32BE(e.id ?? 0xdeadbeef, 4);
      return b;
    }
    case 51: {
      const icv = e.icvLength ?? 12;
      const b = Buffer.alloc(12 + icv);
      b[0] = next;
      b[1] = (12 + icv) / 4 - 2;
      b.writeUInt32BE(e.spi ?? 0x100, 4);
      b.writeUInt32BE(e.seq ?? 1, 8);
      return b;
    }
    default:
      throw new Error(`unknown extension ${(e as { type: number }).type}`);
  }
}

export function ipv6(o: Ipv6Options, payload: Buffer): Buffer {
  const exts = o.ext ?? [];
  const parts: Buffer[] = [];
  for (let i = 0; i < exts.length; i++) {
    const next = i + 1 < exts.length ? exts[i + 1].type : o.nextHeader;
    parts.push(extBytes(exts[i], next));
  }
  const body = Buffer.concat([...parts, payload]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((((o.version ?? 6) << 28) | ((o.tclass ?? 0) << 20) | (o.flow ?? 0)) >>> 0, 0);
  h.writeUInt16BE(o.payloadLength ?? body.length, 4);
  h[6] = exts.length ? exts[0].type : o.nextHeader;
  h[7] = o.hopLimit ?? 64;
  ip6(o.src ?? '2001:db8::1').copy(h, 8);
  ip6(o.dst ?? '2001:db8::2').copy(h, 24);
  return Buffer.concat([h, body]);
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, NS: 0x100 } as const;

export function tcp(o: { sport: number; dport: number; seq?: number; ack?: number; flags: number; window?: number; options?: Buffer; dataOffset?: number; urgent?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  if (opts.length % 4) throw new Error('TCP options must be padded to 4 bytes');
  const h = Buffer.alloc(20 + opts.length);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE((o.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h.writeUInt16BE(((o.dataOffset ?? h.length / 4) << 12) | (o.flags & 0x1ff), 12);
  h.writeUInt16BE(o.window ?? 65535, 14);
  h.writeUInt16BE(o.urgent ?? 0, 18);
  opts.copy(h, 20);
  return Buffer.concat([h, payload]);
}

export function udp(o: { sport: number; dport: number; length?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt16BE(o.length ?? 8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** ICMP or ICMPv6: type, code, checksum (left 0), 4 bytes of rest-of-header, body. */
export function icmp(type: number, code: number, body: Buffer = Buffer.alloc(0), rest = Buffer.from([0, 1, 0, 1])): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h[1] = code;
  rest.copy(h, 4);
  const b = Buffer.concat([h, body]);
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

export function arp(o: { op: number; sha: string; spa: string; tha: string; tpa: string }): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(o.op, 6);
  mac(o.sha).copy(b, 8);
  ip4(o.spa).copy(b, 14);
  mac(o.tha).copy(b, 18);
  ip4(o.tpa).copy(b, 24);
  return b;
}

/** IGMPv1/v2 message, or a v3 query when `v3Query` is set. */
export function igmp(type: number, group: string, v3Query = false, maxResp = 100): Buffer {
  const b = Buffer.alloc(v3Query ? 12 : 8);
  b[0] = type;
  b[1] = maxResp;
  ip4(group).copy(b, 4);
  if (v3Query) b[8] = 2;
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

/** IGMPv3 membership report with one group record per address. */
export function igmpV3Report(groups: string[]): Buffer {
  const b = Buffer.alloc(8 + 8 * groups.length);
  b[0] = 0x22;
  b.writeUInt16BE(groups.length, 6);
  groups.forEach((g, i) => {
    b[8 + 8 * i] = 2; // MODE_IS_EXCLUDE
    ip4(g).copy(b, 12 + 8 * i);
  });
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

function encodeName(name: string): Buffer {
  if (name === '') return Buffer.from([0]);
  const parts = name.split('.').map((l) => {
    const lb = Buffer.from(l, 'utf8');
    return Buffer.concat([Buffer.from([lb.length]), lb]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

export interface DnsMessageOptions {
  id: number;
  response?: boolean;
  opcode?: number;
  rcode?: number;
  questions: { name: string; type: number }[];
  /** Answers to the first question, each an IPv4 address, named by a compression pointer to the question name. */
  answersA?: string[];
  /** Override counts (malformed messages). */
  qdcount?: number;
  ancount?: number;
}

export function dnsMessage(o: DnsMessageOptions): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(o.id, 0);
  h.writeUInt16BE((o.response ? 0x8000 : 0) | ((o.opcode ?? 0) << 11) | 0x0100 | (o.response ? 0x0080 : 0) | (o.rcode ?? 0), 2);
  const answers = o.answersA ?? [];
  h.writeUInt16BE(o.qdcount ?? o.questions.length, 4);
  h.writeUInt16BE(o.ancount ?? answers.length, 6);
  const qs = o.questions.map((q) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(q.type, 0);
    t.writeUInt16BE(1, 2);
    return Buffer.concat([encodeName(q.name), t]);
  });
  const rrs = answers.map((a) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the first question name
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(300, 6);
    rr.writeUInt16BE(4, 10);
    ip4(a).copy(rr, 12);
    return rr;
  });
  return Buffer.concat([h, ...qs, ...rrs]);
}

/** DNS over TCP: the message behind its 2-byte length. */
export function dnsOverTcp(msg: Buffer): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(msg.length, 0);
  return Buffer.concat([p, msg]);
}

export function linuxSll(o: { pktType?: number; hatype?: number; addr?: string; protocol: number }, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(o.pktType ?? 0, 0);
  h.writeUInt16BE(o.hatype ?? 1, 2);
  const a = o.addr === undefined ? Buffer.alloc(0) : mac(o.addr);
  h.writeUInt16BE(a.length, 4);
  a.copy(h, 6);
  h.writeUInt16BE(o.protocol, 14);
  return Buffer.concat([h, payload]);
}

export function linuxSll2(o: { pktType?: number; hatype?: number; addr?: string; protocol: number; ifindex?: number }, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.protocol, 0);
  h.writeUInt32BE(o.ifindex ?? 2, 4);
  h.writeUInt16BE(o.hatype ?? 1, 8);
  h[10] = o.pktType ?? 4;
  const a = o.addr === undefined ? Buffer.alloc(0) : mac(o.addr);
  h[11] = a.length;
  a.copy(h, 12);
  return Buffer.concat([h, payload]);
}

/** BSD null/loopback header: the address family in the capturing host's byte order (LINKTYPE_LOOP: always big-endian). */
export function nullHeader(family: number, littleEndian: boolean, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  if (littleEndian) h.writeUInt32LE(family, 0);
  else h.writeUInt32BE(family, 0);
  return Buffer.concat([h, payload]);
}
