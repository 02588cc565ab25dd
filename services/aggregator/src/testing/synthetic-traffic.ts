/**
 * Deterministic enriched traffic for tests and the benchmark, built from the
 * published contract (records.ts) as the dissector would write it: PTP over
 * UDP and over Ethernet, IENA, Chapter 10 with TMATS, TCP sessions, DNS, ARP
 * and IPv6, at realistic cadences with jitter, plus a configurable number of
 * background flows. Records are grouped into batches per partition with the
 * same RecordRouter the dissector uses.
 */
import { emptyPacketRecord, RecordRouter, type EnrichedBatch, type EnrichedRecord, type PacketRecord } from '@streamlens/common';

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ip4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

export function ip6(text: string): Buffer {
  const [l, r = ''] = text.split('::');
  const left = l ? l.split(':') : [];
  const right = r ? r.split(':') : [];
  const groups = [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** A record at an absolute time (ns since the epoch). */
export interface TimedRecord {
  tsNs: bigint;
  record: EnrichedRecord;
}

interface PacketSpec {
  frameType: string;
  protocols: string[];
  wireLen: number;
  ethSrc?: number;
  ethDst?: number;
  ethertype?: number;
  src?: Buffer;
  dst?: Buffer;
  proto?: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  dnsQuery?: boolean;
  dnsResponse?: boolean;
  errors?: string[];
}

export function enrichedRecord(spec: PacketSpec): EnrichedRecord {
  const p: PacketRecord = emptyPacketRecord();
  p.wire_len = spec.wireLen;
  p.cap_len = spec.wireLen;
  p.eth_src = spec.ethSrc ?? 0x0200_0000_0001;
  p.eth_dst = spec.ethDst ?? 0x0200_0000_0002;
  if (spec.src && spec.dst) {
    p.ip_version = spec.src.length === 4 ? 4 : 6;
    p.ethertype = spec.ethertype ?? (p.ip_version === 4 ? 0x0800 : 0x86dd);
    p.src_ip = spec.src;
    p.dst_ip = spec.dst;
    p.ip_proto = spec.proto ?? 17;
    p.ip_ttl = 64;
    p.src_port = spec.sport ?? 0;
    p.dst_port = spec.dport ?? 0;
    p.tcp_flags = spec.tcpFlags ?? 0;
  } else {
    p.ethertype = spec.ethertype ?? 0x88f7;
  }
  if (spec.dnsQuery || spec.dnsResponse) {
    p.dns = { is_response: !!spec.dnsResponse, id: 1, opcode: 0, rcode: 0, qname: 'example.org', qtype: 1, question_count: 1, answer_count: spec.dnsResponse ? 1 : 0, size: 60 };
  }
  return {
    packet: p,
    frame_type: spec.frameType,
    frame_types: [spec.frameType],
    protocols: spec.protocols,
    errors: spec.errors ?? [],
    cast: 'unicast',
    ch10: null,
    ptp: null,
    iena: null,
    app: null,
    classified_by: '',
  };
}

export interface ScenarioOptions {
  /** First packet time, ns since the epoch. */
  startNs: bigint;
  /** Length of the capture in ns. */
  durationNs: bigint;
  seed?: number;
  /** Extra TCP background flows (each a short session). */
  backgroundFlows?: number;
}

function jittered(rand: () => number, periodNs: number, jitterNs: number): number {
  return Math.round(periodNs + (rand() * 2 - 1) * jitterNs);
}

/**
 * A capture of a flight-test network: PTP (UDP and gPTP over Ethernet), IENA
 * with a 200 ms gap, Chapter 10 data and TMATS, client TCP sessions to the
 * outside, DNS, ARP, an IPv6 flow and `backgroundFlows` extra sessions.
 * Returns the records sorted by time.
 */
export function flightTestScenario(o: ScenarioOptions): TimedRecord[] {
  const rand = prng(o.seed ?? 1);
  const out: TimedRecord[] = [];
  const end = o.startNs + o.durationNs;
  const periodic = (periodNs: number, jitterNs: number, make: (i: number) => EnrichedRecord | null, offsetNs = 0) => {
    let t = o.startNs + BigInt(offsetNs);
    for (let i = 0; t < end; i++) {
      const r = make(i);
      if (r) out.push({ tsNs: t, record: r });
      t += BigInt(jittered(rand, periodNs, jitterNs));
    }
  };
  const gm = ip4('10.0.0.1');
  const ptpMc = ip4('224.0.1.129');
  periodic(125e6, 20e3, () => enrichedRecord({ frameType: 'PTP-Sync', protocols: ['eth', 'ipv4', 'udp', 'ptp'], wireLen: 86, src: gm, dst: ptpMc, sport: 319, dport: 319 }));
  periodic(125e6, 20e3, () => enrichedRecord({ frameType: 'PTP-Follow_Up', protocols: ['eth', 'ipv4', 'udp', 'ptp'], wireLen: 86, src: gm, dst: ptpMc, sport: 320, dport: 320 }), 50e3);
  periodic(1e9, 1e3, () => enrichedRecord({ frameType: 'PTP-Announce', protocols: ['eth', 'ipv4', 'udp', 'ptp'], wireLen: 106, src: gm, dst: ptpMc, sport: 320, dport: 320 }), 70e3);
  // gPTP over Ethernet, from a second clock
  periodic(125e6, 5e3, () => enrichedRecord({ frameType: 'PTP-Sync', protocols: ['eth', 'ptp'], wireLen: 60, ethSrc: 0x0050_c2aa_0001, ethDst: 0x0180_c200_000e, ethertype: 0x88f7 }), 30e3);
  // IENA-D every 10 ms with one 200 ms gap in the middle
  const gapAt = Number(o.durationNs / 2n / 10_000_000n);
  periodic(10e6, 2e3, (i) => (i >= gapAt && i < gapAt + 20 ? null : enrichedRecord({ frameType: 'IENA-D', protocols: ['eth', 'ipv4', 'udp', 'iena'], wireLen: 146, src: ip4('192.168.28.8'), dst: ip4('235.0.0.1'), sport: 1024, dport: 1024 })));
  // Chapter 10 over UDP: data every 100 ms, TMATS every second
  const recorder = ip4('192.168.1.68');
  const bcast = ip4('192.168.1.255');
  periodic(100e6, 1e6, () => enrichedRecord({ frameType: 'CH10-PCM-F1', protocols: ['eth', 'ipv4', 'udp', 'ch10'], wireLen: 1042, src: recorder, dst: bcast, sport: 62360, dport: 2000 }), 3e6);
  periodic(1e9, 5e6, () => enrichedRecord({ frameType: 'TMATS', protocols: ['eth', 'ipv4', 'udp', 'ch10', 'tmats'], wireLen: 1442, src: recorder, dst: bcast, sport: 62360, dport: 2000 }), 7e6);
  // ARP every 2 s
  periodic(2e9, 1e6, () => enrichedRecord({ frameType: 'ARP', protocols: ['eth', 'arp'], wireLen: 60, ethSrc: 0x0200_0000_0010, ethDst: 0xffff_ffff_ffff, ethertype: 0x0806 }), 11e6);
  // DNS queries and responses every 500 ms
  const client = ip4('192.168.1.20');
  const resolver = ip4('192.168.1.1');
  periodic(500e6, 50e6, (i) => enrichedRecord({ frameType: 'DNS', protocols: ['eth', 'ipv4', 'udp', 'dns'], wireLen: 74, src: client, dst: resolver, sport: 40000 + (i % 50), dport: 53, dnsQuery: true }), 13e6);
  periodic(500e6, 50e6, (i) => enrichedRecord({ frameType: 'DNS', protocols: ['eth', 'ipv4', 'udp', 'dns'], wireLen: 120, src: resolver, dst: client, sport: 53, dport: 40000 + (i % 50), dnsResponse: true }), 14e6);
  // IPv6 telemetry stream
  periodic(20e6, 100e3, () => enrichedRecord({ frameType: 'UDP', protocols: ['eth', 'ipv6', 'udp'], wireLen: 200, src: ip6('fd00::10'), dst: ip6('fd00::20'), sport: 5000, dport: 5001 }), 17e6);
  // TCP sessions: SYN, SYN-ACK, data both ways, FIN; some to outside servers, one reset
  const sessions = 20 + (o.backgroundFlows ?? 0);
  for (let s = 0; s < sessions; s++) {
    const startAt = o.startNs + BigInt(Math.floor(rand() * Number(o.durationNs) * 0.9));
    const server = s % 3 === 0 ? ip4('192.168.1.50') : ip4(`93.184.${(s >> 8) & 0xff}.${s & 0xff}`);
    const cli = ip4(`192.168.2.${1 + (s % 200)}`);
    const sport = 30000 + (s % 35536); // ephemeral ports stay 16-bit however many sessions
    const dport = s % 2 ? 443 : 80;
    const ft = dport === 443 ? 'HTTPS' : 'HTTP';
    const fwd = (flags: number, len: number): EnrichedRecord => enrichedRecord({ frameType: ft, protocols: ['eth', 'ipv4', 'tcp'], wireLen: len, src: cli, dst: server, proto: 6, sport, dport, tcpFlags: flags });
    const rev = (flags: number, len: number): EnrichedRecord => enrichedRecord({ frameType: ft, protocols: ['eth', 'ipv4', 'tcp'], wireLen: len, src: server, dst: cli, proto: 6, sport: dport, dport: sport, tcpFlags: flags });
    let t = startAt;
    const step = () => (t += BigInt(Math.floor(200e3 + rand() * 5e6)));
    out.push({ tsNs: t, record: fwd(0x02, 74) });
    out.push({ tsNs: step(), record: rev(0x12, 74) });
    out.push({ tsNs: step(), record: fwd(0x10, 66) });
    const n = 3 + Math.floor(rand() * 20);
    for (let i = 0; i < n; i++) {
      out.push({ tsNs: step(), record: fwd(0x18, 200 + Math.floor(rand() * 1000)) });
      out.push({ tsNs: step(), record: rev(0x18, 600 + Math.floor(rand() * 900)) });
    }
    if (s % 7 === 6) out.push({ tsNs: step(), record: rev(0x04, 60) });
    else {
      out.push({ tsNs: step(), record: fwd(0x11, 66) });
      out.push({ tsNs: step(), record: rev(0x11, 66) });
    }
  }
  out.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  return out.filter((r) => r.tsNs < end);
}

/**
 * A telemetry-dense capture: `streams` periodic UDP streams (IENA, Chapter 10
 * and PTP in turn, from distinct sources) whose rates together give about
 * `records` records over `durationNs`, with 1 % jitter. Few keys, many
 * packets per window: what a flight-test network mostly carries.
 */
export function telemetryScenario(o: { startNs: bigint; durationNs: bigint; records: number; streams: number; seed?: number }): TimedRecord[] {
  const rand = prng(o.seed ?? 1);
  const perStream = Math.max(1, Math.floor(o.records / o.streams));
  const periodNs = Number(o.durationNs) / perStream;
  const kinds = [
    { frameType: 'IENA-D', protocols: ['eth', 'ipv4', 'udp', 'iena'], wireLen: 146, port: 1024 },
    { frameType: 'CH10-PCM-F1', protocols: ['eth', 'ipv4', 'udp', 'ch10'], wireLen: 1042, port: 2000 },
    { frameType: 'PTP-Sync', protocols: ['eth', 'ipv4', 'udp', 'ptp'], wireLen: 86, port: 319 },
  ];
  const out: TimedRecord[] = [];
  for (let s = 0; s < o.streams; s++) {
    const k = kinds[s % kinds.length];
    const rec = enrichedRecord({ frameType: k.frameType, protocols: k.protocols, wireLen: k.wireLen,
      src: ip4(`192.168.${28 + (s >> 8)}.${s & 255}`), dst: ip4(`235.0.${s >> 8}.${s & 255}`), sport: k.port, dport: k.port });
    let t = Number(rand() * periodNs);
    for (let i = 0; i < perStream; i++) {
      out.push({ tsNs: o.startNs + BigInt(Math.round(t)), record: rec });
      t += periodNs * (0.99 + rand() * 0.02);
    }
  }
  out.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  return out;
}

export interface BatchingOptions {
  agentId: string;
  iface: string;
  partitions: number;
  /** Records per batch at most. */
  batchRecords: number;
  agentRun?: string;
  sampleRate?: number;
}

/** A batch and the partition the dissector would write it to. */
export interface RoutedBatch {
  partition: number;
  batch: EnrichedBatch;
}

/**
 * Number the records (frame_no) in time order, route them, and cut each
 * partition's records into batches in order.
 */
export function routeIntoBatches(records: readonly TimedRecord[], o: BatchingOptions): RoutedBatch[] {
  const router = new RecordRouter(o.agentId, o.iface);
  const open = new Map<number, { base: bigint; recs: EnrichedRecord[] }>();
  const out: RoutedBatch[] = [];
  let seq = 0;
  const flush = (partition: number) => {
    const b = open.get(partition);
    if (!b || b.recs.length === 0) return;
    out.push({
      partition,
      batch: {
        agent_id: o.agentId, interface: o.iface, link_type: 1, agent_run: o.agentRun ?? 'run-1', batch_seq: seq++,
        base_ts_ns: b.base, sample_rate: o.sampleRate ?? 1, records: b.recs,
      },
    });
    open.delete(partition);
  };
  records.forEach((tr, i) => {
    const rec = { ...tr.record, packet: { ...tr.record.packet, frame_no: i + 1 } };
    const partition = router.partitionOf(rec.packet, o.partitions);
    let b = open.get(partition);
    if (!b) open.set(partition, (b = { base: tr.tsNs, recs: [] }));
    rec.packet.ts_offset_ns = Number(tr.tsNs - b.base);
    b.recs.push(rec);
    if (b.recs.length >= o.batchRecords) flush(partition);
  });
  for (const p of [...open.keys()].sort((a, b) => a - b)) flush(p);
  return out;
}
