/**
 * Test helper: builds Chapter 10 packets and UDP transfer headers from
 * protocols.md §2 directly (its own checksum code, nothing shared with the
 * dissector), for crafted cases no public capture has.
 */
export interface PacketSpec {
  channelId?: number;
  dataType: number;
  seq?: number;
  dataTypeVersion?: number;
  /** Flags other than the secondary-header bit and checksum kind (e.g. 0x20 RTC sync error). */
  extraFlags?: number;
  rtc?: number;
  /** Body after the header(s): CSDW + data. */
  body: Buffer;
  /** 0 none, 1 8-bit, 2 16-bit, 3 32-bit. */
  checksum?: 0 | 1 | 2 | 3;
  /** Extra filler beyond 4-byte alignment. */
  extraFiller?: number;
  secondary?: { timeFormat: 0 | 1 | 2 | 3; time: Buffer; sum: 'byte' | 'word' | 'bad' };
}

function sumBytes(b: Buffer): number {
  return b.reduce((a, x) => a + x, 0);
}

function sumWordsLE(b: Buffer, width: 2 | 4): number {
  let s = 0n;
  for (let i = 0; i < b.length; i += width) {
    let w = 0n;
    for (let k = 0; k < width; k++) w |= BigInt(i + k < b.length ? b[i + k] : 0) << BigInt(8 * k);
    s += w;
  }
  return Number(s % (1n << BigInt(8 * width)));
}

export function buildPacket(spec: PacketSpec): Buffer {
  const ck = spec.checksum ?? 0;
  const ckSize = [0, 1, 2, 4][ck];
  const secLen = spec.secondary ? 12 : 0;
  const hdrLen = 24 + secLen;
  let fill = (4 - ((spec.body.length + ckSize) % 4)) % 4;
  fill += spec.extraFiller ?? 0;
  const plen = hdrLen + spec.body.length + fill + ckSize;
  const p = Buffer.alloc(plen);
  p.writeUInt16LE(0xeb25, 0);
  p.writeUInt16LE(spec.channelId ?? 1, 2);
  p.writeUInt32LE(plen, 4);
  p.writeUInt32LE(spec.body.length, 8);
  p[12] = spec.dataTypeVersion ?? 6;
  p[13] = spec.seq ?? 0;
  p[14] = (spec.extraFlags ?? 0) | (spec.secondary ? 0x80 | (spec.secondary.timeFormat << 2) : 0) | ck;
  p[15] = spec.dataType;
  p.writeUIntLE(spec.rtc ?? 0, 16, 6);
  let h = 0;
  for (let i = 0; i < 22; i += 2) h += p.readUInt16LE(i);
  p.writeUInt16LE(h % 65536, 22);
  if (spec.secondary) {
    spec.secondary.time.copy(p, 24, 0, 8);
    const ten = p.subarray(24, 34);
    const s = spec.secondary.sum === 'byte' ? sumBytes(ten) % 65536
      : spec.secondary.sum === 'word' ? sumWordsLE(ten, 2) : (sumBytes(ten) + 1) % 65536;
    p.writeUInt16LE(s, 34);
  }
  spec.body.copy(p, hdrLen);
  if (ck) {
    const region = p.subarray(hdrLen, plen - ckSize);
    if (ck === 1) p[plen - 1] = sumBytes(region) % 256;
    else if (ck === 2) p.writeUInt16LE(sumWordsLE(region, 2), plen - 2);
    else p.writeUInt32LE(sumWordsLE(region, 4), plen - 4);
  }
  return p;
}

export function u32le(...words: number[]): Buffer {
  const b = Buffer.alloc(4 * words.length);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 * i));
  return b;
}

export function u16le(...words: number[]): Buffer {
  const b = Buffer.alloc(2 * words.length);
  words.forEach((w, i) => b.writeUInt16LE(w, 2 * i));
  return b;
}

/** Format 1 full message: 4-byte header then packets. */
export function format1(seq: number, ...packets: Buffer[]): Buffer {
  return Buffer.concat([u32le(((seq & 0xffffff) << 8) | 0x01), ...packets]);
}

/** Format 1 segmented message carrying packet[offset, offset+len). */
export function format1Segment(seq: number, channelId: number, channelSeq: number, segOffset: number, slice: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE((((seq & 0xffffff) << 8) | 0x11) >>> 0, 0);
  h.writeUInt16LE(channelId, 4);
  h[6] = channelSeq;
  h.writeUInt32LE(segOffset, 8);
  return Buffer.concat([h, slice]);
}

/** Slices a packet into Format 1 segmented messages of at most `size` bytes of packet each. */
export function segment(packet: Buffer, size: number, firstSeq: number): Buffer[] {
  const out: Buffer[] = [];
  const chid = packet.readUInt16LE(2);
  const chseq = packet[13];
  for (let off = 0, s = firstSeq; off < packet.length; off += size, s++) {
    out.push(format1Segment(s, chid, chseq, off, packet.subarray(off, Math.min(off + size, packet.length))));
  }
  return out;
}

/** Format 2 (big-endian reading): sequence in bytes 0–2, format 2 / type in byte 3, size in words at 5–7. */
export function format2(seq: number, msgType: number, channelId: number, segOffset: number, data: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUIntBE(seq & 0xffffff, 0, 3);
  h[3] = (msgType << 4) | 0x02;
  h[4] = (segOffset >>> 16) & 0xff;
  h.writeUIntBE(data.length / 4, 5, 3);
  h.writeUInt16BE(segOffset & 0xffff, 8);
  h.writeUInt16BE(channelId, 10);
  return Buffer.concat([h, data]);
}

/** Format 3: L = source-ID length in nibbles; `offset` = bytes of a previous packet's tail before the first packet. */
export function format3(sourceIdNibbles: number, sourceId: number, seq: number, offset: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = (sourceIdNibbles << 4) | 0x03;
  h.writeUInt16LE(offset, 2);
  const seqBits = 32 - 4 * sourceIdNibbles;
  h.writeUInt32LE(Number((BigInt(sourceId) << BigInt(seqBits)) | BigInt(seq)) >>> 0, 4);
  return Buffer.concat([h, data]);
}

/** BCD Time F1 words for day-of-year (3 words) or month/year (4 words) format. */
export function timeF1Body(t: { ms: number; s: number; min: number; h: number; doy?: number; day?: number; month?: number; year?: number }, csdw: number): Buffer {
  const d = (n: number, i: number) => Math.floor(n / 10 ** i) % 10;
  const w0 = d(t.ms, 1) | (d(t.ms, 2) << 4) | (d(t.s, 0) << 8) | (d(t.s, 1) << 12);
  const w1 = d(t.min, 0) | (d(t.min, 1) << 4) | (d(t.h, 0) << 8) | (d(t.h, 1) << 12);
  if (t.doy !== undefined) return Buffer.concat([u32le(csdw), u16le(w0, w1, d(t.doy, 0) | (d(t.doy, 1) << 4) | (d(t.doy, 2) << 8))]);
  const w2 = d(t.day!, 0) | (d(t.day!, 1) << 4) | (d(t.month!, 0) << 8) | (d(t.month!, 1) << 12);
  const w3 = d(t.year!, 0) | (d(t.year!, 1) << 4) | (d(t.year!, 2) << 8) | (d(t.year!, 3) << 12);
  return Buffer.concat([u32le(csdw | 0x200), u16le(w0, w1, w2, w3)]);
}
