/**
 * The benchmark capture: a deterministic classic pcap (microsecond, the
 * format tcpdump writes by default) of mixed traffic — TCP, UDP, DNS, HTTP,
 * ICMP, ARP, IGMP, VLAN/QinQ, IPv6 with extension headers, IPv4 fragments,
 * PTP over Ethernet and UDP, Chapter 10 and IENA-like UDP. Frames are drawn
 * from a pool built with a seeded PRNG, so the same arguments always give the
 * same file; it is cached, keyed by those arguments.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  arp, dnsMessage, ethernet, icmp, igmp, ipv4, ipv6, TCP, tcp, udp,
} from '../test-fixtures/frames.js';
import { pcapHeader } from '../test-fixtures/capture-writers.js';
import { Prng } from '../test-fixtures/prng.js';

export const MIX_VERSION = 3;

/** One of ~2,000 hosts per network: an edge capture point sees a bounded set of peers. */
function ip4(rnd: Prng, net = 10): string {
  return `${net}.${rnd.int(2)}.${rnd.int(4)}.${1 + rnd.int(250)}`;
}

function payload(rnd: Prng, n: number): Buffer {
  return rnd.bytes(n);
}

/** TCP segment sizes: mostly pure ACKs and small segments, some full-size. */
function tcpSize(rnd: Prng): number {
  const x = rnd.next();
  return x < 0.45 ? 0 : x < 0.8 ? 1 + rnd.int(300) : x < 0.9 ? 300 + rnd.int(900) : 1460;
}

function ch10Datagram(rnd: Prng, seq: number): Buffer {
  // UDP transfer header format 1 (full packet), then a Chapter 10 header with sync 0xEB25.
  const dataLen = 200 + rnd.int(1100);
  const b = Buffer.alloc(4 + 24 + dataLen);
  b[0] = 0x01;
  b.writeUIntLE(seq & 0xffffff, 1, 3);
  b.writeUInt16LE(0xeb25, 4);
  b.writeUInt16LE(rnd.int(16), 6);
  b.writeUInt32LE(24 + dataLen, 8);
  b.writeUInt32LE(dataLen, 12);
  b[16] = 0x06;
  b[17] = seq & 0xff;
  b[19] = rnd.pick([0x09, 0x19, 0x38, 0x11]);
  rnd.bytes(dataLen).copy(b, 28);
  return b;
}

function ienaDatagram(rnd: Prng, seq: number): Buffer {
  const words = 8 + rnd.int(200);
  const b = Buffer.alloc(words * 2);
  b.writeUInt16BE(0x1a + rnd.int(8), 0);
  b.writeUInt16BE(words, 2);
  b.writeUIntBE(rnd.int(2 ** 40), 4, 6);
  b.writeUInt16BE(0, 10);
  b.writeUInt16BE(seq & 0xffff, 12);
  rnd.bytes(b.length - 16).copy(b, 14);
  b.writeUInt16BE(0xdead, b.length - 2);
  return b;
}

const PTP_SYNC = Buffer.from('1002002c00000000000000000000000000000000001b19fffe0000000001000000fd0000000000000000000000', 'hex');

type Gen = (rnd: Prng, i: number) => Buffer;
const eth4 = (p: Buffer, vlans?: { tpid?: number; vid: number }[]) => ethernet({ type: 0x0800, vlans, src: '00:11:22:33:44:55', dst: '66:77:88:99:aa:bb' }, p);

