/**
 * Wire formats for generated test captures, written from the protocol
 * references (../shared/protocols.md, RFC 768/791) with their own checksum
 * code: Ethernet + IPv4 + UDP frames, IENA packets, Chapter 10 packets and
 * UDP transfer headers, PTP v2 messages, and a nanosecond pcap writer. Nothing
 * here comes from StreamLens' own decoders, so a capture built with it tests
 * them against an independent encoding.
 */
import { writeFileSync } from 'node:fs';

// ---- Ethernet / IPv4 / UDP ---------------------------------------------------

export function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function macBytes(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

function onesComplement(buf: Buffer, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length % 2) s += buf[buf.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

/** Multicast and broadcast destination MACs follow the IPv4 address (RFC 1112). */
function dstMacFor(dst: string): Buffer {
  const b = ipv4Bytes(dst);
  if (b[0] >= 224 && b[0] <= 239) return Buffer.from([0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]]);
  if (b[3] === 255) return Buffer.alloc(6, 0xff);
  return macBytes('02:00:00:00:00:02');
}

let ipId = 1;

/** An Ethernet II frame carrying IPv4/UDP with correct lengths and checksums. */
export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const s = ipv4Bytes(src);
  const d = ipv4Bytes(dst);
  const udp = Buffer.alloc(8 + payload.length);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(udp.length, 4);
  payload.copy(udp, 8);
  const pseudo = Buffer.concat([s, d, Buffer.from([0, 17]), Buffer.from([udp.length >> 8, udp.length & 0xff])]);
  let ck = onesComplement(Buffer.concat([pseudo, udp]));
  if (ck === 0) ck = 0xffff;
  udp.writeUInt16BE(ck, 6);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + udp.length, 2);
  ip.writeUInt16BE(ipId++ & 0xffff, 4);
  ip[8] = 1;
  ip[9] = 17;
  s.copy(ip, 12);
  d.copy(ip, 16);
  ip.writeUInt16BE(onesComplement(ip), 10);
  const srcMac = Buffer.from([0x02, 0x00, s[0], s[1], s[2], s[3]]);
  const frame = Buffer.concat([dstMacFor(dst), srcMac, Buffer.from([0x08, 0x00]), ip, udp]);
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame;
}

