/**
 * The fused path (scanFrameAt + FrameBatchWriter, and the FramePipeline that
 * picks it or the decoder per frame) writes exactly the bytes of the record
 * path (decodeFrameAt + PacketBatchWriter) and routes each frame to the same
 * partition: on the crafted frames and every truncation of them, random and
 * mutated frames, the public captures, and the benchmark's generated mixes.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AvroCodec, createLogger, emptyPacketRecord, PacketBatchWriter, RecordRouter, SCHEMA_NAMES, type BatchHeader, type PacketBatch } from '@streamlens/common';
import { AgentMetrics } from './agent-metrics.js';
import { type SealedBatch } from './batcher.js';
import { decodeFrame, DEFAULT_PAYLOAD_CAP } from './decode/decode-frame.js';
import { FrameScan, scanFrameAt } from './decode/frame-scan.js';
import { FrameBatchWriter } from './frame-batch-writer.js';
import { FramePipeline } from './frame-pipeline.js';
import { messageBuffers } from './message-buffers.js';
import { CaptureFileReader } from './sources/capture-file.js';
import { ETHERNET_FRAMES, OTHER_LINK_FRAMES } from '../test-fixtures/crafted-catalogue.js';
import { dnsMessage, ethernet, ipv4, ipv6, TCP, tcp, udp } from '../test-fixtures/frames.js';
import { Prng } from '../test-fixtures/prng.js';
import { ensureMixedCapture } from '../bench/mixed-capture.js';

const codec = AvroCodec.forStreamLens();
const dir = mkdtempSync(join(tmpdir(), 'streamlens-fused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Frame {
  name: string;
  linkType: number;
  data: Buffer;
  wireLen: number;
  cap: number;
}

/** Time offsets and frame numbers that reach every varint width, negative offsets included. */
const OFFSETS = [0, 1, 63, 64, 8191, 8192, 1_000_000, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 40 + 3, 9007199254740990, -1, -64, -65, -(2 ** 30), -(2 ** 30) - 1, -(2 ** 45), -9007199254740990];
const FRAME_NOS = [1, 63, 64, 8192, 2 ** 31 + 5, 2 ** 52];

const header: BatchHeader = { agent_id: 'edge', interface: 'eth0', link_type: 1, agent_run: 'r', batch_seq: 3, base_ts_ns: 1_700_000_000_000_000_000n, sample_rate: 1 };

interface Outcome {
  /** Frames whose record (in a batch of its own) differs between the paths, by name. */
  mismatches: string[];
  scanned: number;
  /** Frames the scan took whose routing hash differs from the record's. */
  misrouted: string[];
}

/** Each frame through both paths, one record per message, then all of them in one message each way. */
function compare(frames: Frame[]): Outcome {
  const ref = new PacketBatchWriter(codec);
  const fused = new FrameBatchWriter(codec);
  const refAll = new PacketBatchWriter(codec);
  const fusedAll = new FrameBatchWriter(codec);
  const router = new RecordRouter('edge', 'eth0');
  const rec = emptyPacketRecord();
  const scan = new FrameScan();
  refAll.begin(header);
  fusedAll.begin(header);
  const out: Outcome = { mismatches: [], scanned: 0, misrouted: [] };
  frames.forEach((f, i) => {
    const ts = OFFSETS[i % OFFSETS.length];
    const no = FRAME_NOS[i % FRAME_NOS.length] + i;
    decodeFrame(f.linkType, f.data, f.wireLen, rec, f.cap);
    rec.ts_offset_ns = ts;
    rec.frame_no = no;
    ref.begin(header);
    ref.add(rec);
    refAll.add(rec);
    fused.begin(header);
    if (scanFrameAt(f.linkType, f.data, 0, f.data.length, f.wireLen, f.cap, scan)) {
      out.scanned++;
      fused.addScan(scan, ts, no);
      fusedAll.addScan(scan, ts, no);
      const h = router.hashFields(scan);
      if (h !== router.hash(rec)) out.misrouted.push(f.name);
    } else {
      fused.add(rec);
      fusedAll.add(rec);
    }
    const a = ref.finish();
    const b = fused.finish();
    if (!a.equals(b)) out.mismatches.push(`${f.name} (linktype ${f.linkType}, wire ${f.wireLen}, cap ${f.cap}): ${f.data.toString('hex')}`);
  });
  const a = refAll.finish();
  const b = fusedAll.finish();
  if (!a.equals(b)) out.mismatches.push('the whole batch');
  return out;
}

const crafted: Frame[] = [...ETHERNET_FRAMES, ...OTHER_LINK_FRAMES].map((f) => ({
  name: f.name, linkType: f.linkType, data: f.data, wireLen: f.wireLen ?? f.data.length, cap: DEFAULT_PAYLOAD_CAP,
}));

