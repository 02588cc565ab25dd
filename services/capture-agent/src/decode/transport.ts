/**
 * Transport layer: TCP, UDP, ICMP, ICMPv6, IGMP; any other protocol keeps its
 * bytes as the payload. `end` is where the IP payload ends as sent, which may
 * lie past the captured bytes (snap length).
 */
import type { PacketRecord } from '@streamlens/common';
import { ipv4At } from './address-cache.js';
import { u16, u32 } from './byte-reads.js';
import { decodeDns, isDnsPort } from './dns.js';
import type { FrameView } from './frame-view.js';
import { decodeHttp, startsLikeHttp } from './http.js';
import { EMPTY_BYTES, setError, setPayload } from './record-fields.js';
import { TCP_FLAG_STRINGS } from './tcp-flags.js';

const ZERO_GROUP = Buffer.alloc(4);

export function decodeTransport(proto: number, f: FrameView, off: number, end: number, moreFragments: boolean, rec: PacketRecord): void {
  switch (proto) {
    case 6: decodeTcp(f, off, end, rec); return;
    case 17: decodeUdp(f, off, end, moreFragments, rec); return;
    case 1: decodeIcmp(f, off, end, rec, 'icmp.truncated'); return;
    case 58: decodeIcmp(f, off, end, rec, 'icmpv6.truncated'); return;
    case 2: decodeIgmp(f, off, end, rec); return;
    default: setPayload(rec, f, off, end - off);
  }
}

function capturedEnd(f: FrameView, end: number): number {
  return end < f.end ? end : f.end;
}

function decodeTcp(f: FrameView, off: number, end: number, rec: PacketRecord): void {
  const b = f.buf;
  const have = capturedEnd(f, end) - off;
  if (have >= 4) {
    rec.src_port = u16(b, off);
    rec.dst_port = u16(b, off + 2);
  }
  if (have < 20) {
    setError(rec, 'tcp.truncated');
    setPayload(rec, f, off, end - off);
    return;
  }
  rec.tcp_seq = u32(b, off + 4);
  rec.tcp_ack = u32(b, off + 8);
  const word = u16(b, off + 12);
  const flags = word & 0x1ff;
  rec.tcp_flags = flags;
  rec.tcp_flags_str = TCP_FLAG_STRINGS[flags];
  rec.tcp_window = u16(b, off + 14);
  const hdr = (word >> 12) << 2;
  if (hdr < 20 || hdr > end - off) {
    setError(rec, 'tcp.bad_offset');
    setPayload(rec, f, off, end - off);
    return;
  }
  if (hdr > have) {
    setError(rec, 'tcp.truncated');
    setPayload(rec, f, off, end - off);
    return;
  }
  const start = off + hdr;
  setPayload(rec, f, start, end - start);
  const payload = rec.payload;
  if (payload.length === 0) return;
  if (isDnsPort(rec.src_port) || isDnsPort(rec.dst_port)) {
    // DNS over TCP: a 2-byte length prefix, then the message.
    if (payload.length >= 2) {
      const size = u16(payload, 0);
      if (size >= 12) decodeDns(payload, 2, size, size, rec);
    }
  } else if (startsLikeHttp(payload)) {
    decodeHttp(payload, rec);
  }
}

function decodeUdp(f: FrameView, off: number, end: number, moreFragments: boolean, rec: PacketRecord): void {
  const b = f.buf;
  const capEnd = capturedEnd(f, end);
  const have = capEnd - off;
  if (have >= 4) {
    rec.src_port = u16(b, off);
    rec.dst_port = u16(b, off + 2);
  }
  if (have < 8) {
    setError(rec, 'udp.truncated');
    setPayload(rec, f, off, end - off);
    return;
  }
  const length = u16(b, off + 4);
  // A first fragment carries only part of the datagram its length describes.
  if (length < 8 || (length > end - off && !moreFragments)) {
    setError(rec, 'udp.bad_length');
    setPayload(rec, f, off + 8, end - off - 8);
    return;
  }
  const start = off + 8;
  const sentLen = length - 8;
  setPayload(rec, f, start, sentLen);
  if (moreFragments) {
    // Keep only this fragment's bytes; payload_len still reports the whole datagram.
    const n = capEnd - start;
    if (rec.payload.length > n) rec.payload = n > 0 ? b.subarray(start, start + n) : EMPTY_BYTES;
  }
  if (rec.payload.length > 0 && (isDnsPort(rec.src_port) || isDnsPort(rec.dst_port))) {
    decodeDns(rec.payload, 0, rec.payload.length, sentLen, rec);
  }
}

function decodeIcmp(f: FrameView, off: number, end: number, rec: PacketRecord, truncated: 'icmp.truncated' | 'icmpv6.truncated'): void {
  const have = capturedEnd(f, end) - off;
  if (have >= 2) rec.icmp = { type: f.buf[off], code: f.buf[off + 1] };
  if (have < 8) {
    setError(rec, truncated);
    setPayload(rec, f, off, end - off);
    return;
  }
  setPayload(rec, f, off + 8, end - off - 8);
}

function decodeIgmp(f: FrameView, off: number, end: number, rec: PacketRecord): void {
  const have = capturedEnd(f, end) - off;
  setPayload(rec, f, off, end - off);
  if (have < 8) {
    setError(rec, 'igmp.truncated');
    return;
  }
  const type = f.buf[off];
  // A v3 report has no group in its header (its records follow).
  rec.igmp = { type, group: type === 0x22 ? ZERO_GROUP : ipv4At(f.buf, off + 4) };
}
