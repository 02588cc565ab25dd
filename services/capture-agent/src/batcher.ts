/**
 * Packs decoded records into PacketBatch messages, one open batch per
 * partition of one capture interface.
 *
 * Each open batch is a FrameBatchWriter: a frame is Avro-encoded the moment
 * it is added — straight from its bytes when scanFrameAt understood it
 * (addScan), else from the record decodeFrameAt filled (add) — so the record
 * object can be reused for the next frame and nothing of the capture buffer
 * is kept (cap hands every frame over in the same Buffer). Closing a batch
 * puts the envelope in front: one allocation per message, none per record.
 *
 * A batch closes when it holds `maxRecords`, when its encoded records reach
 * `maxBytes` (so a message exceeds it by at most one record), when it has
 * been open `lingerMs`, when a record's time is too far from the batch's base
 * time for an exact offset, or on flush.
 */
import { AvroCodec, type PacketRecord, RecordRouter } from '@streamlens/common';
import type { FrameScan } from './decode/frame-scan.js';
import { FrameBatchWriter } from './frame-batch-writer.js';
import type { SealTrigger } from './agent-metrics.js';
import type { SpoolEntry } from './spool.js';

/** A closed batch, ready for Kafka (the same shape the spool stores). */
export type SealedBatch = SpoolEntry;

/** Offsets from the batch's base time stay exact in a double, and in any Avro reader mapping long to double. */
const MAX_OFFSET_NS = Number.MAX_SAFE_INTEGER;
const NS = 1_000_000_000;
const NS_BIG = 1_000_000_000n;
/** One router per interface here: a larger host-pair cache than a dissector's (routing.ts). */
const AGENT_ROUTE_CACHE_SLOTS = 8192;

export interface BatcherOptions {
  agentId: string;
  agentRun: string;
  interfaceName: string;
  linkType: number;
  sampleRate: number;
  maxRecords: number;
  maxBytes: number;
  lingerMs: number;
  partitionCount: number;
  /** Next batch sequence number of this agent run (shared by every interface). */
  nextBatchSeq: () => number;
  onSealed: (batch: SealedBatch, trigger: SealTrigger) => void;
}

class OpenBatch {
  baseSec = 0;
  baseNsec = 0;
  openedAt = 0;

  constructor(readonly writer: FrameBatchWriter) {}

  get count(): number {
    return this.writer.count;
  }
}

/** The batches of one capture interface. */
export class Batcher {
  private open: (OpenBatch | undefined)[] = [];
  private router: RecordRouter;
  private partitions: number;
  private readonly key: Buffer;
  /** Room left for the envelope in front of the records. */
  private readonly envelopeReserve: number;
  /** Batches holding at least one record (for the linger sweep). */
  private active = 0;

  constructor(private readonly codec: AvroCodec, private readonly o: BatcherOptions) {
    this.router = new RecordRouter(o.agentId, o.interfaceName, AGENT_ROUTE_CACHE_SLOTS);
    this.partitions = o.partitionCount;
    this.key = Buffer.from(`${o.agentId}/${o.interfaceName}`);
    this.envelopeReserve = 10 + 64 + Buffer.byteLength(o.agentId) + Buffer.byteLength(o.interfaceName) + Buffer.byteLength(o.agentRun);
  }

  get partitionCount(): number {
    return this.partitions;
  }

  /** Records in open batches. */
  get pendingRecords(): number {
    let n = 0;
    for (const b of this.open) if (b) n += b.count;
    return n;
  }

  /**
   * Add a decoded record captured at tsSec.tsNsec (epoch); `now` is the
   * linger clock. The record is encoded at once; the caller may reuse it.
   * Throws only if the record does not match the schema (a decoder bug); the
   * batch is then unchanged.
   */
  add(rec: PacketRecord, tsSec: number, tsNsec: number, now: number): void {
    const p = this.router.partitionOf(rec, this.partitions);
    const b = this.batchFor(p, tsSec, tsNsec, now);
    rec.ts_offset_ns = (tsSec - b.baseSec) * NS + (tsNsec - b.baseNsec);
    try {
      b.writer.add(rec);
    } catch (err) {
      if (b.count === 0) this.active--;
      throw err;
    }
    this.added(p, b);
  }

  /**
   * add() for a frame scanFrameAt understood: its record is written from
   * the frame's bytes (`frameNo` is its frame_no). The caller may reuse the
   * scan and the frame's buffer afterwards.
   */
  addScan(s: FrameScan, tsSec: number, tsNsec: number, frameNo: number, now: number): void {
    const p = this.router.hashFields(s) % this.partitions;
    const b = this.batchFor(p, tsSec, tsNsec, now);
    try {
      b.writer.addScan(s, (tsSec - b.baseSec) * NS + (tsNsec - b.baseNsec), frameNo);
    } catch (err) {
      if (b.count === 0) this.active--;
      throw err;
    }
    this.added(p, b);
  }

  /** The open batch of partition p for a record captured at tsSec.tsNsec (opened, or sealed first when the offset would not be exact). */
  private batchFor(p: number, tsSec: number, tsNsec: number, now: number): OpenBatch {
    let b = this.open[p];
    if (!b) {
      b = new OpenBatch(new FrameBatchWriter(this.codec));
      this.open[p] = b;
    }
    if (b.count > 0) {
      const off = (tsSec - b.baseSec) * NS + (tsNsec - b.baseNsec);
      if (off > MAX_OFFSET_NS || off < -MAX_OFFSET_NS) this.seal(p, b, 'span');
    }
    if (b.count === 0) this.begin(b, tsSec, tsNsec, now);
    return b;
  }

  private added(p: number, b: OpenBatch): void {
    if (b.count >= this.o.maxRecords) this.seal(p, b, 'records');
    else if (b.writer.recordBytes + this.envelopeReserve >= this.o.maxBytes) this.seal(p, b, 'bytes');
  }

  private begin(b: OpenBatch, tsSec: number, tsNsec: number, now: number): void {
    const o = this.o;
    b.baseSec = tsSec;
    b.baseNsec = tsNsec;
    b.openedAt = now;
    b.writer.begin({
      agent_id: o.agentId, interface: o.interfaceName, link_type: o.linkType, agent_run: o.agentRun, batch_seq: o.nextBatchSeq(),
      base_ts_ns: BigInt(tsSec) * NS_BIG + BigInt(tsNsec), sample_rate: o.sampleRate,
    });
    this.active++;
  }

  /** Close batches open for at least the linger time. */
  sweep(now: number): void {
    if (this.active === 0) return;
    for (let p = 0; p < this.open.length; p++) {
      const b = this.open[p];
      if (b && b.count > 0 && now - b.openedAt >= this.o.lingerMs) this.seal(p, b, 'linger');
    }
  }

  /** Close every open batch. */
  flush(): void {
    for (let p = 0; p < this.open.length; p++) {
      const b = this.open[p];
      if (b && b.count > 0) this.seal(p, b, 'flush');
    }
  }

  /** Route by a new partition count (the topic grew); open batches are closed first. */
  setPartitionCount(n: number): void {
    if (n === this.partitions) return;
    this.flush();
    this.partitions = n;
    this.open = [];
  }

  private seal(p: number, b: OpenBatch, trigger: SealTrigger): void {
    const records = b.count;
    const value = b.writer.finish();
    b.writer.releaseSource();
    this.active--;
    this.o.onSealed({ partition: p, partitionCount: this.partitions, records, sealedAt: Date.now(), key: this.key, value }, trigger);
  }
}
