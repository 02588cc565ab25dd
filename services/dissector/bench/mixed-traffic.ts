/**
 * The dissector benchmark's input: a deterministic classic pcap mixing real
 * telemetry frames (every frame of the public Chapter 10, PTP and IENA
 * captures, each capture replayed in its own order so segmented transfers and
 * sequence numbers stay coherent) with generated enterprise traffic (TCP with
 * pure ACKs, bulk and TLS records on 443, HTTP requests, SSH; UDP with DNS
 * queries and answers, NTP and opaque datagrams; ICMP; ARP). The share of
 * telemetry frames is a parameter (default 35 %). Cached under .bench/, keyed
 * by its parameters.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CaptureFileError, CaptureFileReader } from '@streamlens/capture-agent';
import { publicCapture } from '@streamlens/common/testing';
import { ethernet, ipv4, tcpFrame, udpFrame } from '../test-support/frames.js';

export const MIX_VERSION = 1;

/** xorshift32: the same seed always gives the same capture. */
class Prng {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

export interface TelemetrySource {
  name: string;
  family: 'ch10' | 'ptp' | 'iena';
  frames: Buffer[];
}

const TELEMETRY_FILES: ReadonlyArray<[string, TelemetrySource['family']]> = [
  ['ch10udp/c10-tools_test.pcap', 'ch10'],
  ['ch10udp/acranetwork_sample_ch10uart.pcap', 'ch10'],
  ['ch10udp/acranetwork_ch10_format_1_looks_like2.pcap', 'ch10'],
  ['ch10udp_derived/c10net_pychapter10_sample.pcap', 'ch10'],
  ['ch10udp_derived/c10net_pychapter10_pcm.pcap', 'ch10'],
  ['ch10udp_derived/c10net_pychapter10_ethernet.pcap', 'ch10'],
  ['ch10udp_derived/c10net_pychapter10_event.pcap', 'ch10'],
  ['ch10udp_derived/c10net_pychapter10_discrete.pcap', 'ch10'],
  ['ptp/tcpdump_ptp.pcap', 'ptp'],
  ['ptp/tcpdump_ptp_corrections.pcap', 'ptp'],
  ['ptp/tcpdump_ptp_ethernet.pcap', 'ptp'],
  ['ptp/tcpdump_ptp_management.pcap', 'ptp'],
  ['ptp/tcpdump_ptp_v2_1.pcap', 'ptp'],
  ['ptp/scapy-gptp_ptp_example.pcapng', 'ptp'],
  ['iena/acranetwork_ienad.pcap', 'iena'],
  ['iena/acranetwork_ienam_multiple.pcap', 'iena'],
  ['iena/acranetwork_iena_test.pcap', 'iena'],
];

/** Every Ethernet frame of the public telemetry captures (a cut last record is left out). */
export async function loadTelemetry(capturesDir: string): Promise<TelemetrySource[]> {
  const out: TelemetrySource[] = [];
  for (const [rel, family] of TELEMETRY_FILES) {
    const path = existsSync(join(capturesDir, rel)) ? join(capturesDir, rel) : publicCapture(rel);
    if (path === null) {
      // The gPTP sample is not vendored (GPL); without it the mix has fewer distinct PTP frames, and its file name says so.
      console.warn(`benchmark input ${rel} is missing (set STREAMLENS_CAPTURES_DIR); the mix is built without it`);
      continue;
    }
    const reader = await CaptureFileReader.open(path);
    const frames: Buffer[] = [];
    try {
      do {
        for (let f = reader.next(); f !== null; f = reader.next()) frames.push(Buffer.from(f.data));
      } while (await reader.fill());
    } catch (err) {
      if (!(err instanceof CaptureFileError && err.code === 'truncated')) throw err;
    } finally {
      await reader.close();
    }
    out.push({ name: rel, family, frames });
  }
  return out;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

function dnsMessage(rnd: Prng, response: boolean): Buffer {
  const labels = ['www', 'api', 'cdn', 'mail', 'ntp', 'time'][rnd.int(6)];
  const domain = ['example', 'corp', 'lab', 'flighttest'][rnd.int(4)];
  const qname = Buffer.concat([Buffer.from([labels.length]), Buffer.from(labels), Buffer.from([domain.length]), Buffer.from(domain), Buffer.from([3]), Buffer.from('org'), Buffer.from([0])]);
  const header = Buffer.concat([u16(rnd.int(65536)), u16(response ? 0x8180 : 0x0100), u16(1), u16(response ? 1 : 0), u16(0), u16(0)]);
  const question = Buffer.concat([qname, u16(1), u16(1)]);
  const answer = response ? Buffer.concat([u16(0xc00c), u16(1), u16(1), Buffer.from([0, 0, 0x0e, 0x10]), u16(4), rnd.bytes(4)]) : Buffer.alloc(0);
  return Buffer.concat([header, question, answer]);
}

function tlsRecord(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3]), u16(body.length), body]);
}

