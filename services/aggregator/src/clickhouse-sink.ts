/**
 * Writes an epoch's rows into ClickHouse through the SqlClient interface (a
 * server or the embedded chDB engine).
 *
 * Each table's rows are cut into fixed-size chunks in the order the epoch
 * produced them, and each chunk is one INSERT with the deduplication token
 * `<token prefix>/<table>/<chunk>`. The epoch's rows are deterministic, so a
 * replay after a crash produces the same chunks under the same tokens, and
 * ClickHouse stores each block once (also in the materialized views fed by
 * it). Failed inserts are retried with backoff; the caller waits, which is
 * the backpressure on the Kafka consumer.
 */
import { assertIdentifier, isRowBlock, type InsertRows, type SqlClient } from '@streamlens/common';
import { withRetry, type RetryHooks, type RetryPolicy } from './backoff.js';
import type { SealedEpoch } from './partition-aggregator.js';

export const TABLES = {
  flows: 'flows',
  outliers: 'flow_outliers',
  netflow: 'netflow_bucket_parts',
  health: 'stream_health',
  ptpEvents: 'ptp_events',
  tmats: 'tmats_sightings',
  alerts: 'alerts',
} as const;

/** The rows of an epoch, by table. */
export type EpochRows = Pick<SealedEpoch, 'flows' | 'outliers' | 'netflow' | 'health' | 'ptpEvents' | 'tmats' | 'alerts'>;

export interface SinkOptions {
  database: string;
  /** Rows per INSERT block. */
  chunkRows: number;
  /** INSERTs in flight at once. */
  concurrency: number;
  retry: RetryPolicy;
}

/** Counters the sink reports (bound to Prometheus metrics by the service). */
export interface SinkObserver {
  inserted?(table: string, rows: number, ms: number): void;
  retried?(table: string, err: unknown, delayMs: number): void;
}

interface Job {
  table: string;
  rows: InsertRows;
  token: string;
}

export class ClickHouseSink {
  private readonly db: string;

  constructor(
    private readonly sql: SqlClient,
    private readonly options: SinkOptions,
    private readonly observer: SinkObserver = {},
    private readonly hooks: Pick<RetryHooks, 'aborted'> = {},
  ) {
    this.db = assertIdentifier(options.database, 'database name');
    if (!(options.chunkRows >= 1)) throw new Error('chunkRows must be at least 1');
  }

  /** The INSERT blocks of an epoch, in a fixed order. */
  jobsFor(tokenPrefix: string, e: EpochRows): Job[] {
    const jobs: Job[] = [];
    const add = (table: string, rows: InsertRows) => {
      for (let i = 0, chunk = 0; i < rows.length; i += this.options.chunkRows, chunk++) {
        const part = isRowBlock(rows) ? rows.slice(i, i + this.options.chunkRows) : rows.slice(i, i + this.options.chunkRows);
        jobs.push({ table, rows: part, token: `${tokenPrefix}/${table}/${chunk}` });
      }
    };
    add(TABLES.flows, e.flows);
    add(TABLES.outliers, e.outliers);
    add(TABLES.netflow, e.netflow);
    add(TABLES.health, e.health);
    add(TABLES.ptpEvents, e.ptpEvents);
    add(TABLES.tmats, e.tmats);
    add(TABLES.alerts, e.alerts);
    return jobs;
  }

  /** Insert every block of the given epochs; resolves when all are durably written. */
  async write(epochs: readonly { tokenPrefix: string; rows: EpochRows }[]): Promise<void> {
    const jobs = epochs.flatMap((e) => this.jobsFor(e.tokenPrefix, e.rows));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        await this.insert(job);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, jobs.length) }, worker));
  }

  private async insert(job: Job): Promise<void> {
    const started = performance.now();
    await withRetry(`INSERT INTO ${this.db}.${job.table} (${job.rows.length} rows, token ${job.token})`, this.options.retry,
      () => this.sql.insert(`${this.db}.${job.table}`, job.rows, { dedupToken: job.token }),
      { aborted: this.hooks.aborted, onRetry: (err, _attempt, delay) => this.observer.retried?.(job.table, err, delay) });
    this.observer.inserted?.(job.table, job.rows.length, performance.now() - started);
  }
}
