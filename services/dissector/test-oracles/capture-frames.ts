/**
 * Test-only capture plumbing for the PTP and IENA oracle tests: a small
 * whole-file pcap/pcapng reader that hands back each frame's PTP or UDP
 * payload, and a pcap writer for crafted frames that tshark then decodes.
 * Ethernet link type only, which is all the public PTP/IENA captures use.
 * (The capture agent's streaming reader is the production one; this stays
 * tiny on purpose so the oracle tests do not depend on code under test.)
 */
import { publicCapture as sharedCapture } from '@streamlens/common/testing';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CapturedFrame {
  /** 1-based, as tshark numbers frames. */
  frameNo: number;
  data: Buffer;
}

export interface FramePayload {
  kind: 'ethernet-ptp' | 'udp' | 'other';
  /** Bytes after the ethertype/VLAN tags (0x88F7) or the UDP payload (cut to the UDP length). */
  payload: Buffer;
  srcPort: number;
  dstPort: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', 'test-fixtures');

/**
 * Path of a capture: the dissector's own fixtures (services/dissector/
 * test-fixtures, e.g. the standard-protocol captures), else a public capture
 * (test/fixtures/captures, $STREAMLENS_CAPTURES_DIR, the shared folder; see
 * @streamlens/common/testing). Returns null when none exists.
 */
export function publicCapture(relPath: string): string | null {
  const own = join(FIXTURES, relPath);
  return existsSync(own) ? own : sharedCapture(relPath);
}

/** Every frame of a pcap (µs/ns, either byte order) or pcapng (EPB/SPB) file. */
export function readCaptureFrames(path: string): CapturedFrame[] {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return readPcapng(buf);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`${path}: not a pcap/pcapng file`);
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const frames: CapturedFrame[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const capLen = u32(off + 8);
    if (off + 16 + capLen > buf.length) break; // cut mid-record
    frames.push({ frameNo: frames.length + 1, data: buf.subarray(off + 16, off + 16 + capLen) });
    off += 16 + capLen;
  }
  return frames;
}

function readPcapng(buf: Buffer): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  let le = true;
  let off = 0;
  while (off + 12 <= buf.length) {
    let type = buf.readUInt32LE(off);
    if (type === 0x0a0d0d0a) le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
    const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || off + len > buf.length) break;
    if (type === 6) {
      const capLen = u32(off + 20);
      frames.push({ frameNo: frames.length + 1, data: buf.subarray(off + 28, off + 28 + capLen) });
    } else if (type === 3) {
      frames.push({ frameNo: frames.length + 1, data: buf.subarray(off + 12, off + len - 4) });
    }
    off += len;
  }
  return frames;
}

/** Split an Ethernet frame down to the PTP-over-L2 payload or the UDP payload. */
export function framePayload(frame: Buffer): FramePayload {
  const none: FramePayload = { kind: 'other', payload: Buffer.alloc(0), srcPort: 0, dstPort: 0 };
  let off = 12;
  let ethertype = frame.readUInt16BE(off);
  while (ethertype === 0x8100 || ethertype === 0x88a8 || ethertype === 0x9100) {
    off += 4;
    ethertype = frame.readUInt16BE(off);
  }
  off += 2;
  if (ethertype === 0x88f7) return { kind: 'ethernet-ptp', payload: frame.subarray(off), srcPort: 0, dstPort: 0 };
  let proto: number;
  if (ethertype === 0x0800) {
    proto = frame[off + 9];
    off += (frame[off] & 0x0f) * 4;
  } else if (ethertype === 0x86dd) {
    proto = frame[off + 6];
    off += 40;
  } else {
    return none;
  }
  if (proto !== 17) return none;
  const udpLen = frame.readUInt16BE(off + 4);
  return {
    kind: 'udp',
    payload: frame.subarray(off + 8, Math.min(frame.length, off + udpLen)),
    srcPort: frame.readUInt16BE(off),
    dstPort: frame.readUInt16BE(off + 2),
  };
}

/** Ethernet frame carrying `payload` with ethertype 0x88F7 (PTP over L2). */
export function ethernetPtpFrame(payload: Buffer, dstMac = '011b19000000'): Buffer {
  return Buffer.concat([Buffer.from(dstMac, 'hex'), Buffer.from('02000000aa01', 'hex'), Buffer.from([0x88, 0xf7]), payload]);
}

/** Ethernet/IPv4/UDP frame carrying `payload` (IPv4 header checksum filled; UDP checksum 0 = none). */
export function udpFrame(payload: Buffer, srcPort: number, dstPort: number, dstIp = [224, 0, 1, 129]): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip[8] = 1;
  ip[9] = 17;
  Buffer.from([192, 168, 1, 10]).copy(ip, 12);
  Buffer.from(dstIp).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const mac = Buffer.from([0x01, 0x00, 0x5e, dstIp[1] & 0x7f, dstIp[2], dstIp[3]]);
  return Buffer.concat([mac, Buffer.from('02000000aa01', 'hex'), Buffer.from([0x08, 0x00]), ip, udp, payload]);
}

/** Ethernet/IPv6/UDP frame carrying `payload` to ff0e::181 (the PTP IPv6 group), with a valid UDP checksum. */
export function udp6Frame(payload: Buffer, srcPort: number, dstPort: number): Buffer {
  const src = Buffer.from('fe800000000000000000000000000001', 'hex');
  const dst = Buffer.from('ff0e0000000000000000000000000181', 'hex');
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const body = Buffer.concat([udp, payload, payload.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  let sum = 17 + 8 + payload.length;
  for (const b of [src, dst, body]) for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  udp.writeUInt16BE(~sum & 0xffff || 0xffff, 6);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(8 + payload.length, 4);
  ip[6] = 17;
  ip[7] = 1;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  return Buffer.concat([Buffer.from('333300000181', 'hex'), Buffer.from('02000000aa01', 'hex'), Buffer.from([0x86, 0xdd]), ip, udp, payload]);
}

/** Write frames as a classic µs pcap (link type Ethernet), one second apart. */
export function writePcap(path: string, frames: Buffer[]): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  writeFileSync(path, Buffer.concat(parts));
}
