/**
 * scanFrameAt: the decoder's fast path for the frames that make up nearly
 * all traffic, into a flat FrameScan of numbers and offsets (no record
 * object, no Buffer views, no strings), which FrameBatchWriter turns into
 * the PacketRecord's Avro bytes straight from the frame.
 *
 * It covers Ethernet, Linux cooked v1/v2 and raw IP frames with VLAN tags,
 * IPv4 (options, fragments), IPv6 without extension headers, TCP, UDP, ICMP,
 * ICMPv6, ARP and every other EtherType or IP protocol as payload, and the
 * DNS and HTTP summaries (the decoder's own dns.ts and http.ts, into
 * objects: their strings are the record's) — each exactly as decodeFrameAt
 * decodes it. Anything else answers false before the caller has written
 * anything, and the caller decodes the frame with decodeFrameAt: any decode
 * error (a DNS or HTTP one too), IGMP, IPv6 extension headers, other link
 * types.
 * The two paths are tested byte for byte against each other
 * (frame-batch-writer.test.ts), so a change to one decoder that the other
 * does not follow fails there.
 *
 * Same bounds rules as the decoder: every read is inside [start, start + capLen).
 */
import { mac48, u16, u32 } from './byte-reads.js';
import type { DnsInfo, HttpInfo, PacketRecord } from '@streamlens/common';
import { decodeDns, isDnsPort } from './dns.js';
import { decodeHttp, startsLikeHttpAt } from './http.js';
import { LINKTYPE } from './link-types.js';

/** Most VLAN tags the decoder follows before it reports vlan.too_many_tags. */
const MAX_VLAN_TAGS = 8;
const ARPHRD_NETLINK = 824;

/** What scanFrameAt found; fields mirror PacketRecord's (defaults 0), byte fields are offsets into `buf`. */
export class FrameScan {
  buf: Buffer = EMPTY;
  wireLen = 0;
  capLen = 0;
  ethSrc = 0;
  ethDst = 0;
  vlanCount = 0;
  readonly vlanIds = new Int32Array(MAX_VLAN_TAGS);
  ethertype = 0;
  ipVersion = 0;
  /** 0, 4 or 16: the length of src_ip and dst_ip. */
  addrLen = 0;
  srcIpAt = 0;
  dstIpAt = 0;
  ipProto = 0;
  ipTtl = 0;
  ipTos = 0;
  ipId = 0;
  ipFlags = 0;
  ipFragOffset = 0;
  optAt = 0;
  optLen = 0;
  flowLabel = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** -1 when the record's icmp is null. */
  icmpType = -1;
  icmpCode = 0;
  /** -1 when the record's arp is null. */
  arpOp = -1;
  arpSenderMac = 0;
  arpSenderIpAt = 0;
  arpTargetMac = 0;
  arpTargetIpAt = 0;
  payloadLen = 0;
  payloadAt = 0;
  /** Captured payload bytes kept (payload.length of the record). */
  payloadN = 0;
  dns: DnsInfo | null = null;
  http: HttpInfo | null = null;
  // The frame's bounds while scanning.
  end = 0;
  wireEnd = 0;
  cap = 0;

