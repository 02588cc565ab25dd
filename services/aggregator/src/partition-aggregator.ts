/**
 * All aggregation state of one source partition, cut into epochs.
 *
 * Records of a flow key never span partitions (the enriched topic is keyed
 * by capture point and host pair), so each partition is aggregated on its
 * own. Work is cut into epochs: an epoch covers the Kafka offsets consumed
 * since the previous one and, when sealed, closes every window and bucket its
 * watermarks have passed. Given the state at the start of an epoch, its
 * records, and the two values recorded with it (the watermarks used and the
 * key cap), the rows it emits are deterministic: that is what makes a replay
 * after a crash produce identical insert blocks.
 */
import type { RowBinaryBlock } from '@streamlens/common';
import { addOffset, splitBigint, timeString, type SplitTime } from './event-time.js';
import { CapturePointState, capturePointKey, LATE, type AggregationParams, type IngestCounters } from './capture-point.js';
import type { FrameTypeIds } from './flow-key.js';
import type { FlowRow } from './flow-windows.js';
import type { NetflowPartRow } from './netflow-buckets.js';
import type { OutlierRow } from './outliers.js';
import type { LocalNetworksByAgent } from './local-networks.js';
import type { AggBatch } from './enriched-decoder.js';
import type { HealthOutput } from './stream-health/stream-health.js';
import { streamHealthWriter } from './stream-health/stream-health-rows.js';
import type { PtpEventRow } from './stream-health/ptp-events.js';
import type { TmatsSightingRow } from './stream-health/tmats-sightings.js';
import type { AlertRow } from './stream-health/alerts/alert-evaluator.js';

/**
 * Key in an epoch's recorded watermarks marking an end-of-input seal (every
 * window closed, alert rules evaluated over their last partial window), so a
 * replay of that epoch does the same. No capture point key starts with NUL.
 */
export const FINAL_MARK = '\u0000final';

export type RejectReason = 'late' | 'future' | 'bad-time';

export interface Rejection {
  index: number;
  reason: RejectReason;
}

export interface SealOptions {
  /** Processing time, for idle detection. */
  nowMs: number;
  /** A capture point silent this long (processing time) has all its windows closed; 0 = never. */
  idleTimeoutMs: number;
  /** Keys kept after this seal; older ones are flushed early. */
  maxKeys: number;
  /** Close every open window and bucket (end of input). */
  closeAll?: boolean;
  /** Replaying a recorded epoch: apply these watermarks instead of idle detection. */
  recordedWatermarks?: Record<string, string>;
}

export interface SealedEpoch {
  partition: number;
  epoch: number;
  /** First offset consumed in the epoch (null when it consumed nothing). */
  startOffset: number | null;
  /** Offset after the last one consumed so far (null before the first). */
  nextOffset: number | null;
  /** Watermark of every capture point after the seal (epoch ns, decimal). */
  watermarks: Record<string, string>;
  maxKeys: number;
  /** Messages consumed in the epoch. */
  messages: number;
  records: number;
  flows: FlowRow[];
  outliers: OutlierRow[];
  netflow: NetflowPartRow[];
  /** stream_health rows as RowBinary (empty when stream health is off). */
  health: RowBinaryBlock;
  ptpEvents: PtpEventRow[];
  tmats: TmatsSightingRow[];
  alerts: AlertRow[];
}

/** Rows an epoch inserts into the stream-health tables. */
export function healthRowCount(e: Pick<SealedEpoch, 'health' | 'ptpEvents' | 'tmats' | 'alerts'>): number {
  return e.health.length + e.ptpEvents.length + e.tmats.length + e.alerts.length;
}

export interface PartitionOptions {
  /** Records later than their message's Kafka timestamp by more than this are rejected; 0 = no check. */
  maxFutureSkewNs: number;
}

const t: SplitTime = { sec: 0, ns: 0 };
const base: SplitTime = { sec: 0, ns: 0 };

