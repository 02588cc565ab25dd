/**
 * The binary form of a partition's aggregation state, written with each
 * checkpoint: everything needed to continue exactly where the epoch ended -
 * per capture point its watermark, per key its identity, the time of its last
 * packet (inter-arrival continuity), its running outlier statistics and its
 * open windows' partial aggregates, and the open netflow buckets with their
 * destination sets. Keys are written in recency order, so eviction after a
 * restore picks the same keys as it would have without the crash.
 *
 * Layout: "SLCK", a version, then varints (non-negative integers below
 * 2^53), float64 and strings through a per-checkpoint dictionary. The
 * service compresses it (zlib, with its checksum) before storing.
 */
import { GrowableBuffer } from '@streamlens/common';
import { Family, FlowKey, packV4Tail, stringKey, type FrameTypeIds } from './flow-key.js';
import type { PartitionAggregator } from './partition-aggregator.js';
import type { CapturePointState } from './capture-point.js';
import { BucketAgg } from './netflow-buckets.js';
import { insertSorted } from './flow-windows.js';
import { readHealth, writeHealth } from './stream-health/health-checkpoint.js';

const MAGIC = 0x4b434c53; // "SLCK" little-endian
/** 2: stream health after each capture point (format 1 checkpoints are read with empty stream-health state). */
export const CHECKPOINT_FORMAT = 2;

export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

export class ByteWriter extends GrowableBuffer {
  private readonly dict = new Map<string, number>();