  /** Drop the reference to the frame's buffer (so a finished chunk is not kept alive). */
  release(): void {
    this.buf = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

function reset(s: FrameScan): void {
  s.ethSrc = 0;
  s.ethDst = 0;
  s.vlanCount = 0;
  s.ethertype = 0;
  s.ipVersion = 0;
  s.addrLen = 0;
  s.ipProto = 0;
  s.ipTtl = 0;
  s.ipTos = 0;
  s.ipId = 0;
  s.ipFlags = 0;
  s.ipFragOffset = 0;
  s.optLen = 0;
  s.flowLabel = 0;
  s.srcPort = 0;
  s.dstPort = 0;
  s.tcpFlags = 0;
  s.tcpSeq = 0;
  s.tcpAck = 0;
  s.tcpWindow = 0;
  s.icmpType = -1;
  s.arpOp = -1;
  s.payloadLen = 0;
  s.payloadN = 0;
  s.dns = null;
  s.http = null;
}

/** What dns.ts and http.ts write into a record: their summary, or an error (the record path reports it). */
const app = { dns: null, http: null, decode_error: null } as unknown as PacketRecord;

/** decodeDns of the message at buf[off, off + msgLen) into s.dns; false on a decode error. */
function dns(s: FrameScan, buf: Buffer, off: number, msgLen: number, size: number): boolean {
  app.dns = null;
  app.decode_error = null;
  decodeDns(buf, off, msgLen, size, app);
  if (app.decode_error !== null) return false;
  s.dns = app.dns;
  return true;
}

/** decodeHttp of the payload into s.http; false on a decode error. */
function http(s: FrameScan): boolean {
  app.http = null;
  app.decode_error = null;
  decodeHttp(s.buf.subarray(s.payloadAt, s.payloadAt + s.payloadN), app);
  if (app.decode_error !== null) return false;
  s.http = app.http;
  return true;
}

/** setPayload of record-fields.ts. */
function payload(s: FrameScan, at: number, sentLen: number): void {
  s.payloadLen = sentLen > 0 ? sentLen : 0;
  let n = s.end - at;
  if (sentLen < n) n = sentLen;
  if (s.cap < n) n = s.cap;
  s.payloadAt = at;
  s.payloadN = n > 0 ? n : 0;
}

/**
 * Scan the frame at buf[start, start + capLen) (`wireLen` on the wire) of a
 * capture of `linkType` into `s`. False when the frame needs decodeFrameAt
 * (s is then meaningless).
 */
export function scanFrameAt(linkType: number, buf: Buffer, start: number, capLen: number, wireLen: number, payloadCap: number, s: FrameScan): boolean {
  // wire_len is an Avro int: a larger length (a damaged record header) is left to the checks of the record path.
  if (wireLen > 0x7fffffff) return false;
  reset(s);
  s.buf = buf;
  s.wireLen = wireLen;
  s.capLen = capLen;
  s.end = start + capLen;
  s.wireEnd = start + (wireLen > capLen ? wireLen : capLen);
  s.cap = payloadCap > 0 ? payloadCap : 0;
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (capLen < 14) return false;
      s.ethDst = mac48(buf, start);
      s.ethSrc = mac48(buf, start + 6);
      return ethertype(s, u16(buf, start + 12), start + 14);
    case LINKTYPE.LINUX_SLL:
      if (capLen < 16) return false;
      if (u16(buf, start + 4) === 6) s.ethSrc = mac48(buf, start + 6);
      if (u16(buf, start + 2) === ARPHRD_NETLINK) {
        payload(s, start + 16, s.wireEnd - start - 16);
        return true;
      }
      return ethertype(s, u16(buf, start + 14), start + 16);
    case LINKTYPE.LINUX_SLL2:
      if (capLen < 20) return false;
      if (buf[start + 11] === 6) s.ethSrc = mac48(buf, start + 12);
      if (u16(buf, start + 8) === ARPHRD_NETLINK) {
        payload(s, start + 20, s.wireEnd - start - 20);
        return true;
      }
      return ethertype(s, u16(buf, start), start + 20);
    case LINKTYPE.RAW:
    case LINKTYPE.DLT_RAW_12:
    case LINKTYPE.DLT_RAW_14: {
      const version = capLen > 0 ? buf[start] >> 4 : 0;
      if (version === 4) return ethertype(s, 0x0800, start);
      if (version === 6) return ethertype(s, 0x86dd, start);
      return false;
    }
    case LINKTYPE.IPV4: return ethertype(s, 0x0800, start);
    case LINKTYPE.IPV6: return ethertype(s, 0x86dd, start);
    default: return false;
  }
}

function isVlanTpid(type: number): boolean {
  return type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200;
}

/** decodeEthertype of network-layer.ts. */
function ethertype(s: FrameScan, type: number, off: number): boolean {
  const b = s.buf;
  let o = off;
  while (isVlanTpid(type)) {
    if (s.end - o < 4 || s.vlanCount === MAX_VLAN_TAGS) return false;
    s.vlanIds[s.vlanCount++] = u16(b, o) & 0x0fff;
    type = u16(b, o + 2);
    o += 4;
  }
  if (type < 0x0600) {
    payload(s, o, s.wireEnd - o);
    return true;
  }
  s.ethertype = type;
  if (type === 0x0800) return ipv4(s, o);
  if (type === 0x86dd) return ipv6(s, o);
  if (type === 0x0806) return arp(s, o);
  payload(s, o, s.wireEnd - o);
  return true;
}

/** decodeIpv4 of ipv4.ts (errors left to the decoder). */
function ipv4(s: FrameScan, off: number): boolean {
  const b = s.buf;
  const captured = s.end - off;
  if (captured < 20 || b[off] >> 4 !== 4) return false;
  const ihl = (b[off] & 0x0f) << 2;
  const sent = s.wireEnd - off;
  let total = u16(b, off + 2);
  if (total === 0) total = sent;
  if (ihl < 20 || total < ihl || ihl > captured || total > sent) return false;
  s.ipVersion = 4;
  s.ipTos = b[off + 1];
  s.ipId = u16(b, off + 4);
  const fragWord = u16(b, off + 6);
  s.ipFlags = fragWord >> 13;
  const fragOffset = (fragWord & 0x1fff) << 3;
  s.ipFragOffset = fragOffset;
  s.ipTtl = b[off + 8];
  const proto = b[off + 9];
  s.ipProto = proto;
  s.addrLen = 4;
  s.srcIpAt = off + 12;
  s.dstIpAt = off + 16;
  if (ihl > 20) {
    s.optAt = off + 20;
    s.optLen = ihl - 20;
  }
  const l4 = off + ihl;
  const end = off + total;
  if (fragOffset !== 0) {
    payload(s, l4, end - l4);
    return true;
  }
  return transport(s, proto, l4, end, (fragWord & 0x2000) !== 0);
}

/** Next-header values decodeIpv6 treats as extension headers (left to the decoder). */
function isExtensionHeader(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 44 || nh === 60 || nh === 51 || nh === 135 || nh === 139 || nh === 140 || nh === 253 || nh === 254;
}

/** decodeIpv6 of ipv6.ts, for packets without extension headers. */
function ipv6(s: FrameScan, off: number): boolean {
  const b = s.buf;
  if (s.end - off < 40 || b[off] >> 4 !== 6) return false;
  const nh = b[off + 6];
  if (isExtensionHeader(nh)) return false;
  const sent = s.wireEnd - off - 40;
  let payloadLen = u16(b, off + 4);
  if (payloadLen === 0) payloadLen = sent;
  if (payloadLen > sent) return false;
  const first = u32(b, off);
  s.ipVersion = 6;
  s.ipTos = (first >>> 20) & 0xff;
  s.flowLabel = first & 0xfffff;
  s.ipTtl = b[off + 7];
  s.addrLen = 16;
  s.srcIpAt = off + 8;
  s.dstIpAt = off + 24;
  s.ipProto = nh;
  return transport(s, nh, off + 40, off + 40 + payloadLen, false);
}

/** decodeTransport of transport.ts. */
function transport(s: FrameScan, proto: number, off: number, end: number, moreFragments: boolean): boolean {
  switch (proto) {
    case 6: return tcp(s, off, end);
    case 17: return udp(s, off, end, moreFragments);
    case 1:
    case 58: return icmp(s, off, end);
    case 2: return false;
    default:
      payload(s, off, end - off);
      return true;
  }
}

function tcp(s: FrameScan, off: number, end: number): boolean {
  const b = s.buf;
  const have = (end < s.end ? end : s.end) - off;
  if (have < 20) return false;
  const word = u16(b, off + 12);
  const hdr = (word >> 12) << 2;
  if (hdr < 20 || hdr > end - off || hdr > have) return false;
  const srcPort = u16(b, off);
  const dstPort = u16(b, off + 2);
  s.srcPort = srcPort;
  s.dstPort = dstPort;
  s.tcpSeq = u32(b, off + 4);
  s.tcpAck = u32(b, off + 8);
  s.tcpFlags = word & 0x1ff;
  s.tcpWindow = u16(b, off + 14);
  const start = off + hdr;
  payload(s, start, end - start);
  const n = s.payloadN;
  if (n === 0) return true;
  if (isDnsPort(srcPort) || isDnsPort(dstPort)) {
    // DNS over TCP: a 2-byte length prefix, then the message (bounded by the captured payload, as the record's is)
    if (n < 2) return true;
    const size = u16(b, start);
    return size < 12 || dns(s, b.subarray(start, start + n), 2, size, size);
  }
  return !startsLikeHttpAt(b, start, n) || http(s);
}

function udp(s: FrameScan, off: number, end: number, moreFragments: boolean): boolean {
  const b = s.buf;
  const capEnd = end < s.end ? end : s.end;
  if (capEnd - off < 8) return false;
  const length = u16(b, off + 4);
  if (length < 8 || (length > end - off && !moreFragments)) return false;
  const srcPort = u16(b, off);
  const dstPort = u16(b, off + 2);
  s.srcPort = srcPort;
  s.dstPort = dstPort;
  const start = off + 8;
  payload(s, start, length - 8);
  if (moreFragments) {
    // Keep only this fragment's bytes; payload_len still reports the whole datagram.
    const n = capEnd - start;
    if (s.payloadN > n) s.payloadN = n > 0 ? n : 0;
  }
  return s.payloadN === 0 || !(isDnsPort(srcPort) || isDnsPort(dstPort)) || dns(s, b, start, s.payloadN, length - 8);
}

function icmp(s: FrameScan, off: number, end: number): boolean {
  const have = (end < s.end ? end : s.end) - off;
  if (have < 8) return false;
  s.icmpType = s.buf[off];
  s.icmpCode = s.buf[off + 1];
  payload(s, off + 8, end - off - 8);
  return true;
}

/** decodeArp of arp.ts. */
function arp(s: FrameScan, off: number): boolean {
  payload(s, off, s.wireEnd - off);
  const b = s.buf;
  const have = s.end - off;
  if (have < 8) return false;
  if (u16(b, off) !== 1 || u16(b, off + 2) !== 0x0800 || b[off + 4] !== 6 || b[off + 5] !== 4) return true;
  if (have < 28) return false;
  s.arpOp = u16(b, off + 6);
  s.arpSenderMac = mac48(b, off + 8);
  s.arpSenderIpAt = off + 14;
  s.arpTargetMac = mac48(b, off + 18);
  s.arpTargetIpAt = off + 24;
  return true;
}
