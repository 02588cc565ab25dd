/**
 * The per-interface path of a frame: count it, sample it, then either scan
 * it (scanFrameAt, the common frames) and write its record's bytes straight
 * from the frame into the open batch of its partition, or decode it into the
 * interface's reused PacketRecord and encode that (every other frame: decode
 * errors, DNS, HTTP, ...); both give the same bytes. Everything happens
 * synchronously, so a source may hand over a buffer it overwrites with the
 * next frame (live capture does).
 */
import { emptyPacketRecord, type AvroCodec, type Logger, type PacketRecord } from '@streamlens/common';
import type { AgentMetrics, InterfaceCounters } from './agent-metrics.js';
import { Batcher, type SealedBatch } from './batcher.js';
import { decodeFrameAt } from './decode/index.js';
import { FrameScan, scanFrameAt } from './decode/frame-scan.js';
import { Sampler } from './sampling.js';
import type { SealTrigger } from './agent-metrics.js';

/** A coarse clock for batch linger, advanced by the agent's timer (no clock read per frame). */
export interface CoarseClock {
  ms: number;
}

export interface PipelineOptions {
  agentId: string;
  agentRun: string;
  interfaceName: string;
  linkType: number;
  sampleRate: number;
  payloadCap: number;
  maxRecords: number;
  maxBytes: number;
  lingerMs: number;
  partitionCount: number;
  nextBatchSeq: () => number;
  onSealed: (batch: SealedBatch) => void;
}

const ENCODE_LOG_INTERVAL_MS = 60_000;

export class FramePipeline {
  readonly batcher: Batcher;
  private readonly rec: PacketRecord = emptyPacketRecord();
  private readonly scan = new FrameScan();
  private readonly sampler: Sampler;
  private readonly counters: InterfaceCounters;
  private lastEncodeLog = -Infinity;

  constructor(
    codec: AvroCodec,
    private readonly o: PipelineOptions,
    private readonly metrics: AgentMetrics,
    private readonly logger: Logger,
    private readonly clock: CoarseClock,
  ) {
    this.counters = metrics.forInterface(o.interfaceName);
    this.sampler = new Sampler(o.sampleRate);
    this.batcher = new Batcher(codec, {
      agentId: o.agentId, agentRun: o.agentRun, interfaceName: o.interfaceName, linkType: o.linkType, sampleRate: o.sampleRate,
      maxRecords: o.maxRecords, maxBytes: o.maxBytes, lingerMs: o.lingerMs, partitionCount: o.partitionCount,
      nextBatchSeq: o.nextBatchSeq,
      onSealed: (batch: SealedBatch, trigger: SealTrigger) => {
        metrics.batchesSealed.labels(trigger).inc();
        o.onSealed(batch);
      },
    });
  }

  get interfaceName(): string {
    return this.o.interfaceName;
  }

  get linkType(): number {
    return this.o.linkType;
  }

  /**
   * One captured frame: the captured bytes are buf[start, start + capLen),
   * `wireLen` is the length on the wire, the time is tsSec.tsNs since the
   * epoch, `frameNo` the source's frame number. Nothing of `buf` is kept.
   */
  frame(buf: Buffer, start: number, capLen: number, wireLen: number, tsSec: number, tsNs: number, frameNo: number): void {
    const c = this.counters;
    c.captured.inc();
    if (!this.sampler.keep()) {
      c.sampledOut.inc();
      return;
    }
    try {
      const s = this.scan;
      const scanned = scanFrameAt(this.o.linkType, buf, start, capLen, wireLen, this.o.payloadCap, s);
      if (scanned) {
        c.decoded.inc();
        try {
          this.batcher.addScan(s, tsSec, tsNs, frameNo, this.clock.ms);
        } finally {
          s.release();
        }
        return;
      }
      s.release();
      const rec = this.rec;
      decodeFrameAt(this.o.linkType, buf, start, capLen, wireLen, rec, this.o.payloadCap);
      rec.frame_no = frameNo;
      c.decoded.inc();
      if (rec.decode_error !== null) c.errored.inc();
      this.batcher.add(rec, tsSec, tsNs, this.clock.ms);
    } catch (err) {
      this.metrics.recordsDropped.labels('encode_error').inc();
      if (this.clock.ms - this.lastEncodeLog > ENCODE_LOG_INTERVAL_MS) {
        this.lastEncodeLog = this.clock.ms;
        this.logger.error({ err: (err as Error).message, interface: this.o.interfaceName, frameNo },
          'a frame could not be decoded or encoded (a decoder bug): it is dropped and counted in records_dropped_total{reason="encode_error"}');
      }
    }
  }
}
