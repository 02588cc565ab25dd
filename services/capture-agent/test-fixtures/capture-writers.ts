/** pcap and pcapng writers for crafted test captures (every variant the readers accept, and broken ones). */
import { writeFileSync } from 'node:fs';

export interface PcapFrame {
  /** Capture time, ns since the epoch. */
  tsNs: bigint;
  data: Buffer;
  /** Length on the wire (default data.length). */
  wireLen?: number;
}

export interface PcapOptions {
  linkType: number;
  nanos?: boolean;
  bigEndian?: boolean;
  snapLen?: number;
  /** Kuznetsov's patched format (magic A1B2CD34, 24-byte record headers). */
  patched?: boolean;
}

export function pcapHeader(o: PcapOptions): Buffer {
  const h = Buffer.alloc(24);
  const w32 = (v: number, at: number) => (o.bigEndian ? h.writeUInt32BE(v >>> 0, at) : h.writeUInt32LE(v >>> 0, at));
  const w16 = (v: number, at: number) => (o.bigEndian ? h.writeUInt16BE(v, at) : h.writeUInt16LE(v, at));
  w32(o.patched ? 0xa1b2cd34 : o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(2, 4);
  w16(4, 6);
  w32(o.snapLen ?? 262144, 16);
  w32(o.linkType, 20);
  return h;
}

export function pcapRecord(o: PcapOptions, f: PcapFrame): Buffer {
  const h = Buffer.alloc(o.patched ? 24 : 16);
  const w32 = (v: number, at: number) => (o.bigEndian ? h.writeUInt32BE(v >>> 0, at) : h.writeUInt32LE(v >>> 0, at));
  const sec = f.tsNs / 1_000_000_000n;
  const ns = f.tsNs % 1_000_000_000n;
  w32(Number(sec), 0);
  w32(Number(o.nanos ? ns : ns / 1000n), 4);
  w32(f.data.length, 8);
  w32(f.wireLen ?? f.data.length, 12);
  return Buffer.concat([h, f.data]);
}

export function pcapBytes(o: PcapOptions, frames: PcapFrame[]): Buffer {
  return Buffer.concat([pcapHeader(o), ...frames.map((f) => pcapRecord(o, f))]);
}

export function writePcap(path: string, o: PcapOptions, frames: PcapFrame[]): void {
  writeFileSync(path, pcapBytes(o, frames));
}

export interface PcapngInterface {
  linkType: number;
  snapLen?: number;
  name?: string;
  description?: string;
  /** if_tsresol byte (default: omitted, i.e. microseconds). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
  fcslen?: number;
}

export type PcapngBlock =
  | { kind: 'epb'; iface: number; ticks: bigint; data: Buffer; wireLen?: number }
  | { kind: 'opb'; iface: number; ticks: bigint; data: Buffer; wireLen?: number }
  | { kind: 'spb'; data: Buffer; wireLen?: number }
  | { kind: 'idb'; iface: PcapngInterface }
  /** Any other block, written verbatim with its type (NRB, ISB, custom, unknown). */
  | { kind: 'raw'; type: number; body: Buffer };

export interface PcapngSection {
  bigEndian?: boolean;
  interfaces: PcapngInterface[];
  blocks: PcapngBlock[];
}

class Out {
  constructor(private readonly be: boolean) {}
  u16(v: number): Buffer { const b = Buffer.alloc(2); if (this.be) b.writeUInt16BE(v); else b.writeUInt16LE(v); return b; }
  u32(v: number): Buffer { const b = Buffer.alloc(4); if (this.be) b.writeUInt32BE(v >>> 0); else b.writeUInt32LE(v >>> 0); return b; }
  i64(v: bigint): Buffer { const b = Buffer.alloc(8); if (this.be) b.writeBigInt64BE(v); else b.writeBigInt64LE(v); return b; }
  pad(b: Buffer): Buffer { return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]); }
  option(code: number, value: Buffer): Buffer { return Buffer.concat([this.u16(code), this.u16(value.length), this.pad(value)]); }
  block(type: number, body: Buffer): Buffer {
    const len = 12 + body.length;
    return Buffer.concat([this.u32(type), this.u32(len), body, this.u32(len)]);
  }
}

function idb(out: Out, i: PcapngInterface): Buffer {
  const opts: Buffer[] = [];
  if (i.name !== undefined) opts.push(out.option(2, Buffer.from(i.name)));
  if (i.description !== undefined) opts.push(out.option(3, Buffer.from(i.description)));
  if (i.tsresol !== undefined) opts.push(out.option(9, Buffer.from([i.tsresol])));
  if (i.fcslen !== undefined) opts.push(out.option(13, Buffer.from([i.fcslen])));
  if (i.tsoffset !== undefined) opts.push(out.option(14, out.i64(i.tsoffset)));
  if (opts.length) opts.push(Buffer.alloc(4));
  return out.block(1, Buffer.concat([out.u16(i.linkType), out.u16(0), out.u32(i.snapLen ?? 0), ...opts]));
}

export function pcapngBytes(sections: PcapngSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of sections) {
    const out = new Out(!!s.bigEndian);
    parts.push(out.block(0x0a0d0d0a, Buffer.concat([out.u32(0x1a2b3c4d), out.u16(1), out.u16(0), out.i64(-1n)])));
    for (const i of s.interfaces) parts.push(idb(out, i));
    for (const b of s.blocks) {
      switch (b.kind) {
        case 'idb': parts.push(idb(out, b.iface)); break;
        case 'epb':
          parts.push(out.block(6, Buffer.concat([out.u32(b.iface), out.u32(Number(b.ticks >> 32n)), out.u32(Number(b.ticks & 0xffffffffn)),
            out.u32(b.data.length), out.u32(b.wireLen ?? b.data.length), out.pad(b.data)])));
          break;
        case 'opb':
          parts.push(out.block(2, Buffer.concat([out.u16(b.iface), out.u16(0), out.u32(Number(b.ticks >> 32n)), out.u32(Number(b.ticks & 0xffffffffn)),
            out.u32(b.data.length), out.u32(b.wireLen ?? b.data.length), out.pad(b.data)])));
          break;
        case 'spb':
          parts.push(out.block(3, Buffer.concat([out.u32(b.wireLen ?? b.data.length), out.pad(b.data)])));
          break;
        case 'raw':
          parts.push(out.block(b.type, out.pad(b.body)));
          break;
      }
    }
  }
  return Buffer.concat(parts);
}

export function writePcapng(path: string, sections: PcapngSection[]): void {
  writeFileSync(path, pcapngBytes(sections));
}