function clientHello(rnd: Prng): Buffer {
  const name = Buffer.from(['www.example.org', 'api.corp.example', 'telemetry.lab.example'][rnd.int(3)]);
  const sni = Buffer.concat([u16(0), u16(name.length + 5), u16(name.length + 3), Buffer.from([0]), u16(name.length), name]);
  const alpn = Buffer.concat([u16(16), u16(14), u16(12), Buffer.from([2]), Buffer.from('h2'), Buffer.from([8]), Buffer.from('http/1.1')]);
  const exts = Buffer.concat([sni, alpn, u16(43), u16(5), Buffer.from([4, 3, 4, 3, 3])]);
  const body = Buffer.concat([u16(0x0303), rnd.bytes(32), Buffer.from([32]), rnd.bytes(32), u16(4), Buffer.from([0x13, 1, 0x13, 2]),
    Buffer.from([1, 0]), u16(exts.length), exts]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return tlsRecord(22, hs);
}

/** One generated (non-telemetry) frame. */
function enterpriseFrame(rnd: Prng): Buffer {
  const client = `10.${1 + rnd.int(3)}.${rnd.int(256)}.${1 + rnd.int(254)}`;
  const server = `192.0.2.${1 + rnd.int(60)}`;
  const eph = 32768 + rnd.int(28000);
  const up = rnd.next() < 0.5;
  const s = (port: number): [string, string, number, number] => (up ? [client, server, eph, port] : [server, client, port, eph]);
  const x = rnd.next();
  if (x < 0.22) { // pure ACKs
    const [a, b, p, q] = s(rnd.next() < 0.7 ? 443 : 8000 + rnd.int(100));
    return tcpFrame(a, b, p, q, Buffer.alloc(0), { flags: 0x10 });
  }
  if (x < 0.40) { // HTTPS bulk records
    const [a, b, p, q] = s(443);
    return tcpFrame(a, b, p, q, tlsRecord(23, rnd.bytes(100 + rnd.int(1300))));
  }
  if (x < 0.42) return tcpFrame(client, server, eph, 443, clientHello(rnd));
  if (x < 0.48) { // HTTP
    const path = ['/', '/index.html', '/api/v1/status', '/metrics'][rnd.int(4)];
    return tcpFrame(client, server, eph, 80, Buffer.from(`GET ${path} HTTP/1.1\r\nHost: intranet.example\r\nUser-Agent: bench\r\n\r\n`));
  }
  if (x < 0.52) { // SSH binary
    const [a, b, p, q] = s(22);
    return tcpFrame(a, b, p, q, rnd.bytes(36 + rnd.int(200)));
  }
  if (x < 0.62) { // other TCP
    const [a, b, p, q] = s(5000 + rnd.int(3000));
    return tcpFrame(a, b, p, q, rnd.bytes(1 + rnd.int(1400)));
  }
  if (x < 0.76) { // DNS
    const resp = rnd.next() < 0.5;
    return resp ? udpFrame('192.0.2.53', client, 53, eph, dnsMessage(rnd, true)) : udpFrame(client, '192.0.2.53', eph, 53, dnsMessage(rnd, false));
  }
  if (x < 0.79) { // NTP
    const b = Buffer.alloc(48);
    b[0] = rnd.next() < 0.5 ? 0x23 : 0x24;
    b[1] = 2;
    return udpFrame(client, '192.0.2.123', 123, 123, b);
  }
  if (x < 0.95) { // opaque UDP (media, app protocols)
    const [a, b, p, q] = s(16384 + rnd.int(16384));
    return udpFrame(a, b, p, q, rnd.bytes(60 + rnd.int(1100)));
  }
  if (x < 0.98) { // ICMP echo
    const icmp = Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 1, 0, rnd.int(256)]), rnd.bytes(56)]);
    return ethernet(0x0800, ipv4(client, server, 1, icmp));
  }
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0);
  arp.writeUInt16BE(0x0800, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6);
  return ethernet(0x0806, arp, { dst: 'ff:ff:ff:ff:ff:ff' });
}

