/**
 * Transport layer: TCP, UDP, ICMP, ICMPv6, IGMP; any other protocol keeps its
 * bytes as the payload. `end` is where the IP payload ends as sent, which may
 * lie past the captured bytes (snap length).
 */
import type { PacketRecord } from '@streamlens/common';
import { u16, u32 } from './byte-reads.js';
import { decodeDns, isDnsPort } from './dns.js';
import { decodeHttp, startsLikeHttp } from './http.js';
import { EMPTY_BYTES, setError, setPayload } from './record-fields.js';
import { TCP_FLAG_STRINGS } from './tcp-flags.js';

const ZERO_GROUP = Buffer.alloc(4);

export function decodeTransport(proto: number, data: Buffer, off: number, end: number, moreFragments: boolean, cap: number, rec: PacketRecord): void {
  switch (proto) {
    case 6: decodeTcp(data, off, end, cap, rec); return;
    case 17: decodeUdp(data, off, end, moreFragments, cap, rec); return;
    case 1: decodeIcmp(data, off, end, cap, rec, 'icmp.truncated'); return;
    case 58: decodeIcmp(data, off, end, cap, rec, 'icmpv6.truncated'); return;
    case 2: decodeIgmp(data, off, end, cap, rec); return;
    default: setPayload(rec, data, off, end - off, cap);
  }
}

function capturedEnd(data: Buffer, end: number): number {
  return end < data.length ? end : data.length;
}

function decodeTcp(data: Buffer, off: number, end: number, cap: number, rec: PacketRecord): void {
  const have = capturedEnd(data, end) - off;
  if (have >= 4) {
    rec.src_port = u16(data, off);
    rec.dst_port = u16(data, off + 2);
  }
  if (have < 20) {
    setError(rec, 'tcp.truncated');
    setPayload(rec, data, off, end - off, cap);
    return;
  }
  rec.tcp_seq = u32(data, off + 4);
  rec.tcp_ack = u32(data, off + 8);
  const word = u16(data, off + 12);
  const flags = word & 0x1ff;
  rec.tcp_flags = flags;
  rec.tcp_flags_str = TCP_FLAG_STRINGS[flags];
  rec.tcp_window = u16(data, off + 14);
  const hdr = (word >> 12) << 2;
  if (hdr < 20 || hdr > end - off) {
    setError(rec, 'tcp.bad_offset');
    setPayload(rec, data, off, end - off, cap);
    return;
  }
  if (hdr > have) {
    setError(rec, 'tcp.truncated');
    setPayload(rec, data, off, end - off, cap);
    return;
  }
  const start = off + hdr;
  setPayload(rec, data, start, end - start, cap);
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

function decodeUdp(data: Buffer, off: number, end: number, moreFragments: boolean, cap: number, rec: PacketRecord): void {
  const have = capturedEnd(data, end) - off;
  if (have >= 4) {
    rec.src_port = u16(data, off);
    rec.dst_port = u16(data, off + 2);
  }
  if (have < 8) {
    setError(rec, 'udp.truncated');
    setPayload(rec, data, off, end - off, cap);
    return;
  }
  const length = u16(data, off + 4);
  // A first fragment carries only part of the datagram its length describes.
  if (length < 8 || (length > end - off && !moreFragments)) {
    setError(rec, 'udp.bad_length');
    setPayload(rec, data, off + 8, end - off - 8, cap);
    return;
  }
  const start = off + 8;
  const sentLen = length - 8;
  setPayload(rec, data, start, sentLen, cap);
  if (moreFragments) {
    // Keep only this fragment's bytes; payload_len still reports the whole datagram.
    const n = capturedEnd(data, end) - start;
    if (rec.payload.length > n) rec.payload = n > 0 ? data.subarray(start, start + n) : EMPTY_BYTES;
  }
  if (rec.payload.length > 0 && (isDnsPort(rec.src_port) || isDnsPort(rec.dst_port))) {
    decodeDns(rec.payload, 0, rec.payload.length, sentLen, rec);
  }
}

function decodeIcmp(data: Buffer, off: number, end: number, cap: number, rec: PacketRecord, truncated: 'icmp.truncated' | 'icmpv6.truncated'): void {
  const have = capturedEnd(data, end) - off;
  if (have >= 2) rec.icmp = { type: data[off], code: data[off + 1] };
  if (have < 8) {
    setError(rec, truncated);
    setPayload(rec, data, off, end - off, cap);
    return;
  }
  setPayload(rec, data, off + 8, end - off - 8, cap);
}

function decodeIgmp(data: Buffer, off: number, end: number, cap: number, rec: PacketRecord): void {
  const have = capturedEnd(data, end) - off;
  setPayload(rec, data, off, end - off, cap);
  if (have < 8) {
    setError(rec, 'igmp.truncated');
    return;
  }
  const type = data[off];
  // A v3 report has no group in its header (its records follow).
  rec.igmp = { type, group: type === 0x22 ? ZERO_GROUP : data.subarray(off + 4, off + 8) };
}