export class PartitionAggregator {
  readonly capturePoints = new Map<string, CapturePointState>();
  /** Offset after the last message consumed (null before the first). */
  nextOffset: number | null = null;
  /** Number of the last sealed epoch (0: none). */
  epoch = 0;
  /** First offset consumed in the open epoch. */
  epochStart: number | null = null;
  messagesInEpoch = 0;
  recordsInEpoch = 0;
  private outliers: OutlierRow[] = [];
  /** stream_health rows, a block per seal (one writer: its chunks serve many seals). */
  private readonly healthRows = streamHealthWriter();

  constructor(
    readonly partition: number,
    readonly params: AggregationParams,
    private readonly localNets: LocalNetworksByAgent,
    private readonly ftIds: FrameTypeIds,
    readonly counters: IngestCounters,
    private readonly options: PartitionOptions,
  ) {}

  capturePoint(agentId: string, iface: string): CapturePointState {
    const key = capturePointKey(agentId, iface);
    let cp = this.capturePoints.get(key);
    if (!cp) {
      cp = new CapturePointState(agentId, iface, this.params, this.localNets.forAgent(agentId), this.ftIds, this.counters);
      this.capturePoints.set(key, cp);
    }
    return cp;
  }

  get keyCount(): number {
    let n = 0;
    for (const cp of this.capturePoints.values()) n += cp.table.size;
    return n;
  }

  /** Telemetry and timing streams held. */
  get streamCount(): number {
    let n = 0;
    for (const cp of this.capturePoints.values()) if (cp.health) n += cp.health.table.size;
    return n;
  }

  /**
   * Kafka moved past offsets that hold no messages for us (transaction
   * markers after the last message of a batch): the position follows.
   */
  advanceTo(nextOffset: number): void {
    if (this.nextOffset === null || nextOffset > this.nextOffset) this.nextOffset = nextOffset;
  }

  /** True when a seal now would close windows of a capture point that went quiet. */
  idleDue(nowMs: number, idleTimeoutMs: number): boolean {
    if (idleTimeoutMs <= 0) return false;
    for (const cp of this.capturePoints.values()) {
      if (cp.openSlots > 0 && nowMs - cp.lastActivityMs >= idleTimeoutMs) return true;
    }
    return false;
  }

  /** A consumed message that holds no usable batch (malformed): only the offset moves. */
  skip(offset: number): void {
    this.consumed(offset);
  }

  private consumed(offset: number): void {
    if (this.epochStart === null) this.epochStart = offset;
    this.nextOffset = offset + 1;
    this.messagesInEpoch++;
  }

