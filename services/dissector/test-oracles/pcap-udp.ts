/**
 * Test helper: the UDP datagrams of a classic pcap file (Ethernet, optional
 * VLAN tags, IPv4/IPv6), payloads cut to the UDP length. Deliberately
 * minimal and independent of the capture agent's reader; a record cut by the
 * end of the file is delivered with `truncated` set, as the c10-tools capture
 * (cut at exactly 1 MiB) needs.
 */
import { readFileSync } from 'node:fs';

export interface UdpDatagram {
  /** 1-based frame number in the file. */
  frame: number;
  tsMs: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  /** The frame (or the UDP payload) is cut short in the file. */
  truncated: boolean;
}

function ipv4(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function readPcapUdp(path: string): UdpDatagram[] {
  const d = readFileSync(path);
  const magic = d.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) { le = true; nano = magic === 0xa1b23c4d; }
  else if (d.readUInt32BE(0) === 0xa1b2c3d4 || d.readUInt32BE(0) === 0xa1b23c4d) { le = false; nano = d.readUInt32BE(0) === 0xa1b23c4d; }
  else throw new Error(`${path}: not a classic pcap file`);
  const u32 = (o: number) => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${path}: link type ${u32(20)} is not Ethernet`);
  const out: UdpDatagram[] = [];
  let off = 24;
  let frame = 0;
  while (off + 16 <= d.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const capLen = u32(off + 8);
    frame++;
    const start = off + 16;
    const end = Math.min(start + capLen, d.length);
    const cut = start + capLen > d.length;
    off = start + capLen;
    const f = d.subarray(start, end);
    let p = 12;
    if (f.length < 14) continue;
    let et = f.readUInt16BE(p);
    while ((et === 0x8100 || et === 0x88a8) && p + 6 <= f.length) { p += 4; et = f.readUInt16BE(p); }
    p += 2;
    let proto: number;
    let srcIp: string;
    let dstIp: string;
    if (et === 0x0800 && p + 20 <= f.length) {
      const ihl = (f[p] & 0x0f) * 4;
      proto = f[p + 9];
      srcIp = ipv4(f, p + 12);
      dstIp = ipv4(f, p + 16);
      const fragOffset = f.readUInt16BE(p + 6) & 0x1fff;
      if (fragOffset !== 0) continue;
      p += ihl;
    } else if (et === 0x86dd && p + 40 <= f.length) {
      proto = f[p + 6];
      srcIp = f.subarray(p + 8, p + 24).toString('hex');
      dstIp = f.subarray(p + 24, p + 40).toString('hex');
      p += 40;
    } else continue;
    if (proto !== 17 || p + 8 > f.length) continue;
    const udpLen = f.readUInt16BE(p + 4);
    const payloadEnd = Math.min(p + Math.max(udpLen, 8), f.length);
    out.push({
      frame, tsMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), srcIp, dstIp,
      srcPort: f.readUInt16BE(p), dstPort: f.readUInt16BE(p + 2),
      payload: Buffer.from(f.subarray(p + 8, payloadEnd)),
      truncated: cut || p + udpLen > f.length,
    });
  }
  return out;
}