/** A classic pcap with nanosecond timestamps (magic a1b23c4d), Ethernet link type. */
export function writeNanoPcap(path: string, frames: { tsNs: bigint; data: Buffer }[]): void {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b23c4d, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  const parts: Buffer[] = [head];
  for (const f of frames) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Number(f.tsNs / 1_000_000_000n), 0);
    h.writeUInt32LE(Number(f.tsNs % 1_000_000_000n), 4);
    h.writeUInt32LE(f.data.length, 8);
    h.writeUInt32LE(f.data.length, 12);
    parts.push(h, f.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

// ---- IENA (protocols.md §4) ----------------------------------------------------

/** A D-type IENA packet: key, sequence, `params` × (ParamID, Delay, 2 data words), trailer 0xDEAD. */
export function ienaPacket(key: number, seq: number, timeUs: bigint, params = 4): Buffer {
  const b = Buffer.alloc(14 + params * 8 + 2);
  b.writeUInt16BE(key, 0);
  b.writeUInt16BE(b.length / 2, 2);
  b.writeUIntBE(Number(timeUs), 4, 6);
  b[10] = 0x02; // key status: word count 2
  b[11] = 0;
  b.writeUInt16BE(seq & 0xffff, 12);
  for (let i = 0; i < params; i++) {
    const o = 14 + i * 8;
    b.writeUInt16BE(0x1000 + i, o);
    b.writeUInt16BE(0, o + 2);
    b.writeUInt16BE(0x7cfe + i, o + 4); // large enough that an M/Q reading cannot tile the body
    b.writeUInt16BE((seq * 7 + i) & 0xffff, o + 6);
  }
  b.writeUInt16BE(0xdead, b.length - 2);
  return b;
}

/** Microseconds since 1 January 00:00 UTC of the year of `tsNs`. */
export function ienaTimeUs(tsNs: bigint): bigint {
  const ms = Number(tsNs / 1_000_000n);
  const year = new Date(ms).getUTCFullYear();
  return tsNs / 1000n - BigInt(Date.UTC(year, 0, 1)) * 1000n;
}

// ---- Chapter 10 (protocols.md §2) ----------------------------------------------

export interface Ch10PacketSpec {
  channelId: number;
  dataType: number;
  seq: number;
  rtc: number;
  /** CSDW + data. */
  body: Buffer;
}

export function ch10Packet(p: Ch10PacketSpec): Buffer {
  const fill = (4 - (p.body.length % 4)) % 4;
  const len = 24 + p.body.length + fill;
  const b = Buffer.alloc(len);
  b.writeUInt16LE(0xeb25, 0);
  b.writeUInt16LE(p.channelId, 2);
  b.writeUInt32LE(len, 4);
  b.writeUInt32LE(p.body.length, 8);
  b[12] = 0x06;
  b[13] = p.seq & 0xff;
  b[14] = 0;
  b[15] = p.dataType;
  b.writeUIntLE(p.rtc % 2 ** 48, 16, 6);
  let sum = 0;
  for (let i = 0; i < 22; i += 2) sum += b.readUInt16LE(i);
  b.writeUInt16LE(sum & 0xffff, 22);
  p.body.copy(b, 24);
  return b;
}

/** Format 1 full transfer header (4 bytes) + packets. */
export function ch10Format1(seq: number, ...packets: Buffer[]): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE((((seq & 0xffffff) << 8) | 0x01) >>> 0, 0);
  return Buffer.concat([h, ...packets]);
}

/** Format 1 segmented transfer header (12 bytes) + one slice of a packet. */
export function ch10Format1Segment(seq: number, channelId: number, channelSeq: number, offset: number, slice: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE((((seq & 0xffffff) << 8) | 0x11) >>> 0, 0);
  h.writeUInt16LE(channelId, 4);
  h[6] = channelSeq & 0xff;
  h.writeUInt32LE(offset, 8);
  return Buffer.concat([h, slice]);
}

function bcd(n: number): number {
  return n % 10;
}

/** Time data format 1 body (CSDW + 3 BCD words, day-of-year format) for `tsNs`. */
export function ch10TimeBody(tsNs: bigint): Buffer {
  const ms = Number(tsNs / 1_000_000n);
  const d = new Date(ms);
  const doy = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  const cs = Math.floor(d.getUTCMilliseconds() / 10);
  const s = d.getUTCSeconds();
  const m = d.getUTCMinutes();
  const h = d.getUTCHours();
  const b = Buffer.alloc(4 + 6);
  b.writeUInt32LE(0x00000001, 0); // time source external, IRIG-B format, day-of-year date
  b.writeUInt16LE(bcd(cs) | (Math.floor(cs / 10) << 4) | (bcd(s) << 8) | (Math.floor(s / 10) << 12), 4);
  b.writeUInt16LE(bcd(m) | (Math.floor(m / 10) << 4) | (bcd(h) << 8) | (Math.floor(h / 10) << 12), 6);
  b.writeUInt16LE(bcd(doy) | (bcd(Math.floor(doy / 10)) << 4) | (Math.floor(doy / 100) << 8), 8);
  return b;
}

/** TMATS setup record body: CSDW (release, SRCC bit 8, ASCII) + text. */
export function ch10TmatsBody(text: string, release: number, configChanged: boolean): Buffer {
  const csdw = Buffer.alloc(4);
  csdw.writeUInt32LE((release & 0xff) | (configChanged ? 0x100 : 0), 0);
  return Buffer.concat([csdw, Buffer.from(text, 'latin1')]);
}

// ---- PTP v2 (protocols.md §3) -------------------------------------------------