  u(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) throw new CheckpointFormatError(`cannot store ${v} as a varint`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A signed safe integer (zigzag). */
  i(v: number): void {
    this.u(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  s(text: string): void {
    const id = this.dict.get(text);
    if (id !== undefined) {
      this.u(id + 1);
      return;
    }
    this.dict.set(text, this.dict.size);
    const b = Buffer.from(text, 'utf8');
    this.u(0);
    this.u(b.length);
    this.raw(b);
  }

  result(): Buffer {
    return this.finish();
  }
}

export class ByteReader {
  private pos = 0;
  private readonly dict: string[] = [];
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CheckpointFormatError(`checkpoint truncated at byte ${this.pos}`);
  }

  u(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new CheckpointFormatError('varint too long');
    }
  }

  i(): number {
    const z = this.u();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  raw(n: number): Buffer {
    this.need(n);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }

  s(): string {
    const id = this.u();
    if (id > 0) {
      const text = this.dict[id - 1];
      if (text === undefined) throw new CheckpointFormatError(`unknown string reference ${id}`);
      return text;
    }
    const len = this.u();
    this.need(len);
    const text = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    this.dict.push(text);
    return text;
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }
}

/** What a checkpoint says about itself, besides the state. */
export interface CheckpointHeader {
  partition: number;
  epoch: number;
  intentId: string;
  nextOffset: number | null;
  windowNs: number;
  bucketNs: number;
  /** Format version of the checkpoint. */
  version: number;
}

export function encodeCheckpoint(pa: PartitionAggregator, intentId: string): Buffer {
  const w = new ByteWriter();
  const b4 = Buffer.alloc(4);
  b4.writeUInt32LE(MAGIC);
  w.raw(b4);
  w.u(CHECKPOINT_FORMAT);
  w.u(pa.partition);
  w.u(pa.epoch);
  w.s(intentId);
  w.u(pa.nextOffset === null ? 0 : pa.nextOffset + 1);
  w.u(pa.params.window.sizeNs);
  w.u(pa.params.bucket.sizeNs);
  w.u(pa.capturePoints.size);
  for (const cp of pa.capturePoints.values()) writeCapturePoint(w, cp);
  return w.result();
}

function writeCapturePoint(w: ByteWriter, cp: CapturePointState): void {
  w.s(cp.agentId);
  w.s(cp.iface);
  const m = cp.watermark;
  w.u((m.hasMax ? 1 : 0) | (m.hasWm ? 2 : 0));
  w.u(m.maxSec);
  w.u(m.maxNs);
  w.u(m.wmSec);
  w.u(m.wmNs);
  w.u(cp.table.size);
  for (let k = cp.table.head; k !== null; k = k.next) writeKey(w, k);
  w.u(cp.buckets.size);
  for (const b of cp.buckets.values()) writeBucket(w, b);
  if (cp.health) {
    w.u(1);
    writeHealth(w, cp.health);
  } else {
    w.u(0);
  }
}

function writeKey(w: ByteWriter, k: FlowKey): void {
  w.u(k.family);
  w.s(k.frameType);
  if (k.family === Family.V4) {
    w.u(k.src4);
    w.u(k.dst4);
  } else if (k.family === Family.V6) {
    w.raw(k.src6!);
    w.raw(k.dst6!);
  }
  w.u(k.proto);
  w.u(k.sport);
  w.u(k.dport);
  w.u(k.smac);
  w.u(k.dmac);
  w.u(k.ethertype);
  w.u((k.srcLocal ? 1 : 0) | (k.hasLast ? 2 : 0));
  w.u(k.lastSec);
  w.u(k.lastNs);
  w.u(k.n);
  w.f(k.mean);
  w.f(k.m2);
  w.u(k.touchedEpoch < 0 ? 0 : k.touchedEpoch);
  const wins = [];
  if (k.cur && !k.cur.done) wins.push(k.cur);
  if (k.older) for (const o of k.older) if (!o.done) wins.push(o);
  w.u(wins.length);
  for (const win of wins) {
    w.u(win.index);
    w.u(win.packets);
    w.u(win.bytes);
    w.u(win.sampled);
    w.u(win.sampleRate);
    w.u(win.firstSec);
    w.u(win.firstNs);
    w.u(win.lastSec);
    w.u(win.lastNs);
    w.u(win.protocols.length);
    for (const p of win.protocols) w.s(p);
    w.u(win.iatCount);
    w.u(win.iatSum);
    w.f(win.iatSumSq);
    w.u(win.iatMin);
    w.u(win.iatMax);
    w.u(win.outliers);
    w.u(win.errors);
  }
}

function writeBucket(w: ByteWriter, b: BucketAgg): void {
  w.u(b.index);
  for (const v of [b.pktsIn, b.pktsOut, b.bytesIn, b.bytesOut, b.syn, b.fin, b.rst, b.udp, b.tcp, b.dnsQueries, b.tcpNewFlows]) w.u(v);
  w.u(b.dst4.size);
  for (const a of b.dst4) w.u(a);
  w.u(b.dst6.size);
  for (const h of b.dst6) w.raw(Buffer.from(h, 'hex'));
  w.u(b.dstPorts.size);
  for (const p of b.dstPorts) w.u(p);
}

/** Read only the header (to compare window/bucket lengths before restoring). */
export function readCheckpointHeader(buf: Buffer): CheckpointHeader {
  return readHeader(new ByteReader(buf), buf);
}

function readHeader(r: ByteReader, buf: Buffer): CheckpointHeader {
  if (buf.length < 4 || buf.readUInt32LE(0) !== MAGIC) throw new CheckpointFormatError('not a StreamLens aggregator checkpoint');
  r.raw(4);
  const version = r.u();
  if (version !== CHECKPOINT_FORMAT && version !== 1) {
    throw new CheckpointFormatError(`checkpoint format ${version} is not supported (this build reads 1 and ${CHECKPOINT_FORMAT})`);
  }
  const partition = r.u();
  const epoch = r.u();
  const intentId = r.s();
  const next = r.u();
  const windowNs = r.u();
  const bucketNs = r.u();
  return { partition, epoch, intentId, nextOffset: next === 0 ? null : next - 1, windowNs, bucketNs, version };
}

/** Restore a checkpoint into an empty PartitionAggregator with the same window and bucket lengths. */
export function decodeCheckpoint(buf: Buffer, pa: PartitionAggregator, ftIds: FrameTypeIds): CheckpointHeader {
  const r = new ByteReader(buf);
  const h = readHeader(r, buf);
  if (h.windowNs !== pa.params.window.sizeNs || h.bucketNs !== pa.params.bucket.sizeNs) {
    throw new CheckpointFormatError(
      `the checkpoint was written with window ${h.windowNs / 1e6} ms and bucket ${h.bucketNs / 1e6} ms; ` +
      `this aggregator is configured with window ${pa.params.window.sizeNs / 1e6} ms and bucket ${pa.params.bucket.sizeNs / 1e6} ms`);
  }
  if (pa.capturePoints.size !== 0) throw new CheckpointFormatError('restore needs an empty partition state');
  pa.epoch = h.epoch;
  pa.nextOffset = h.nextOffset;
  const cps = r.u();
  for (let i = 0; i < cps; i++) {
    const cp = pa.capturePoint(r.s(), r.s());
    const m = cp.watermark;
    const flags = r.u();
    m.hasMax = (flags & 1) !== 0;
    m.hasWm = (flags & 2) !== 0;
    m.maxSec = r.u();
    m.maxNs = r.u();
    m.wmSec = r.u();
    m.wmNs = r.u();
    const keys = r.u();
    for (let j = 0; j < keys; j++) readKey(r, cp, ftIds);
    const buckets = r.u();
    for (let j = 0; j < buckets; j++) {
      const b = readBucket(r);
      cp.buckets.set(b.index, b);
    }
    // stream health: present from format 2 on; a checkpoint written with it off restores none (and the reverse)
    if (h.version >= 2 && r.u() === 1) readHealth(r, cp.health);
  }
  if (!r.done()) throw new CheckpointFormatError('trailing bytes after the checkpoint');
  return h;
}

function readKey(r: ByteReader, cp: CapturePointState, ftIds: FrameTypeIds): void {
  const k = new FlowKey();
  k.family = r.u() as Family;
  k.frameType = r.s();
  if (k.family === Family.V4) {
    k.src4 = r.u();
    k.dst4 = r.u();
  } else if (k.family === Family.V6) {
    k.src6 = r.raw(16);
    k.dst6 = r.raw(16);
  } else if (k.family !== Family.L2) {
    throw new CheckpointFormatError(`unknown key family ${k.family}`);
  }
  k.proto = r.u();
  k.sport = r.u();
  k.dport = r.u();
  k.smac = r.u();
  k.dmac = r.u();
  k.ethertype = r.u();
  const flags = r.u();
  k.srcLocal = (flags & 1) !== 0;
  k.hasLast = (flags & 2) !== 0;
  k.lastSec = r.u();
  k.lastNs = r.u();
  k.n = r.u();
  k.mean = r.f();
  k.m2 = r.f();
  const touched = r.u();
  if (k.family === Family.V4) {
    const id = ftIds.id(k.frameType);
    k.mapKey = id >= 0 ? packV4Tail(id, k.proto, k.sport, k.dport) : stringKey(k);
  } else {
    k.mapKey = stringKey(k);
  }
  cp.table.add(k, touched);
  const wins = r.u();
  for (let i = 0; i < wins; i++) {
    const win = cp.openWindow(k, r.u());
    win.packets = r.u();
    win.bytes = r.u();
    win.sampled = r.u();
    win.sampleRate = r.u();
    win.firstSec = r.u();
    win.firstNs = r.u();
    win.lastSec = r.u();
    win.lastNs = r.u();
    const np = r.u();
    for (let j = 0; j < np; j++) insertSorted(win.protocols, r.s()); // sorted whatever order an older checkpoint kept
    win.iatCount = r.u();
    win.iatSum = r.u();
    win.iatSumSq = r.f();
    win.iatMin = r.u();
    win.iatMax = r.u();
    win.outliers = r.u();
    win.errors = r.u();
    if (i === 0) k.cur = win;
    else (k.older ??= []).push(win);
  }
}

function readBucket(r: ByteReader): BucketAgg {
  const b = new BucketAgg(r.u());
  b.pktsIn = r.u();
  b.pktsOut = r.u();
  b.bytesIn = r.u();
  b.bytesOut = r.u();
  b.syn = r.u();
  b.fin = r.u();
  b.rst = r.u();
  b.udp = r.u();
  b.tcp = r.u();
  b.dnsQueries = r.u();
  b.tcpNewFlows = r.u();
  const n4 = r.u();
  for (let i = 0; i < n4; i++) b.dst4.add(r.u());
  const n6 = r.u();
  for (let i = 0; i < n6; i++) b.dst6.add(r.raw(16).toString('hex'));
  const np = r.u();
  for (let i = 0; i < np; i++) b.dstPorts.add(r.u());
  return b;
}