/** Every frame of a capture file (as far as it reads). */
async function fileFrames(file: string, name: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  const reader = await CaptureFileReader.open(file);
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        frames.push({ name: `${name}#${f.frameNo}`, linkType: f.linkType, data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.capLen)), wireLen: f.wireLen, cap: DEFAULT_PAYLOAD_CAP });
      }
    } while (await reader.fill());
  } catch {
    // A damaged file (one public capture is cut mid-frame): the frames before the damage count.
  } finally {
    await reader.close();
  }
  return frames;
}

function capturesUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? join(rel, e.name) : e.name;
    if (e.isDirectory()) out.push(...capturesUnder(root, p));
    else if (/\.pcap(ng)?$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('fused path: byte-identical to decodeFrameAt + PacketBatchWriter', () => {
  it('crafted frames of every protocol and link type', () => {
    const r = compare(crafted);
    expect(r.mismatches).toEqual([]);
    expect(r.misrouted).toEqual([]);
    // The fast path must actually be taken for the plain frames.
    expect(r.scanned).toBeGreaterThan(crafted.length / 2);
  });

  it('every truncation of every crafted frame, cut by the snap length and cut on the wire, and small payload caps', () => {
    const frames: Frame[] = [];
    for (const f of crafted) {
      for (let n = 0; n <= f.data.length; n++) {
        const data = f.data.subarray(0, n);
        frames.push({ ...f, name: `${f.name} cut at ${n}`, data, wireLen: f.wireLen });
        frames.push({ ...f, name: `${f.name} sent as ${n}`, data, wireLen: n });
      }
      for (const cap of [0, 1, 7, 33, 64]) frames.push({ ...f, name: `${f.name} cap ${cap}`, cap });
      // A record header claiming fewer bytes on the wire than were captured.
      frames.push({ ...f, name: `${f.name} short wire length`, wireLen: Math.max(0, f.data.length - 5) });
    }
    const r = compare(frames);
    expect(r.mismatches.slice(0, 10)).toEqual([]);
    expect(r.misrouted.slice(0, 10)).toEqual([]);
  });

  it('malformed and unusual frames: random bytes on every link type, mutated crafted frames, deep VLAN stacks, DNS and HTTP look-alikes', () => {
    const rnd = new Prng(0xf05ed);
    const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];
    const frames: Frame[] = [];
    for (let i = 0; i < 20_000; i++) {
      const data = rnd.bytes(rnd.int(120));
      if (data.length > 14 && rnd.next() < 0.5) data.writeUInt16BE(rnd.pick([0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x88f7, 0x0100]), 12);
      if (data.length > 23 && rnd.next() < 0.5) data[14] = rnd.pick([0x45, 0x46, 0x4f, 0x60]);
      if (data.length > 23 && rnd.next() < 0.5) data[23] = rnd.pick([6, 17, 1, 2, 58, 0, 44]);
      frames.push({ name: `random ${i}`, linkType: rnd.pick(linkTypes), data, wireLen: data.length + (rnd.next() < 0.3 ? rnd.int(2000) : 0), cap: rnd.pick([0, 1, 64, DEFAULT_PAYLOAD_CAP]) });
    }
    for (let i = 0; i < 30_000; i++) {
      const base = rnd.pick(crafted);
      const data = Buffer.from(base.data.subarray(0, rnd.next() < 0.5 ? base.data.length : rnd.int(base.data.length + 1)));
      const flips = rnd.int(5);
      for (let k = 0; k < flips && data.length > 0; k++) data[rnd.int(data.length)] = rnd.int(256);
      frames.push({ name: `mutated ${base.name} ${i}`, linkType: base.linkType, data, wireLen: rnd.next() < 0.2 ? base.data.length : data.length, cap: rnd.pick([0, 16, DEFAULT_PAYLOAD_CAP]) });
    }
    const udpTo = (dport: number, p: Buffer) => ethernet({ type: 0x0800 }, ipv4({ proto: 17 }, udp({ sport: 40000, dport }, p)));
    const tcpTo = (dport: number, p: Buffer) => ethernet({ type: 0x0800 }, ipv4({ proto: 6 }, tcp({ sport: 40000, dport, flags: TCP.PSH | TCP.ACK }, p)));
    const special: [string, Buffer][] = [
      ['9 VLAN tags', ethernet({ type: 0x0800, vlans: Array.from({ length: 9 }, (_, i) => ({ vid: i + 1 })) }, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, Buffer.alloc(4))))],
      ['8 VLAN tags', ethernet({ type: 0x0800, vlans: Array.from({ length: 8 }, (_, i) => ({ vid: 4000 + i })) }, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, Buffer.alloc(4))))],
      ['dns port, empty payload', udpTo(53, Buffer.alloc(0))],
      ['mdns', udpTo(5353, dnsMessage({ id: 1, questions: [{ name: 'a.local', type: 1 }] }))],
      ['tcp to 53 with a byte', tcpTo(53, Buffer.from([1]))],
      ['almost HTTP', tcpTo(80, Buffer.from('GETX / HTTP/1.1\r\n'))],
      ['HTTP method cut short', tcpTo(80, Buffer.from('PROPFIN'))],
      ['HTTP method', tcpTo(8080, Buffer.from('PROPFIND / HTTP/1.1\r\n\r\n'))],
      ['response prefix', tcpTo(1234, Buffer.from('HTTP/1.0 200 OK\r\n'))],
      ['response prefix cut', tcpTo(1234, Buffer.from('HTTP/1'))],
      ['ptp over udp 320', udpTo(320, Buffer.alloc(44))],
      ['ptp port over tcp', tcpTo(319, Buffer.alloc(10))],
      ['ipv6 jumbo/offload length 0', ethernet({ type: 0x86dd }, (() => { const p = ipv6({ nextHeader: 17 }, udp({ sport: 1, dport: 2 }, Buffer.alloc(30))); p.writeUInt16BE(0, 4); return p; })())],
      ['ipv4 total length 0', ethernet({ type: 0x0800 }, (() => { const p = ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, Buffer.alloc(30))); p.writeUInt16BE(0, 2); return p; })())],
      ['big payload', udpTo(9999, Buffer.alloc(9000, 0x61))],
      ['802.3 length', ethernet({ type: 0x0040 }, Buffer.from('aaaa03000000', 'hex'))],
    ];
    for (const [name, data] of special) frames.push({ name, linkType: 1, data, wireLen: data.length, cap: DEFAULT_PAYLOAD_CAP });
    // Wire lengths beyond an Avro int are not scanned (the record path refuses them).
    const big = special[special.length - 1][1];
    expect(scanFrameAt(1, big, 0, big.length, 2 ** 31, DEFAULT_PAYLOAD_CAP, new FrameScan())).toBe(false);
    expect(scanFrameAt(1, big, 0, big.length, 2 ** 31 - 1, DEFAULT_PAYLOAD_CAP, new FrameScan())).toBe(true);
    const r = compare(frames);
    expect(r.mismatches.slice(0, 10)).toEqual([]);
    expect(r.misrouted.slice(0, 10)).toEqual([]);
  });

  it('every frame of every public capture', async () => {
    const files = capturesUnder(CAPTURES_DIR);
    expect(files.length).toBeGreaterThanOrEqual(20);
    let total = 0;
    for (const file of files) {
      const frames = await fileFrames(join(CAPTURES_DIR, file), file);
      total += frames.length;
      const r = compare(frames);
      expect(r.mismatches.slice(0, 5), file).toEqual([]);
      expect(r.misrouted.slice(0, 5), file).toEqual([]);
    }
    expect(total).toBeGreaterThan(1000);
  });

  for (const mix of ['mixed', 'minimum'] as const) {
    it(`the benchmark's ${mix} capture (20,000 frames)`, async () => {
      const file = join(dir, `${mix}.pcap`);
      ensureMixedCapture(file, 20_000, 7, mix);
      const frames = await fileFrames(file, mix);
      const r = compare(frames);
      expect(r.mismatches.slice(0, 5)).toEqual([]);
      expect(r.misrouted.slice(0, 5)).toEqual([]);
      expect(r.scanned / frames.length).toBeGreaterThan(0.8);
    });
  }

  it('refuses a time offset outside the safe range of a long, as the compiled writer does, and adds nothing', () => {
    const w = new FrameBatchWriter(codec);
    const scan = new FrameScan();
    const f = crafted.find((x) => x.name.startsWith('tcp'))!;
    expect(scanFrameAt(1, f.data, 0, f.data.length, f.wireLen, DEFAULT_PAYLOAD_CAP, scan)).toBe(true);
    expect(() => w.addScan(scan, 1, 1)).toThrow(/before begin/);
    w.begin(header);
    expect(() => w.addScan(scan, 2 ** 53, 1)).toThrow(/ts_offset_ns/);
    expect(() => w.addScan(scan, 1.5, 1)).toThrow(/ts_offset_ns/);
    expect(w.count).toBe(0);
    expect(w.recordBytes).toBe(0);
  });
});