export const PTP = {
  Sync: 0, Delay_Req: 1, Pdelay_Req: 2, Pdelay_Resp: 3, Follow_Up: 8, Delay_Resp: 9, Pdelay_Resp_Follow_Up: 10, Announce: 11,
} as const;

const CONTROL: Record<number, number> = { 0: 0, 1: 1, 8: 2, 9: 3 };

export interface PtpHeader {
  type: number;
  domain: number;
  flags: number;
  correctionNs?: number;
  clockId: string;
  port: number;
  seq: number;
  logInterval: number;
}

export interface AnnounceBody {
  utcOffset: number;
  priority1: number;
  clockClass: number;
  clockAccuracy: number;
  variance: number;
  priority2: number;
  gmIdentity: string;
  stepsRemoved: number;
  timeSource: number;
}

function timestamp(tsNs: bigint): Buffer {
  const b = Buffer.alloc(10);
  const sec = tsNs / 1_000_000_000n;
  b.writeUInt16BE(Number(sec >> 32n), 0);
  b.writeUInt32BE(Number(sec & 0xffffffffn), 2);
  b.writeUInt32BE(Number(tsNs % 1_000_000_000n), 6);
  return b;
}

function portIdentity(clockId: string, port: number): Buffer {
  const b = Buffer.alloc(10);
  Buffer.from(clockId, 'hex').copy(b, 0);
  b.writeUInt16BE(port, 8);
  return b;
}

/** A PTP v2.0 message; `requesting` for responses, `announce` for Announce. */
export function ptpMessage(h: PtpHeader, tsNs: bigint, o: { requesting?: { clockId: string; port: number }; announce?: AnnounceBody } = {}): Buffer {
  let body: Buffer;
  switch (h.type) {
    case PTP.Sync: case PTP.Delay_Req: case PTP.Follow_Up:
      body = timestamp(tsNs);
      break;
    case PTP.Pdelay_Req:
      body = Buffer.concat([timestamp(tsNs), Buffer.alloc(10)]);
      break;
    case PTP.Pdelay_Resp: case PTP.Delay_Resp: case PTP.Pdelay_Resp_Follow_Up:
      body = Buffer.concat([timestamp(tsNs), portIdentity(o.requesting!.clockId, o.requesting!.port)]);
      break;
    case PTP.Announce: {
      const a = o.announce!;
      body = Buffer.alloc(30);
      timestamp(tsNs).copy(body, 0);
      body.writeInt16BE(a.utcOffset, 10);
      body[13] = a.priority1;
      body[14] = a.clockClass;
      body[15] = a.clockAccuracy;
      body.writeUInt16BE(a.variance, 16);
      body[18] = a.priority2;
      Buffer.from(a.gmIdentity, 'hex').copy(body, 19);
      body.writeUInt16BE(a.stepsRemoved, 27);
      body[29] = a.timeSource;
      break;
    }
    default:
      throw new Error(`no body for PTP type ${h.type}`);
  }
  const m = Buffer.alloc(34 + body.length);
  m[0] = h.type & 0x0f;
  m[1] = 0x02;
  m.writeUInt16BE(m.length, 2);
  m[4] = h.domain;
  m.writeUInt16BE(h.flags, 6);
  m.writeBigInt64BE(BigInt(Math.round((h.correctionNs ?? 0) * 65536)), 8);
  portIdentity(h.clockId, h.port).copy(m, 20);
  m.writeUInt16BE(h.seq & 0xffff, 30);
  m[32] = CONTROL[h.type] ?? 5;
  m.writeInt8(h.logInterval > 127 ? 127 : h.logInterval, 33);
  body.copy(m, 34);
  return m;
}

/** UDP port of a PTP message: 319 for event messages, 320 for general ones. */
export function ptpPort(type: number): number {
  return type === PTP.Sync || type === PTP.Delay_Req || type === PTP.Pdelay_Req || type === PTP.Pdelay_Resp ? 319 : 320;
}