/** Kinds of frame with their share of the mix (weights sum to 100). */
const MIX: [number, string, Gen][] = [
  [30, 'tcp', (r) => eth4(ipv4({ proto: 6, src: ip4(r), dst: ip4(r, 172), df: true }, tcp({ sport: 1024 + r.int(60000), dport: r.pick([443, 22, 5432, 9092]), seq: r.int(2 ** 32), ack: r.int(2 ** 32), flags: r.pick([TCP.ACK, TCP.ACK | TCP.PSH, TCP.SYN, TCP.SYN | TCP.ACK, TCP.FIN | TCP.ACK]) }, payload(r, tcpSize(r)))))],
  [9, 'udp', (r) => eth4(ipv4({ proto: 17, src: ip4(r), dst: ip4(r) }, udp({ sport: 1024 + r.int(60000), dport: 1024 + r.int(60000) }, payload(r, 20 + r.int(500)))))],
  [6, 'dns', (r, i) => {
    const name = `host${r.int(5000)}.example${r.int(20)}.com`;
    const q = i % 2 === 0;
    const m = dnsMessage({ id: r.int(65536), response: !q, questions: [{ name, type: r.pick([1, 28, 12]) }], answersA: q ? [] : [ip4(r), ip4(r)] });
    return eth4(ipv4({ proto: 17, src: ip4(r), dst: '10.0.0.53' }, udp({ sport: q ? 1024 + r.int(60000) : 53, dport: q ? 53 : 1024 + r.int(60000) }, m)));
  }],
  [4, 'http', (r, i) => eth4(ipv4({ proto: 6, src: ip4(r), dst: ip4(r) }, tcp({ sport: i % 2 ? 80 : 40000 + r.int(20000), dport: i % 2 ? 40000 + r.int(20000) : 80, flags: TCP.PSH | TCP.ACK },
    Buffer.from(i % 2 ? `HTTP/1.1 200 OK\r\nContent-Length: 512\r\n\r\n${'x'.repeat(r.int(512))}` : `GET /api/v1/item/${r.int(100000)} HTTP/1.1\r\nHost: svc${r.int(50)}.example.com\r\nAccept: */*\r\n\r\n`))))],
  [3, 'icmp', (r) => eth4(ipv4({ proto: 1, src: ip4(r), dst: ip4(r) }, icmp(r.pick([0, 8]), 0, payload(r, 56))))],
  [2, 'arp', (r) => ethernet({ type: 0x0806, dst: 'ff:ff:ff:ff:ff:ff' }, Buffer.concat([arp({ op: 1 + r.int(2), sha: '00:11:22:33:44:55', spa: ip4(r), tha: '00:00:00:00:00:00', tpa: ip4(r) }), Buffer.alloc(18)]))],
  [1, 'igmp', (r) => eth4(ipv4({ proto: 2, ttl: 1, dst: '239.1.2.3', options: Buffer.from([0x94, 4, 0, 0]) }, igmp(0x16, `239.1.${r.int(256)}.${r.int(256)}`)))],
  [7, 'vlan', (r) => eth4(ipv4({ proto: 17, src: ip4(r), dst: ip4(r) }, udp({ sport: 5000, dport: 6000 + r.int(10) }, payload(r, 64 + r.int(400)))), r.next() < 0.7 ? [{ vid: 1 + r.int(4000) }] : [{ tpid: 0x88a8, vid: 100 }, { vid: 1 + r.int(4000) }])],
  [8, 'ipv6', (r) => {
    const isTcp = r.next() < 0.5;
    const l4 = isTcp ? tcp({ sport: 1024 + r.int(60000), dport: 443, flags: TCP.ACK }, payload(r, tcpSize(r))) : udp({ sport: 1024 + r.int(60000), dport: 4789 }, payload(r, 40 + r.int(600)));
    return ethernet({ type: 0x86dd }, ipv6({ nextHeader: isTcp ? 6 : 17, ext: r.next() < 0.2 ? [{ type: 0 }, { type: 60 }] : [] }, l4));
  }],
  [2, 'fragment', (r) => eth4(ipv4({ proto: 17, src: ip4(r), dst: ip4(r), fragOffset: 1480 * (1 + r.int(3)), id: r.int(65536) }, payload(r, 100 + r.int(1380))))],
  [5, 'ptp-l2', () => ethernet({ type: 0x88f7, dst: '01:1b:19:00:00:00' }, PTP_SYNC)],
  [3, 'ptp-udp', (r) => eth4(ipv4({ proto: 17, src: ip4(r), dst: '224.0.1.129' }, udp({ sport: 319, dport: r.pick([319, 320]) }, PTP_SYNC)))],
  [12, 'ch10', (r, i) => eth4(ipv4({ proto: 17, src: '192.168.1.68', dst: '192.168.1.255' }, udp({ sport: 62360, dport: 2000 }, ch10Datagram(r, i))))],
  [8, 'iena', (r, i) => eth4(ipv4({ proto: 17, src: '192.168.28.8', dst: '235.0.0.1' }, udp({ sport: 1024, dport: r.pick([50000, 5548, 5550]) }, ienaDatagram(r, i))))],
];