describe('message memory recycled (messageBuffers)', () => {
  it('writes later batches into the memory of a released message, and never into a message still held', () => {
    const fused = new FrameBatchWriter(codec);
    const ref = new PacketBatchWriter(codec);
    const rec = emptyPacketRecord();
    const scan = new FrameScan();
    const frames = Array.from({ length: 12 }, () => crafted).flat();
    const batch = (k: number): [Buffer, Buffer] => {
      fused.begin({ ...header, batch_seq: k });
      ref.begin({ ...header, batch_seq: k });
      frames.forEach((f, i) => {
        decodeFrame(f.linkType, f.data, f.wireLen, rec, f.cap);
        rec.ts_offset_ns = i * 1000 + k;
        rec.frame_no = i + k;
        ref.add(rec);
        if (scanFrameAt(f.linkType, f.data, 0, f.data.length, f.wireLen, f.cap, scan)) fused.addScan(scan, i * 1000 + k, i + k);
        else fused.add(rec);
      });
      return [fused.finish(), ref.finish()];
    };
    const [m1, r1] = batch(1);
    expect(m1.equals(r1)).toBe(true);
    expect(m1.length).toBeGreaterThan(64 << 10);
    expect(messageBuffers.owns(m1)).toBe(true); // handed out whole, not copied
    const [m2, r2] = batch(2);
    expect(m2.equals(r2)).toBe(true);
    expect(m1.equals(r1)).toBe(true);
    expect(m2.buffer).not.toBe(m1.buffer);
    expect(messageBuffers.release(m1)).toBe(true);
    const [m3, r3] = batch(3);
    const [m4, r4] = batch(4);
    expect(m3.equals(r3)).toBe(true);
    expect(m4.equals(r4)).toBe(true);
    expect(m4.buffer).toBe(m1.buffer); // m1's memory, written again
    expect(m2.equals(r2)).toBe(true); // held: untouched
  });
});