export interface MixOptions {
  records: number;
  telemetryShare: number;
  seed: number;
}

export interface MixInfo {
  path: string;
  records: number;
  telemetry: number;
  bytes: number;
}

/** Build (or reuse) the benchmark pcap under `dir`. Frames are 10 µs apart. */
export async function ensureMix(dir: string, capturesDir: string, o: MixOptions): Promise<MixInfo> {
  const missing = TELEMETRY_FILES.filter(([rel]) => !existsSync(join(capturesDir, rel)) && publicCapture(rel) === null).length;
  const partial = missing > 0 ? `-without${missing}` : '';
  const path = join(dir, `dissector-mix-v${MIX_VERSION}-${o.records}-${Math.round(o.telemetryShare * 100)}-${o.seed}${partial}.pcap`);
  const telemetry = Math.round(o.records * o.telemetryShare);
  if (existsSync(path)) return { path, records: o.records, telemetry, bytes: 0 };
  mkdirSync(dirname(path), { recursive: true });
  const sources = await loadTelemetry(capturesDir);
  const cursor = sources.map(() => 0);
  // Chapter 10 is the bulk of telemetry; PTP and IENA a fifth each (by frame count).
  const weights = sources.map((s) => (s.family === 'ch10' ? 0.6 : 0.2) / sources.filter((t) => t.family === s.family).length);
  const rnd = new Prng(o.seed);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  writeSync(fd, head);
  let bytes = 24;
  let left = telemetry;
  const chunk: Buffer[] = [];
  let chunkBytes = 0;
  for (let i = 0; i < o.records; i++) {
    // Exactly `telemetry` telemetry frames, spread at random.
    const isTelemetry = rnd.next() * (o.records - i) < left;
    let frame: Buffer;
    if (isTelemetry) {
      left--;
      let r = rnd.next();
      let k = 0;
      while (k < sources.length - 1 && r >= weights[k]) r -= weights[k++];
      const src = sources[k];
      frame = src.frames[cursor[k]];
      cursor[k] = (cursor[k] + 1) % src.frames.length;
    } else {
      frame = enterpriseFrame(rnd);
    }
    const rh = Buffer.alloc(16);
    const us = i * 10;
    rh.writeUInt32LE(1_732_000_000 + Math.floor(us / 1e6), 0);
    rh.writeUInt32LE(us % 1e6, 4);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    chunk.push(rh, frame);
    chunkBytes += 16 + frame.length;
    if (chunkBytes > 8 << 20) {
      writeSync(fd, Buffer.concat(chunk));
      bytes += chunkBytes;
      chunk.length = 0;
      chunkBytes = 0;
    }
  }
  writeSync(fd, Buffer.concat(chunk));
  bytes += chunkBytes;
  closeSync(fd);
  renameSync(tmp, path);
  return { path, records: o.records, telemetry, bytes };
}