/**
 * Minimum-size frames (60 bytes before the FCS, as on the wire at GbE line
 * rate: 1.488 M frames/s): TCP ACKs and SYNs, small UDP, DNS-sized queries
 * cut to fit, ARP, ICMP, PTP Delay_Req, VLAN-tagged UDP.
 */
const MINIMUM: [number, string, Gen][] = [
  [40, 'tcp ack', (r) => eth4(ipv4({ proto: 6, src: ip4(r), dst: ip4(r, 172) }, tcp({ sport: 1024 + r.int(60000), dport: r.pick([443, 22, 80]), seq: r.int(2 ** 32), ack: r.int(2 ** 32), flags: r.pick([TCP.ACK, TCP.SYN, TCP.ACK | TCP.PSH]) }, payload(r, 6))))],
  [25, 'udp', (r) => eth4(ipv4({ proto: 17, src: ip4(r), dst: ip4(r) }, udp({ sport: 1024 + r.int(60000), dport: r.pick([5000, 319, 2000, 50000]) }, payload(r, 18))))],
  [10, 'vlan udp', (r) => eth4(ipv4({ proto: 17, src: ip4(r), dst: ip4(r) }, udp({ sport: 5000, dport: 6000 }, payload(r, 14))), [{ vid: 1 + r.int(4000) }])],
  [10, 'arp', (r) => ethernet({ type: 0x0806, dst: 'ff:ff:ff:ff:ff:ff' }, Buffer.concat([arp({ op: 1 + r.int(2), sha: '00:11:22:33:44:55', spa: ip4(r), tha: '00:00:00:00:00:00', tpa: ip4(r) }), Buffer.alloc(18)]))],
  [5, 'icmp', (r) => eth4(ipv4({ proto: 1, src: ip4(r), dst: ip4(r) }, icmp(8, 0, payload(r, 18))))],
  [10, 'ptp delay_req', () => ethernet({ type: 0x88f7, dst: '01:1b:19:00:00:00' }, PTP_SYNC.subarray(0, 46))],
];

export type Mix = 'mixed' | 'minimum';

/** Build (or reuse) the benchmark pcap at `path` with `packets` frames of the given mix (the seed picks the frames). */
export function ensureMixedCapture(path: string, packets: number, seed = 1, mix: Mix = 'mixed'): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const rnd = new Prng(seed);
  const kinds = mix === 'mixed' ? MIX : MINIMUM;
  const total = kinds.reduce((s, [w]) => s + w, 0);
  const pool: Buffer[] = [];
  for (let i = 0; i < 8192; i++) {
    let x = rnd.int(total);
    let k = 0;
    while (x >= kinds[k][0]) x -= kinds[k++][0];
    pool.push(kinds[k][2](rnd, i));
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, pcapHeader({ linkType: 1, snapLen: 262144 }));
    const out = Buffer.alloc(8 * 1024 * 1024);
    let at = 0;
    let usec = 1_700_000_000n * 1_000_000n;
    for (let i = 0; i < packets; i++) {
      const f = pool[rnd.int(pool.length)];
      if (at + 16 + f.length > out.length) {
        writeSync(fd, out, 0, at);
        at = 0;
      }
      usec += BigInt(rnd.int(3));
      out.writeUInt32LE(Number(usec / 1_000_000n), at);
      out.writeUInt32LE(Number(usec % 1_000_000n), at + 4);
      out.writeUInt32LE(f.length, at + 8);
      out.writeUInt32LE(f.length, at + 12);
      f.copy(out, at + 16);
      at += 16 + f.length;
    }
    writeSync(fd, out, 0, at);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
