/**
 * The aggregator without Kafka, for the embedded mode (`streamlens analyze`)
 * and for tests: decoded enriched batches go in per partition, and each
 * `flush` seals every partition and writes the rows through the same
 * ClickHouseSink (any SqlClient: a server or chDB), one INSERT block per
 * table for all partitions. There is no crash recovery here (an embedded run
 * is redone from its capture file); inserts still carry deduplication
 * tokens, so retrying a failed flush is harmless.
 */
import { randomBytes } from 'node:crypto';
import { migrate, RowBinaryBlock, type SqlClient } from '@streamlens/common';
import { IngestCounters, type AggregationParams } from './capture-point.js';
import { ClickHouseSink, type SinkObserver } from './clickhouse-sink.js';
import { FrameTypeIds } from './flow-key.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import { PartitionAggregator, type Rejection, type SealedEpoch } from './partition-aggregator.js';
import type { LocalNetworksByAgent } from './local-networks.js';
import type { AggBatch } from './enriched-decoder.js';
import type { AlertRow } from './stream-health/alerts/alert-evaluator.js';
import { STREAM_HEALTH_COLUMNS } from './stream-health/stream-health-rows.js';

export interface LocalAggregatorOptions {
  database: string;
  params: AggregationParams;
  localNetworks: LocalNetworksByAgent;
  /** Keys held in memory across all partitions. */
  maxOpenKeys?: number;
  /** 0 = no future-timestamp check. */
  maxFutureSkewNs?: number;
  chunkRows?: number;
  concurrency?: number;
  retry?: RetryPolicy;
  observer?: SinkObserver;
  /** Prefix of the deduplication tokens (default: random per instance). */
  runId?: string;
  /** Called with the alerts of each flush once they are written (streamlens run prints them). */
  onAlerts?: (alerts: AlertRow[]) => void;
}

export interface FlushResult {
  epochs: SealedEpoch[];
  flows: number;
  outliers: number;
  netflow: number;
  /** Rows written into stream_health, ptp_events, tmats_sightings and alerts. */
  health: number;
  ptpEvents: number;
  tmats: number;
  alerts: AlertRow[];
}

export class LocalAggregator {
  readonly counters = new IngestCounters();
  private readonly ftIds = new FrameTypeIds();
  private readonly partitions = new Map<number, PartitionAggregator>();
  private readonly sink: ClickHouseSink;
  private readonly runId: string;
  private offsets = new Map<number, number>();
  private flushes = 0;
  /** The write of the previous flush (writes happen one after another). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly sql: SqlClient, private readonly o: LocalAggregatorOptions) {
    this.sink = new ClickHouseSink(sql, {
      database: o.database, chunkRows: o.chunkRows ?? 100_000, concurrency: o.concurrency ?? 2, retry: o.retry ?? DEFAULT_RETRY,
    }, o.observer);
    this.runId = o.runId ?? `local-${randomBytes(6).toString('hex')}`;
  }

  /** Create or upgrade the tables. */
  async migrate(): Promise<void> {
    await migrate(this.sql, this.o.database);
  }

  private partition(p: number): PartitionAggregator {
    let pa = this.partitions.get(p);
    if (!pa) {
      pa = new PartitionAggregator(p, this.o.params, this.o.localNetworks, this.ftIds, this.counters, { maxFutureSkewNs: this.o.maxFutureSkewNs ?? 0 });
      this.partitions.set(p, pa);
    }
    return pa;
  }

  /** Aggregate one batch; returns the records rejected (too late, ...) or null. */
  ingest(partition: number, batch: AggBatch, messageTimestampMs = 0, nowMs = Date.now()): Rejection[] | null {
    const offset = this.offsets.get(partition) ?? 0;
    this.offsets.set(partition, offset + 1);
    return this.partition(partition).ingestBatch(batch, offset, messageTimestampMs, nowMs);
  }

  /**
   * Seal every partition now (synchronously) and write what closed. The
   * write runs after the previous flush's write has finished; the caller may
   * ingest the next batches while it is in flight (await it before the end).
   * `final` closes every open window and bucket (end of input).
   */
  flush(o: { final?: boolean; nowMs?: number; idleTimeoutMs?: number } = {}): Promise<FlushResult> {
    const epochs = this.seal(o);
    // One block per table for all partitions (no partition moves here, so no per-partition replay to match).
    const flushNo = ++this.flushes;
    const rows = {
      flows: epochs.flatMap((e) => e.flows), outliers: epochs.flatMap((e) => e.outliers), netflow: epochs.flatMap((e) => e.netflow),
      health: RowBinaryBlock.concat(STREAM_HEALTH_COLUMNS, epochs.map((e) => e.health)), ptpEvents: epochs.flatMap((e) => e.ptpEvents), tmats: epochs.flatMap((e) => e.tmats),
      alerts: epochs.flatMap((e) => e.alerts),
    };
    const write = this.writing.then(() => this.sink.write([{ tokenPrefix: `${this.runId}/${flushNo}`, rows }]));
    this.writing = write.catch(() => undefined);
    return write.then(() => {
      if (rows.alerts.length) this.o.onAlerts?.(rows.alerts);
      return {
        epochs,
        flows: rows.flows.length,
        outliers: rows.outliers.length,
        netflow: rows.netflow.length,
        health: rows.health.length,
        ptpEvents: rows.ptpEvents.length,
        tmats: rows.tmats.length,
        alerts: rows.alerts,
      };
    });
  }

  /** Seal every partition and return the epochs without writing them (flush() writes them). */
  seal(o: { final?: boolean; nowMs?: number; idleTimeoutMs?: number } = {}): SealedEpoch[] {
    const epochs: SealedEpoch[] = [];
    const cap = this.o.maxOpenKeys ?? 1_000_000;
    let total = 0;
    for (const pa of this.partitions.values()) total += pa.keyCount;
    for (const pa of this.partitions.values()) {
      const maxKeys = total > cap ? Math.max(1, Math.floor((cap * pa.keyCount) / total)) : cap;
      epochs.push(pa.seal({ nowMs: o.nowMs ?? Date.now(), idleTimeoutMs: o.idleTimeoutMs ?? 0, maxKeys, closeAll: o.final }));
    }
    return epochs;
  }

  get keyCount(): number {
    let n = 0;
    for (const pa of this.partitions.values()) n += pa.keyCount;
    return n;
  }
}
