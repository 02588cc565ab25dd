/**
 * FrameBatchWriter: PacketBatch messages written straight from frame bytes.
 * A frame that scanFrameAt understood (decode/frame-scan.ts) is written as
 * its PacketRecord's Avro encoding directly from the FrameScan and the frame
 * buffer: no record object, no per-field checks of a generic writer, the
 * TCP flag names and the many empty/null fields as precomputed bytes, the
 * addresses and the payload copied from the frame. Any other frame is
 * decoded into a PacketRecord by decodeFrameAt and added with `add`, encoded
 * by the schema-compiled writer into the same batch.
 *
 * The messages are byte-identical to PacketBatchWriter's for the same frames
 * (frame-batch-writer.test.ts compares them on the crafted, malformed and
 * public captures and on the benchmark mixes). If the PacketRecord schema
 * changes, the constructor refuses to run until this writer learns it.
 */
import type avro from 'avsc';
import { AvroValueError, compileAppender, copyByWords, BatchWriter, SCHEMA_NAMES, type AvroCodec, type CompiledAppender, type PacketRecord, type PassThrough } from '@streamlens/common';
import type { FrameScan } from './decode/frame-scan.js';
import { TCP_FLAG_STRINGS } from './decode/tcp-flags.js';
import { MIN_MESSAGE_BUFFER, messageBuffers } from './message-buffers.js';

/** The PacketRecord fields in the order this writer writes them (checked against the schema). */
const LAYOUT = [
  'ts_offset_ns:long', 'frame_no:long', 'wire_len:int', 'cap_len:int', 'eth_src:long', 'eth_dst:long', 'vlan_ids:array', 'ethertype:int',
  'ip_version:int', 'src_ip:bytes', 'dst_ip:bytes', 'ip_proto:int', 'ip_ttl:int', 'ip_tos:int', 'ip_id:long', 'ip_flags:int',
  'ip_frag_offset:int', 'ip_options:bytes', 'ipv6_flow_label:int', 'ipv6_ext_headers:array', 'src_port:int', 'dst_port:int',
  'tcp_flags:int', 'tcp_flags_str:string', 'tcp_seq:long', 'tcp_ack:long', 'tcp_window:int',
  'icmp:union(null,IcmpInfo{type:int,code:int})',
  'arp:union(null,ArpInfo{op:int,sender_mac:long,sender_ip:bytes,target_mac:long,target_ip:bytes})',
  'igmp:union(null,IgmpInfo{type:int,group:bytes})',
  'dns:union(null,DnsInfo)', 'http:union(null,HttpInfo)', 'payload_len:int', 'payload:bytes', 'decode_error:union(null,string)',
];

interface TypeLike {
  typeName: string;
  name?: string;
  fields?: { name: string; type: TypeLike }[];
  types?: TypeLike[];
}

function shape(t: TypeLike, deep: boolean): string {
  if (t.typeName === 'union:unwrapped') return `union(${(t.types ?? []).map((x) => shape(x, true)).join(',')})`;
  if (t.typeName === 'record') {
    const local = (t.name ?? '').split('.').pop();
    const inner = t.fields ?? [];
    return deep && inner.length <= 5 && local !== 'DnsInfo' && local !== 'HttpInfo'
      ? `${local}{${inner.map((f) => `${f.name}:${shape(f.type, false)}`).join(',')}}` : `${local}`;
  }
  return t.typeName;
}

/** The record type's layout in LAYOUT's notation. */
function layoutOf(recordType: avro.Type): string[] {
  return ((recordType as unknown as TypeLike).fields ?? []).map((f) => `${f.name}:${shape(f.type, true)}`);
}

/** Avro encodings of TCP_FLAG_STRINGS (length varint, then ASCII), STR_SLOT bytes per flag combination. */
const STR_SLOT = 48;
const FLAG_STR = Buffer.alloc(512 * STR_SLOT);
for (let f = 0; f < 512; f++) {
  const s = TCP_FLAG_STRINGS[f];
  FLAG_STR[f * STR_SLOT] = s.length << 1;
  FLAG_STR.write(s, f * STR_SLOT + 1, 'latin1');
}