  /**
   * Aggregate one decoded batch consumed at `offset`. Returns the records
   * rejected (too late, too far in the future, or stamped before 1970), or
   * null when every record was accepted.
   */
  ingestBatch(batch: AggBatch, offset: number, messageTimestampMs: number, nowMs: number): Rejection[] | null {
    this.consumed(offset);
    const cp = this.capturePoint(batch.agent_id, batch.interface);
    cp.lastActivityMs = nowMs;
    const epoch = this.epoch + 1;
    const sampleRate = batch.sample_rate > 0 ? batch.sample_rate : 1;
    splitBigint(batch.base_ts_ns, base);
    const skew = this.options.maxFutureSkewNs;
    let maxSec = Infinity;
    let maxNs = 0;
    if (skew > 0 && Number.isFinite(messageTimestampMs) && messageTimestampMs > 0) {
      const limit = addOffset(Math.floor(messageTimestampMs / 1000), (messageTimestampMs % 1000) * 1e6, skew, { sec: 0, ns: 0 });
      maxSec = limit.sec;
      maxNs = limit.ns;
    }
    const counters = this.counters;
    const outliers = this.outliers;
    const records = batch.records;
    let rejected: Rejection[] | null = null;
    const tracked = cp.health !== null;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      addOffset(base.sec, base.ns, rec.packet.ts_offset_ns, t);
      let reason: RejectReason | null = null;
      if (t.sec < 0) reason = 'bad-time';
      else if (t.sec > maxSec || (t.sec === maxSec && t.ns > maxNs)) reason = 'future';
      else {
        const widx = cp.ingest(rec, t.sec, t.ns, sampleRate, epoch, outliers);
        // Only records with integrity fields go to stream health: besides saving the call for the others, the
        // call site then runs less often than the flows path's, so V8 inlines the flows helpers first.
        if (tracked && (rec.iena != null || rec.ch10 != null || rec.ptp != null)) cp.track(rec, t.sec, t.ns, widx, sampleRate, epoch);
        if (widx === LATE) reason = 'late';
      }
      if (reason !== null) {
        if (reason === 'late') counters.late++;
        else if (reason === 'future') counters.future++;
        else counters.badTime++;
        (rejected ??= []).push({ index: i, reason });
      }
    }
    counters.records += records.length;
    this.recordsInEpoch += records.length;
    return rejected;
  }

  /** Close the open epoch: apply watermarks, emit closed windows and buckets, enforce the key cap. */
  seal(o: SealOptions): SealedEpoch {
    const flows: FlowRow[] = [];
    const netflow: NetflowPartRow[] = [];
    const health: HealthOutput = { health: this.healthRows, ptpEvents: [], tmats: [], alerts: [] };
    const grids = [this.params.window, this.params.bucket];
    const final = o.recordedWatermarks ? o.recordedWatermarks[FINAL_MARK] === '1' : o.closeAll === true;
    for (const cp of this.capturePoints.values()) {
      if (o.recordedWatermarks) {
        const wm = o.recordedWatermarks[cp.key];
        if (wm) {
          splitBigint(BigInt(wm), t);
          cp.watermark.raise(t.sec, t.ns);
        }
      } else if (o.closeAll) {
        cp.watermark.closeAll(grids);
      } else if (o.idleTimeoutMs > 0 && cp.openSlots > 0 && o.nowMs - cp.lastActivityMs >= o.idleTimeoutMs) {
        cp.watermark.closeAll(grids);
      }
      cp.close(flows, netflow, health, final);
    }
    this.enforceCap(o.maxKeys, flows);
    this.enforceStreamCap(health);
    const watermarks: Record<string, string> = {};
    for (const cp of this.capturePoints.values()) {
      if (cp.watermark.hasWm) watermarks[cp.key] = timeString(cp.watermark.wmSec, cp.watermark.wmNs);
    }
    if (final) watermarks[FINAL_MARK] = '1';
    this.epoch++;
    const sealed: SealedEpoch = {
      partition: this.partition,
      epoch: this.epoch,
      startOffset: this.epochStart,
      nextOffset: this.nextOffset,
      watermarks,
      maxKeys: o.maxKeys,
      messages: this.messagesInEpoch,
      records: this.recordsInEpoch,
      flows,
      outliers: this.outliers,
      netflow,
      health: health.health.block(),
      ptpEvents: health.ptpEvents,
      tmats: health.tmats,
      alerts: health.alerts,
    };
    this.outliers = [];
    this.epochStart = null;
    this.messagesInEpoch = 0;
    this.recordsInEpoch = 0;
    return sealed;
  }

  /** Flush the least recently used streams (by epoch, then capture point order) until the stream cap holds. */
  private enforceStreamCap(out: HealthOutput): void {
    const cap = this.params.health?.maxStreams ?? Infinity;
    let excess = this.streamCount - cap;
    while (excess > 0) {
      let victim: CapturePointState | null = null;
      for (const cp of this.capturePoints.values()) {
        const h = cp.health?.table.head ?? null;
        if (h !== null && (victim === null || h.touchedEpoch < victim.health!.table.head!.touchedEpoch)) victim = cp;
      }
      if (victim === null || !victim.health!.evictOldest(out)) break;
      excess--;
    }
  }

  /** Flush the least recently used keys (by epoch, then capture point order) until `maxKeys` remain. */
  private enforceCap(maxKeys: number, flows: FlowRow[]): void {
    let excess = this.keyCount - maxKeys;
    while (excess > 0) {
      let victim: CapturePointState | null = null;
      for (const cp of this.capturePoints.values()) {
        const h = cp.table.head;
        if (h !== null && (victim === null || h.touchedEpoch < victim.table.head!.touchedEpoch)) victim = cp;
      }
      if (victim === null) break;
      victim.evict(victim.table.head!, flows);
      excess--;
    }
  }
}