describe('FramePipeline: the agent path gives the record path\'s messages', () => {
  it('same messages in the same partitions, with batches sealed by count and by bytes', async () => {
    const file = join(dir, 'pipeline-mixed.pcap');
    ensureMixedCapture(file, 12_000, 11, 'mixed');
    const frames = await fileFrames(file, 'mixed');
    frames.push(...crafted.filter((f) => f.linkType === 1));
    const sealed: SealedBatch[] = [];
    let seq = 0;
    const pipeline = new FramePipeline(codec, {
      agentId: 'edge', agentRun: 'run', interfaceName: 'eth0', linkType: 1, sampleRate: 1, payloadCap: DEFAULT_PAYLOAD_CAP,
      maxRecords: 300, maxBytes: 64 * 1024, lingerMs: 1e9, partitionCount: 5, nextBatchSeq: () => seq++, onSealed: (b) => sealed.push(b),
    }, new AgentMetrics(), createLogger({ service: 'test', level: 'silent' }), { ms: 0 });
    // The reference: every frame decoded into a record, routed by it, encoded by PacketBatchWriter, sealed by the same rules.
    const router = new RecordRouter('edge', 'eth0');
    const open = new Map<number, { w: PacketBatchWriter; sec: number; ns: number }>();
    const expected: { partition: number; value: Buffer }[] = [];
    let refSeq = 0;
    const rec = emptyPacketRecord();
    frames.forEach((f, i) => {
      const sec = 1_700_000_000 + Math.floor(i / 1000);
      const ns = (i * 7_919_993) % 1_000_000_000;
      pipeline.frame(f.data, 0, f.data.length, f.wireLen, sec, ns, i + 1);
      decodeFrame(1, f.data, f.wireLen, rec);
      rec.frame_no = i + 1;
      const p = router.partitionOf(rec, 5);
      let b = open.get(p);
      if (!b) {
        b = { w: new PacketBatchWriter(codec), sec, ns };
        b.w.begin({ agent_id: 'edge', interface: 'eth0', link_type: 1, agent_run: 'run', batch_seq: refSeq++, base_ts_ns: BigInt(sec) * 1_000_000_000n + BigInt(ns), sample_rate: 1 });
        open.set(p, b);
      }
      rec.ts_offset_ns = (sec - b.sec) * 1e9 + (ns - b.ns);
      b.w.add(rec);
      const reserve = 10 + 64 + 4 + 4 + 3;
      if (b.w.count >= 300 || b.w.recordBytes + reserve >= 64 * 1024) {
        expected.push({ partition: p, value: b.w.finish() });
        open.delete(p);
      }
    });
    pipeline.batcher.flush();
    for (const [p, b] of open) expected.push({ partition: p, value: b.w.finish() });
    const key = (x: { partition: number; value: Buffer }) => `${x.partition}:${codec.decode<PacketBatch>(x.value, SCHEMA_NAMES.packetBatch).value.batch_seq}`;
    const got = new Map(sealed.map((s) => [key(s), s.value]));
    expect(sealed.length).toBe(expected.length);
    const wrong = expected.filter((e) => !got.get(key(e))?.equals(e.value)).map(key);
    expect(wrong).toEqual([]);
    expect(sealed.reduce((n, s) => n + s.records, 0)).toBe(frames.length);
  });
});