const NO_BYTES = Buffer.alloc(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

/** Room kept in front of the records for the message header and envelope (take's prefix). */
const HEAD = 512;
/** Most bytes a scanned record writes besides its payload and IPv4 options. */
const MAX_FIXED = 512;

/**
 * Zigzag varint of a value in 0..2^20 (the 8- and 16-bit header fields): at most 3 bytes. appendScan writes
 * the fields of nearly every frame inline instead: V8 does not inline this into a function as large as
 * appendScan, and the calls cost more than the stores (counted over the benchmark's million mixed frames:
 * 8,383 -> 7,640 M instructions for the whole FrameBatchWriter pass once the per-frame fields were inline).
 */
function small(b: Buffer, p: number, v: number): number {
  const z = v << 1;
  if (z < 0x80) {
    b[p] = z;
    return p + 1;
  }
  if (z < 0x4000) {
    b[p] = z | 0x80;
    b[p + 1] = z >> 7;
    return p + 2;
  }
  b[p] = z | 0x80;
  b[p + 1] = (z >> 7) | 0x80;
  b[p + 2] = z >> 14;
  return p + 3;
}

/**
 * The records' bytes of one batch: scanned frames written by appendScan,
 * records (the decoder's fallback) by the compiled appender and copied in.
 */
export class FrameRecordAppender implements CompiledAppender {
  private buf: Buffer = messageBuffers.acquire(MIN_MESSAGE_BUFFER);
  private out: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  private at = HEAD;
  /** The frame buffer `src` reads, a DataView of it, and its memory (a Buffer's `buffer` getter is a runtime call). */
  private srcBuf: Buffer = NO_BYTES;
  private src: DataView = NO_VIEW;
  private srcMem: ArrayBuffer = NO_VIEW.buffer as ArrayBuffer;
  private srcOffset = 0;

  constructor(private readonly fallback: CompiledAppender) {}

  append(value: unknown, pass?: PassThrough | null): void {
    const f = this.fallback;
    f.append(value, pass);
    try {
      this.ensure(f.length);
      this.at = f.copyTo(this.buf, this.at);
    } finally {
      f.reset();
    }
  }

  /** The record of a scanned frame; `tsOffsetNs` and `frameNo` as PacketRecord's ts_offset_ns and frame_no. */
  appendScan(s: FrameScan, tsOffsetNs: number, frameNo: number): void {
    // DNS and HTTP strings come from the payload (HTTP's latin1 text: at most 2 UTF-8 bytes per byte) or are a
    // DNS name (at most 255 bytes of labels, escapes included: 4 bytes each)
    this.ensure(MAX_FIXED + s.payloadN * (s.http !== null ? 3 : 1) + s.optLen + (s.dns !== null ? 4 * 255 : 0));
    const f = s.buf;
    if (f !== this.srcBuf) {
      this.srcBuf = f;
      this.src = new DataView(f.buffer, f.byteOffset, f.length);
      this.srcMem = f.buffer as ArrayBuffer;
      this.srcOffset = f.byteOffset;
    }
    const b = this.buf;
    let p = this.at;
    let z = 0;
    // ts_offset_ns (within a second or so of the batch's base: below 2^30) and frame_no
    if (tsOffsetNs >= 0 && tsOffsetNs < 0x40000000) {
      z = tsOffsetNs << 1;
      while (z > 0x7f) {
        b[p++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      b[p++] = z;
    } else p = vLong(b, p, tsOffsetNs);
    if (frameNo < 0x40000000) {
      z = frameNo << 1;
      while (z > 0x7f) {
        b[p++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      b[p++] = z;
    } else p = vWide(b, p, frameNo * 2);
    if (s.wireLen < 8192) {
      z = s.wireLen << 1;
      if (z < 0x80) b[p++] = z;
      else {
        b[p] = z | 0x80;
        b[p + 1] = z >> 7;
        p += 2;
      }
    } else p = vNat(b, p, s.wireLen);
    if (s.capLen < 8192) {
      z = s.capLen << 1;
      if (z < 0x80) b[p++] = z;
      else {
        b[p] = z | 0x80;
        b[p + 1] = z >> 7;
        p += 2;
      }
    } else p = vNat(b, p, s.capLen);
    // eth_src, eth_dst: 48 bits (0 when absent), vWide inline
    for (let k = 0; k < 2; k++) {
      const mac = k === 0 ? s.ethSrc : s.ethDst;
      if (mac < 0x40000000) {
        p = vNat(b, p, mac);
        continue;
      }
      // z = 2 * mac: its low 28 bits in four groups, then z / 2^28 = mac / 2^27 (below 2^21)
      let hi = (mac / 134217728) >>> 0;
      const lo = mac * 2 - hi * 268435456;
      b[p] = (lo & 0x7f) | 0x80;
      b[p + 1] = ((lo >>> 7) & 0x7f) | 0x80;
      b[p + 2] = ((lo >>> 14) & 0x7f) | 0x80;
      b[p + 3] = ((lo >>> 21) & 0x7f) | 0x80;
      p += 4;
      while (hi > 0x7f) {
        b[p++] = (hi & 0x7f) | 0x80;
        hi >>>= 7;
      }
      b[p++] = hi;
    }
    const nv = s.vlanCount;
    if (nv > 0) {
      b[p++] = nv << 1;
      for (let i = 0; i < nv; i++) p = vNat(b, p, s.vlanIds[i]);
    }
    b[p++] = 0;
    // ethertype
    z = s.ethertype << 1;
    if (z < 0x80) b[p++] = z;
    else if (z < 0x4000) {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    } else {
      b[p] = z | 0x80;
      b[p + 1] = (z >> 7) | 0x80;
      b[p + 2] = z >> 14;
      p += 3;
    }
    b[p++] = s.ipVersion << 1;
    const al = s.addrLen;
    if (al === 0) {
      b[p] = 0;
      b[p + 1] = 0;
      p += 2;
    } else {
      b[p++] = al << 1;
      if (al === 4) {
        // IPv4 addresses byte by byte: cheaper than the call
        const a = s.srcIpAt;
        const d = s.dstIpAt;
        b[p] = f[a];
        b[p + 1] = f[a + 1];
        b[p + 2] = f[a + 2];
        b[p + 3] = f[a + 3];
        b[p + 4] = 8;
        b[p + 5] = f[d];
        b[p + 6] = f[d + 1];
        b[p + 7] = f[d + 2];
        b[p + 8] = f[d + 3];
        p += 9;
      } else {
        p = this.copy(s.srcIpAt, p, al);
        b[p++] = al << 1;
        p = this.copy(s.dstIpAt, p, al);
      }
    }
    // ipProto: one byte nearly always; the call only for the rest
    z = s.ipProto << 1;
    if (z < 0x80) b[p++] = z;
    else p = small(b, p, s.ipProto);
    // ipTtl (64, 128 and 255 take two bytes)
    z = s.ipTtl << 1;
    if (z < 0x80) b[p++] = z;
    else {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    }
    // ipTos: one byte nearly always; the call only for the rest
    z = s.ipTos << 1;
    if (z < 0x80) b[p++] = z;
    else p = small(b, p, s.ipTos);
    // ipId
    z = s.ipId << 1;
    if (z < 0x80) b[p++] = z;
    else if (z < 0x4000) {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    } else {
      b[p] = z | 0x80;
      b[p + 1] = (z >> 7) | 0x80;
      b[p + 2] = z >> 14;
      p += 3;
    }
    // ipFlags: one byte nearly always; the call only for the rest
    z = s.ipFlags << 1;
    if (z < 0x80) b[p++] = z;
    else p = small(b, p, s.ipFlags);
    // ipFragOffset: one byte nearly always; the call only for the rest
    z = s.ipFragOffset << 1;
    if (z < 0x80) b[p++] = z;
    else p = small(b, p, s.ipFragOffset);
    const ol = s.optLen;
    if (ol === 0) b[p++] = 0;
    else {
      b[p++] = ol << 1; // at most 40 bytes
      p = this.copy(s.optAt, p, ol);
    }
    z = s.flowLabel << 1; // 20 bits; 0 for IPv4
    if (z < 0x80) b[p++] = z;
    else p = vNat(b, p, s.flowLabel);
    b[p++] = 0; // ipv6_ext_headers: none on this path
    // srcPort
    z = s.srcPort << 1;
    if (z < 0x80) b[p++] = z;
    else if (z < 0x4000) {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    } else {
      b[p] = z | 0x80;
      b[p + 1] = (z >> 7) | 0x80;
      b[p + 2] = z >> 14;
      p += 3;
    }
    // dstPort
    z = s.dstPort << 1;
    if (z < 0x80) b[p++] = z;
    else if (z < 0x4000) {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    } else {
      b[p] = z | 0x80;
      b[p + 1] = (z >> 7) | 0x80;
      b[p + 2] = z >> 14;
      p += 3;
    }
    const flags = s.tcpFlags; // 9 bits: one or two bytes
    z = flags << 1;
    if (z < 0x80) b[p++] = z;
    else {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    }
    const fs = flags * STR_SLOT;
    const fl = (FLAG_STR[fs] >> 1) + 1;
    for (let i = 0; i < fl; i++) b[p + i] = FLAG_STR[fs + i];
    p += fl;
    // tcp_seq, tcp_ack: 32 bits, five bytes from 2^30 (three in four random values), 0 when not TCP
    let q = s.tcpSeq;
    if (q < 64) b[p++] = q << 1; // 0 when not TCP
    else if (q < 0x40000000) p = vNat(b, p, q);
    else {
      z = q << 1;
      b[p] = z | 0x80;
      b[p + 1] = (z >>> 7) | 0x80;
      b[p + 2] = (z >>> 14) | 0x80;
      b[p + 3] = (z >>> 21) | 0x80;
      b[p + 4] = q >>> 27;
      p += 5;
    }
    q = s.tcpAck;
    if (q < 64) b[p++] = q << 1; // 0 when not TCP
    else if (q < 0x40000000) p = vNat(b, p, q);
    else {
      z = q << 1;
      b[p] = z | 0x80;
      b[p + 1] = (z >>> 7) | 0x80;
      b[p + 2] = (z >>> 14) | 0x80;
      b[p + 3] = (z >>> 21) | 0x80;
      b[p + 4] = q >>> 27;
      p += 5;
    }
    // tcpWindow
    z = s.tcpWindow << 1;
    if (z < 0x80) b[p++] = z;
    else if (z < 0x4000) {
      b[p] = z | 0x80;
      b[p + 1] = z >> 7;
      p += 2;
    } else {
      b[p] = z | 0x80;
      b[p + 1] = (z >> 7) | 0x80;
      b[p + 2] = z >> 14;
      p += 3;
    }
    if (s.icmpType < 0) b[p++] = 0;
    else {
      b[p++] = 2;
      p = vNat(b, p, s.icmpType);
      p = vNat(b, p, s.icmpCode);
    }
    if (s.arpOp < 0) b[p++] = 0;
    else {
      b[p++] = 2;
      p = vNat(b, p, s.arpOp);
      p = vNat(b, p, s.arpSenderMac);
      b[p++] = 8;
      p = this.copy(s.arpSenderIpAt, p, 4);
      p = vNat(b, p, s.arpTargetMac);
      b[p++] = 8;
      p = this.copy(s.arpTargetIpAt, p, 4);
    }
    b[p++] = 0; // igmp: null on this path
    const dns = s.dns;
    if (dns === null) b[p++] = 0;
    else {
      b[p++] = 2;
      b[p++] = dns.is_response ? 1 : 0;
      p = vNat(b, p, dns.id);
      p = vNat(b, p, dns.opcode);
      p = vNat(b, p, dns.rcode);
      p = str(b, p, dns.qname);
      p = vNat(b, p, dns.qtype);
      p = vNat(b, p, dns.question_count);
      p = vNat(b, p, dns.answer_count);
      p = vNat(b, p, dns.size);
    }
    const http = s.http;
    if (http === null) b[p++] = 0;
    else {
      b[p++] = 2;
      b[p++] = http.is_request ? 1 : 0;
      p = str(b, p, http.method);
      p = str(b, p, http.uri);
      p = str(b, p, http.version);
      p = vNat(b, p, http.status_code);
      p = str(b, p, http.reason);
      p = str(b, p, http.host);
    }
    if (s.payloadLen < 8192) {
      z = s.payloadLen << 1;
      if (z < 0x80) b[p++] = z;
      else {
        b[p] = z | 0x80;
        b[p + 1] = z >> 7;
        p += 2;
      }
    } else p = vNat(b, p, s.payloadLen);
    const n = s.payloadN;
    if (n < 8192) {
      z = n << 1;
      if (z < 0x80) b[p++] = z;
      else {
        b[p] = z | 0x80;
        b[p + 1] = z >> 7;
        p += 2;
      }
    } else p = vNat(b, p, n);
    if (n > 0) p = this.copy(s.payloadAt, p, n);
    b[p++] = 0; // decode_error: null
    this.at = p;
  }

  /** Copy n bytes of the frame at `from` to buf[p]; returns the end. */
  private copy(from: number, p: number, n: number): number {
    if (n <= 32) {
      // By words: short copies cost less than a view for TypedArray.set.
      copyByWords(this.srcBuf, this.src, from, this.buf, this.out, p, n);
    } else {
      this.buf.set(new Uint8Array(this.srcMem, this.srcOffset + from, n), p);
    }
    return p + n;
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = messageBuffers.acquire(size);
    this.buf.copy(next, 0, 0, this.at);
    messageBuffers.release(this.buf);
    this.setBuf(next);
  }

  private setBuf(b: Buffer): void {
    this.buf = b;
    this.out = new DataView(b.buffer, b.byteOffset, b.length);
  }

  get length(): number {
    return this.at - HEAD;
  }

  copyTo(target: Buffer, at: number): number {
    this.buf.copy(target, at, HEAD, this.at);
    return at + this.at - HEAD;
  }

  take(prefix: Buffer, suffix: Buffer): Buffer {
    const n = this.at - HEAD;
    let out: Buffer;
    if (prefix.length > HEAD) {
      out = Buffer.allocUnsafe(prefix.length + n + suffix.length);
      prefix.copy(out, 0);
      this.buf.copy(out, prefix.length, HEAD, this.at);
      suffix.copy(out, prefix.length + n);
    } else {
      this.ensure(suffix.length);
      const b = this.buf;
      const start = HEAD - prefix.length;
      prefix.copy(b, start);
      suffix.copy(b, this.at);
      const end = this.at + suffix.length;
      const size = end - start;
      if (size < b.length >>> 1) {
        // Copied, so that a message holds at most twice its size; into recycled memory when it is large.
        out = size < MIN_MESSAGE_BUFFER ? Buffer.allocUnsafe(size) : messageBuffers.acquire(size).subarray(0, size);
        b.copy(out, 0, start, end);
      } else {
        // A big message: hand the buffer itself out (no copy) and write the next one into another (messageBuffers).
        out = b.subarray(start, end);
        this.setBuf(messageBuffers.acquire(b.length));
      }
    }
    this.at = HEAD;
    return out;
  }

  reset(): void {
    this.at = HEAD;
  }

  /** Drop the reference to the last frame buffer read (so a finished chunk is not kept alive). */
  releaseSource(): void {
    this.srcBuf = NO_BYTES;
    this.src = NO_VIEW;
    this.srcMem = NO_VIEW.buffer as ArrayBuffer;
    this.srcOffset = 0;
  }
}

/** An Avro string: its UTF-8 length, then the bytes (short ASCII in place; anything else through Buffer#write). */
function str(b: Buffer, p: number, v: string): number {
  const n = v.length;
  if (n < 64) {
    let i = 0;
    while (i < n && v.charCodeAt(i) < 0x80) i++;
    if (i === n) {
      b[p++] = n << 1;
      for (let k = 0; k < n; k++) b[p + k] = v.charCodeAt(k);
      return p + n;
    }
  }
  const len = Buffer.byteLength(v, 'utf8');
  p = vNat(b, p, len);
  return p + b.write(v, p, len, 'utf8');
}

/** Zig-zag varint of an integer 0 <= n < 2^52. */
function vNat(b: Buffer, p: number, n: number): number {
  if (n < 64) {
    b[p] = n << 1;
    return p + 1;
  }
  if (n < 8192) {
    b[p] = ((n << 1) & 0x7f) | 0x80;
    b[p + 1] = n >> 6;
    return p + 2;
  }
  if (n < 0x40000000) {
    let z = n << 1;
    while (z > 0x7f) {
      b[p++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    b[p] = z;
    return p + 1;
  }
  return vWide(b, p, n * 2);
}

/** Varint of a zig-zag value 2^31 <= z < 2^53: four 7-bit groups of its low 28 bits, then the rest. */
function vWide(b: Buffer, p: number, z: number): number {
  // z < 2^53: the quotient is below 2^25, so >>> 0 floors it.
  let hi = (z / 268435456) >>> 0;
  const lo = z - hi * 268435456;
  b[p] = (lo & 0x7f) | 0x80;
  b[p + 1] = ((lo >>> 7) & 0x7f) | 0x80;
  b[p + 2] = ((lo >>> 14) & 0x7f) | 0x80;
  b[p + 3] = ((lo >>> 21) & 0x7f) | 0x80;
  p += 4;
  while (hi > 0x7f) {
    b[p++] = (hi & 0x7f) | 0x80;
    hi >>>= 7;
  }
  b[p] = hi;
  return p + 1;
}

/** Zig-zag varint of any safe integer (a record's time offset may be negative). */
function vLong(b: Buffer, p: number, n: number): number {
  if (n >= 0) return vNat(b, p, n);
  if (n >= -1073741824) {
    let z = ((n << 1) ^ (n >> 31)) >>> 0;
    while (z > 0x7f) {
      b[p++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    b[p] = z;
    return p + 1;
  }
  return vWide(b, p, -n * 2 - 1);
}

/** The safe range of a long, as avsc and the compiled writer check it. */
const MAX_LONG = 9007199254740990;

/** PacketBatch messages of scanned frames (addScan) and decoded records (add), byte-identical to PacketBatchWriter's. */
export class FrameBatchWriter extends BatchWriter<PacketRecord> {
  private appender!: FrameRecordAppender;

  constructor(codec: AvroCodec) {
    const made: { appender?: FrameRecordAppender } = {};
    super(codec, SCHEMA_NAMES.packetBatch, {}, (recordType) => {
      const layout = layoutOf(recordType);
      if (layout.join(' ') !== LAYOUT.join(' ')) {
        throw new Error(`PacketRecord fields are ${layout.join(' ')}: FrameBatchWriter must learn the new layout`);
      }
      const fallback = compileAppender(recordType);
      if (fallback === null) throw new Error('PacketRecord has no compiled writer');
      made.appender = new FrameRecordAppender(fallback);
      return made.appender;
    });
    this.appender = made.appender!;
  }

  /** Add the record of a scanned frame to the open batch. */
  addScan(s: FrameScan, tsOffsetNs: number, frameNo: number): void {
    if (!this.isOpen) throw new Error('FrameBatchWriter.addScan before begin');
    // The compiled writer's check of a long (the only field here a caller computes).
    if (!(tsOffsetNs >= -MAX_LONG && tsOffsetNs <= MAX_LONG) || Math.floor(tsOffsetNs) !== tsOffsetNs) throw new AvroValueError('ts_offset_ns', tsOffsetNs);
    this.appender.appendScan(s, tsOffsetNs, frameNo);
    this.appended();
  }

  /** Forget the last frame buffer read (the writer keeps no bytes of it). */
  releaseSource(): void {
    this.appender.releaseSource();
  }
}
