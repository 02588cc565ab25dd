/**
 * The aggregator service: enriched topic in, flows / flow_outliers /
 * netflow_bucket_parts out, exactly once across crashes, restarts and
 * rebalances (docs/aggregator.md).
 *
 * Per owned partition a PartitionAggregator holds the state. Consumption
 * (eachBatch) only aggregates; a cycle every --flush-interval (or after
 * --epoch-max-records) seals an epoch per partition and then, outside the
 * lock while consumption continues:
 *
 *   1. writes the epochs' intents to ClickHouse,
 *   2. commits to Kafka, fenced by the group generation: per partition the
 *      offset a restore would continue from (the last checkpoint's) with the
 *      new intent id as metadata - only committed intents are ever replayed,
 *   3. inserts the rows, chunked, under tokens <group>/<topic>/<p>/<intent>/<table>/<chunk>,
 *   4. writes checkpoints that are due (state after the epoch).
 *
 * A new owner (after a crash or a rebalance) loads the newest checkpoint on
 * the committed intent chain, replays the intents after it with their
 * recorded watermarks and key caps, and re-inserts identical blocks under the
 * same tokens, which ClickHouse drops as duplicates.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  AvroSchemaError, migrate, produceGroups, serveMetrics, topicNames, type Logger, type MetricsServer, type Service, type SqlClient,
} from '@streamlens/common';
import type { AggregatorConfig } from './aggregator-options.js';
import { AggregatorMetrics } from './aggregator-metrics.js';
import { EnrichedDecoder, type AggBatch } from './enriched-decoder.js';
import { aggregationParamsOf, localNetworksOf } from './aggregation-params.js';
import { FrameTypeIds } from './flow-key.js';
import { IngestCounters, type AggregationParams } from './capture-point.js';
import type { LocalNetworksByAgent } from './local-networks.js';
import { healthRowCount, PartitionAggregator, type RejectReason, type SealedEpoch } from './partition-aggregator.js';
import { ClickHouseSink } from './clickhouse-sink.js';
import { EpochLog, intentOf, newIntentId, parsePointer, pointerMetadata, type Intent } from './epoch-log.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-format.js';
import { PermanentWriteError, withRetry, type RetryPolicy } from './backoff.js';
import { Mutex } from './mutex.js';
import { AlertPublisher } from './stream-health/alerts/alert-publisher.js';

export interface AggregatorDeps {
  sql: SqlClient;
  kafka: Kafka;
  logger: Logger;
  metrics?: AggregatorMetrics;
  /** Processing clock in ms (tests). */
  now?: () => number;
}

interface PartitionSlot {
  partition: number;
  /** Group generation the state was restored under. */
  generation: number;
  pa: PartitionAggregator;
  /** Newest intent of the partition's chain ('' before the first). */
  lastIntentId: string;
  /** Recorded epochs still to re-seal (restore after a crash or rebalance). */
  replay: Intent[];
  /** Re-sealed epochs waiting for their rows to be inserted. */
  replayed: { intent: Intent; epoch: SealedEpoch }[];
  /** Offset a restore continues from (last checkpoint's); what is committed to Kafka. */
  commitOffset: number | null;
  lastCheckpointMs: number;
  /** Sealed since the last checkpoint. */
  dirty: boolean;
  /** Offset consumption was last re-positioned to (null once a batch continued there). */
  soughtTo: number | null;
  /** Newest epoch whose alerts are on the alerts topic (alert-publisher.ts). */
  alertsPublished: number;
}

interface SealedWork {
  slot: PartitionSlot;
  epoch: SealedEpoch;
  intent: Intent;
  /** Checkpoint state after the epoch, when one is due. */
  state: Buffer | null;
  commitOffset: number;
}

const DLQ_REASONS: Record<RejectReason, string> = { late: 'too_late', future: 'future_timestamp', 'bad-time': 'bad_timestamp' };

class CycleAborted extends Error {
  override name = 'CycleAborted';
}

export class AggregatorService implements Service {
  readonly metrics: AggregatorMetrics;
  private readonly topics: ReturnType<typeof topicNames>;
  private readonly params: AggregationParams;
  private readonly paramsText: string;
  private readonly localNets: LocalNetworksByAgent;
  private readonly ftIds = new FrameTypeIds();
  private readonly counters = new IngestCounters();
  /** Reads the integrity fields only when stream health is on. */
  private readonly decoder: EnrichedDecoder;
  private readonly retry: RetryPolicy;
  private readonly sink: ClickHouseSink;
  private readonly epochLog: EpochLog;
  private readonly lock = new Mutex();
  private readonly slots = new Map<number, PartitionSlot>();
  private readonly now: () => number;
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private alerts?: AlertPublisher;
  private metricsServer?: MetricsServer;
  private timer?: NodeJS.Timeout;
  private generation = 0;
  private memberId = '';
  private assigned = new Set<number>();
  private cycle: Promise<void> | null = null;
  private lastCycleMs = 0;
  private paused = false;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private heartbeat: (() => Promise<void>) | null = null;
  private fatalError: Error | null = null;
  private fatalListeners: ((err: Error) => void)[] = [];

  constructor(private readonly config: AggregatorConfig, private readonly deps: AggregatorDeps) {
    this.metrics = deps.metrics ?? new AggregatorMetrics();
    this.now = deps.now ?? Date.now;
    this.topics = topicNames(config.topicPrefix);
    this.localNets = localNetworksOf(config);
    this.params = aggregationParamsOf(config);
    this.decoder = new EnrichedDecoder({ streamHealth: this.params.health !== null });
    this.paramsText = JSON.stringify({
      window_ns: this.params.window.sizeNs, bucket_ns: this.params.bucket.sizeNs, lateness_ns: this.params.latenessNs,
      outlier_k: config.outlierK, outlier_warmup: config.outlierWarmup, flow_timeout_ns: this.params.flowTimeoutNs,
      local_networks: this.localNets.describe(),
    });
    this.retry = { initialMs: 100, maxMs: config.retryMax, permanentAttempts: 3 };
    const aborted = () => this.fatalError !== null;
    this.sink = new ClickHouseSink(deps.sql, {
      database: config.database, chunkRows: config.insertChunkRows, concurrency: config.insertConcurrency, retry: this.retry,
    }, {
      inserted: (table, rows, ms) => {
        this.metrics.rowsWritten.labels(table).inc(rows);
        this.metrics.inserts.labels(table).inc();
        this.metrics.insertSeconds.observe(ms / 1000);
      },
      retried: (table, err, delayMs) => {
        this.metrics.insertRetries.labels(table).inc();
        this.deps.logger.warn({ table, err: (err as Error).message, delayMs }, 'ClickHouse insert failed; retrying');
        this.keepAlive();
      },
    }, { aborted });
    this.epochLog = new EpochLog(deps.sql, config.database, config.groupId, this.topics.enriched, this.retry, {
      aborted,
      onRetry: (err, _attempt, delayMs) => {
        this.metrics.insertRetries.labels('aggregator_epochs').inc();
        this.deps.logger.warn({ err: (err as Error).message, delayMs }, 'ClickHouse epoch bookkeeping failed; retrying');
        this.keepAlive();
      },
    });
  }

  /** Called once with the error when the service cannot continue (its caller should stop it and exit non-zero). */
  onFatal(listener: (err: Error) => void): void {
    this.fatalListeners.push(listener);
    if (this.fatalError) listener(this.fatalError);
  }

  async start(): Promise<void> {
    const { logger, kafka, sql } = this.deps;
    const m = await migrate(sql, this.config.database);
    if (m.applied.length) logger.info({ applied: m.applied, database: this.config.database }, 'ClickHouse migrations applied');
    this.admin = kafka.admin();
    await this.admin.connect();
    await this.prepareTopics(this.admin);
    if (this.params.health && this.params.health.rules.length > 0) {
      this.alerts = new AlertPublisher(kafka, this.admin, { groupId: this.config.groupId, sourceTopic: this.topics.enriched, alertsTopic: this.topics.alerts }, logger);
    }
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    const consumer = kafka.consumer({
      groupId: this.config.groupId,
      readUncommitted: false,
      sessionTimeout: this.config.sessionTimeout,
      rebalanceTimeout: Math.max(60_000, this.config.sessionTimeout),
      heartbeatInterval: Math.max(300, Math.floor(this.config.sessionTimeout / 10)),
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberId, e.payload.memberAssignment));
    consumer.on(consumer.events.START_BATCH_PROCESS, (e) => this.onBatchStart(e.payload));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.fail(new Error(`Kafka consumer stopped: ${e.payload.error?.message ?? 'unknown error'}`, { cause: e.payload.error }));
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.enriched, fromBeginning: this.config.startFrom === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.lastCycleMs = this.now();
    this.timer = setInterval(() => this.kick(), Math.max(20, Math.min(250, this.config.flushInterval / 4)));
    if (this.config.metricsPort > 0) {
      this.metricsServer = await serveMetrics([this.metrics.registry], this.config.metricsPort, this.config.metricsHost, () => this.fatalError === null);
    }
    logger.info({ in: this.topics.enriched, group: this.config.groupId, database: this.config.database, clickhouse: sql.describe }, 'aggregator running');
  }

  private async prepareTopics(admin: Admin): Promise<void> {
    const existing = new Set(await admin.listTopics());
    if (!existing.has(this.topics.enriched)) {
      throw new Error(`input topic ${this.topics.enriched} does not exist (the dissector creates it with --create-topics)`);
    }
    const wanted = [this.topics.dlq];
    if (this.params.health && this.params.health.rules.length > 0) wanted.push(this.topics.alerts);
    for (const topic of wanted) {
      if (existing.has(topic)) continue;
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch((err) => {
        if (!/already exists/i.test((err as Error).message)) throw err;
      });
    }
  }

  private onGroupJoin(memberId: string, assignment: Record<string, number[]>): void {
    this.generation++;
    this.memberId = memberId;
    this.assigned = new Set(assignment[this.topics.enriched] ?? []);
    this.metrics.rebalances.inc();
    this.metrics.partitionsOwned.set(this.assigned.size);
    // Every partition is restored from ClickHouse on its next batch: the
    // state in memory may be ahead of what was committed.
    this.slots.clear();
    this.alerts?.release(this.assigned).catch(() => {});
    this.deps.logger.info({ memberId, partitions: [...this.assigned].sort((a, b) => a - b) }, 'partitions assigned');
  }

  /** Batches holding only transaction markers never reach eachBatch; the aggregated position follows them. */
  private onBatchStart(p: { topic: string; partition: number; batchSize: number; firstOffset: string | null; lastOffset: string }): void {
    if (p.batchSize !== 0 || p.topic !== this.topics.enriched || p.firstOffset === null) return;
    const slot = this.slots.get(p.partition);
    if (!slot || slot.generation !== this.generation || slot.pa.nextOffset === null) return;
    if (Number(p.firstOffset) <= slot.pa.nextOffset) {
      slot.pa.advanceTo(Number(p.lastOffset) + 1);
      this.resealReplays(slot, slot.pa.nextOffset);
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.heartbeat = heartbeat;
    if (this.stopping || this.fatalError || !isRunning() || isStale()) return;
    await this.lock.run(async () => {
      if (this.stopping || this.fatalError) return;
      const p = batch.partition;
      let slot = this.slots.get(p);
      if (!slot || slot.generation !== this.generation) slot = await this.restore(p);
      const pa = slot.pa;
      const fetched = Number((batch as unknown as { fetchedOffset: string }).fetchedOffset);
      if (pa.nextOffset !== null && fetched > pa.nextOffset) {
        if (slot.soughtTo === pa.nextOffset) {
          // Consumption was re-positioned here and Kafka continued later: the offsets between
          // hold no messages for a read_committed consumer (transaction markers, aborted records).
          pa.advanceTo(fetched);
        } else {
          // Not a continuation of what was aggregated: consume from our position instead.
          this.metrics.reseeks.inc();
          slot.soughtTo = pa.nextOffset;
          this.consumer!.seek({ topic: batch.topic, partition: p, offset: String(pa.nextOffset) });
          return;
        }
      }
      slot.soughtTo = null;
      const dlq: { key: Buffer | null; value: Buffer; headers: Record<string, string> }[] = [];
      const nowMs = this.now();
      for (const m of batch.messages) {
        const off = Number(m.offset);
        if (pa.nextOffset !== null && off < pa.nextOffset) continue;
        this.resealReplays(slot, off);
        this.aggregateMessage(slot, m, off, nowMs, batch.topic, dlq);
      }
      pa.advanceTo(Number(batch.lastOffset()) + 1);
      this.resealReplays(slot, pa.nextOffset!);
      if (dlq.length) {
        // The records are aggregated already: the DLQ messages must get out before the batch counts as done.
        for (const messages of produceGroups(dlq)) {
          await withRetry(`sending ${messages.length} messages to ${this.topics.dlq}`, this.retry,
            () => this.producer!.send({ topic: this.topics.dlq, acks: -1, messages }), {
              onRetry: (err, _attempt, delayMs) => {
                this.deps.logger.warn({ err: (err as Error).message, delayMs }, 'DLQ send failed; retrying');
                this.keepAlive();
              },
            });
        }
      }
      resolveOffset(batch.lastOffset());
      this.metrics.lag.set(Math.max(0, Number(batch.highWatermark) - pa.nextOffset!), String(p));
    });
    this.afterBatch();
  }

  private aggregateMessage(slot: PartitionSlot, m: KafkaMessage, off: number, nowMs: number, topic: string,
    dlq: { key: Buffer | null; value: Buffer; headers: Record<string, string> }[]): void {
    const pa = slot.pa;
    const replaying = slot.replay.length > 0;
    this.metrics.messagesIn.inc();
    if (!m.value || m.value.length === 0) {
      pa.skip(off);
      return;
    }
    let batch: AggBatch;
    try {
      batch = this.decoder.decodeReused(m.value);
    } catch (err) {
      pa.skip(off);
      const reason = err instanceof AvroSchemaError ? 'unknown_schema' : 'malformed_avro';
      if (!replaying) {
        this.metrics.deadLetters.labels(reason).inc();
        dlq.push({ key: m.key, value: m.value, headers: this.dlqHeaders(reason, (err as Error).message, topic, slot.partition, off) });
      }
      return;
    }
    const rejected = pa.ingestBatch(batch, off, Number(m.timestamp), nowMs);
    if (rejected && !replaying) {
      const byReason = new Map<RejectReason, number[]>();
      for (const r of rejected) {
        let list = byReason.get(r.reason);
        if (!list) byReason.set(r.reason, (list = []));
        list.push(r.index);
      }
      for (const [reason, indexes] of byReason) {
        const name = DLQ_REASONS[reason];
        this.metrics.deadLetters.labels(name).inc();
        const headers = this.dlqHeaders(name, `${indexes.length} of ${batch.records.length} records rejected`, topic, slot.partition, off);
        headers['streamlens-records'] = indexes.join(',');
        const cp = pa.capturePoint(batch.agent_id, batch.interface).watermark;
        if (cp.hasWm) headers['streamlens-watermark-ns'] = `${cp.wmSec}${String(cp.wmNs).padStart(9, '0')}`;
        dlq.push({ key: m.key, value: m.value, headers });
      }
    }
  }

  private dlqHeaders(reason: string, error: string, topic: string, partition: number, offset: number): Record<string, string> {
    return {
      'streamlens-reason': reason, 'streamlens-error': error.slice(0, 1000),
      'streamlens-source': `${topic}/${partition}/${offset}`, 'streamlens-stage': 'aggregator',
    };
  }

  /** Re-seal recorded epochs that end at or before `offset`. */
  private resealReplays(slot: PartitionSlot, offset: number): void {
    while (slot.replay.length > 0 && slot.replay[0].nextOffset !== null && slot.replay[0].nextOffset <= offset) {
      const intent = slot.replay.shift()!;
      const epoch = slot.pa.seal({ nowMs: this.now(), idleTimeoutMs: 0, maxKeys: intent.maxKeys, recordedWatermarks: intent.watermarks });
      if (epoch.epoch !== intent.epoch || epoch.flows.length !== intent.flowRows || epoch.outliers.length !== intent.outlierRows ||
          epoch.netflow.length !== intent.netflowRows || healthRowCount(epoch) !== intent.healthRows) {
        this.metrics.replayMismatches.inc();
        this.deps.logger.warn({
          partition: slot.partition, intent: intent.intentId, epoch: [intent.epoch, epoch.epoch],
          flows: [intent.flowRows, epoch.flows.length], outliers: [intent.outlierRows, epoch.outliers.length], netflow: [intent.netflowRows, epoch.netflow.length],
          health: [intent.healthRows, healthRowCount(epoch)],
        }, 'replayed epoch differs from its intent (was the configuration changed?); its blocks are deduplicated by token');
      }
      slot.lastIntentId = intent.intentId;
      slot.replayed.push({ intent, epoch });
      this.metrics.epochsReplayed.inc();
    }
  }

  private async committedPointer(partition: number): Promise<string | null> {
    const res = await this.admin!.fetchOffsets({ groupId: this.config.groupId, topics: [this.topics.enriched] });
    const entry = res.find((t) => t.topic === this.topics.enriched)?.partitions.find((x) => x.partition === partition);
    return parsePointer(entry?.metadata);
  }

  /** Build a partition's state from ClickHouse and the committed pointer. */
  private async restore(partition: number): Promise<PartitionSlot> {
    const generation = this.generation;
    const { logger } = this.deps;
    const pointer = await withRetry(`reading the committed offset of partition ${partition}`, this.retry,
      () => this.committedPointer(partition), { onRetry: () => this.keepAlive(), aborted: () => this.fatalError !== null });
    const { plan, state } = await withRetry(`restoring partition ${partition}`, this.retry,
      () => this.epochLog.restore(partition, pointer), { onRetry: () => this.keepAlive(), aborted: () => this.fatalError !== null });
    const pa = new PartitionAggregator(partition, this.params, this.localNets, this.ftIds, this.counters, { maxFutureSkewNs: this.config.maxFutureSkew * 1e6 });
    if (state) {
      try {
        decodeCheckpoint(state, pa, this.ftIds);
      } catch (err) {
        this.fail(new Error(`cannot restore partition ${partition} of group ${this.config.groupId}: ${(err as Error).message}`, { cause: err }));
        throw err;
      }
      const now = this.now();
      for (const cp of pa.capturePoints.values()) cp.lastActivityMs = now;
    }
    // Fence whoever published this partition's alerts before, then learn how far they got.
    const alertsPublished = this.alerts
      ? await withRetry(`taking over the alerts of partition ${partition}`, this.retry, () => this.alerts!.acquire(partition),
        { onRetry: () => this.keepAlive(), aborted: () => this.fatalError !== null })
      : 0;
    if (plan.seekTo !== null) pa.nextOffset = plan.seekTo;
    if (!plan.base && plan.replay.length > 0) pa.epoch = plan.replay[0].epoch - 1;
    for (const w of plan.warnings) {
      this.metrics.restoreWarnings.inc();
      logger.warn({ partition }, w);
    }
    const slot: PartitionSlot = {
      partition, generation, pa, lastIntentId: plan.base?.intentId ?? '', replay: plan.replay, replayed: [],
      commitOffset: plan.seekTo, lastCheckpointMs: this.now(), dirty: plan.replay.length > 0, soughtTo: null, alertsPublished,
    };
    if (pa.nextOffset !== null) this.resealReplays(slot, pa.nextOffset);
    this.slots.set(partition, slot);
    this.metrics.restores.inc();
    logger.info({
      partition, checkpoint: plan.base ? { epoch: plan.base.epoch, intent: plan.base.intentId } : null,
      replay: plan.replay.length, from: pa.nextOffset, keys: pa.keyCount,
    }, 'partition restored');
    return slot;
  }

  /** Called after each batch: seal early when the epoch is large; pause when ClickHouse is behind. */
  private afterBatch(): void {
    const unsealed = this.unsealedRecords();
    if (unsealed >= this.config.epochMaxRecords) {
      if (this.cycle && !this.paused && this.consumer) {
        this.paused = true;
        this.metrics.backpressurePauses.inc();
        this.consumer.pause([{ topic: this.topics.enriched }]);
      }
      this.kick(true);
    }
  }

  private unsealedRecords(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.pa.recordsInEpoch;
    return n;
  }

  private kick(force = false): void {
    if (this.cycle || this.stopping || this.fatalError) return;
    if (!force && this.now() - this.lastCycleMs < this.config.flushInterval) return;
    this.cycle = this.runCycle(false).finally(() => {
      this.cycle = null;
      if (this.paused && this.consumer && !this.stopping) {
        this.paused = false;
        this.consumer.resume([{ topic: this.topics.enriched }]);
      }
      if (this.unsealedRecords() >= this.config.epochMaxRecords) this.kick(true);
    });
  }

  /** Heartbeat while waiting on ClickHouse, so a slow write does not cost the partitions. */
  private keepAlive(): void {
    this.heartbeat?.().catch(() => {});
  }

  /** Seal every partition that has something to seal (under the lock; synchronous). */
  private sealAll(final: boolean): { work: SealedWork[]; replayed: { intent: Intent; epoch: SealedEpoch }[] } {
    const now = this.now();
    const work: SealedWork[] = [];
    const replayed: { intent: Intent; epoch: SealedEpoch }[] = [];
    const live = [...this.slots.values()].filter((s) => s.generation === this.generation);
    let totalKeys = 0;
    for (const s of live) totalKeys += s.pa.keyCount;
    const cap = this.config.maxOpenKeys;
    for (const s of live) {
      replayed.push(...s.replayed);
      s.replayed = [];
      if (s.replay.length > 0 || s.pa.nextOffset === null) continue;
      const checkpointDue = final || (s.dirty && now - s.lastCheckpointMs >= this.config.checkpointInterval);
      if (!final && s.pa.messagesInEpoch === 0 && !checkpointDue && !s.pa.idleDue(now, this.config.idleTimeout)) continue;
      const keys = s.pa.keyCount;
      const maxKeys = totalKeys > cap ? Math.max(1, Math.floor((cap * keys) / totalKeys)) : cap;
      const epoch = s.pa.seal({ nowMs: now, idleTimeoutMs: this.config.idleTimeout, maxKeys, closeAll: final && this.config.flushOnStop });
      const intent = intentOf(epoch, newIntentId(s.partition, epoch.epoch), s.lastIntentId, this.paramsText);
      s.lastIntentId = intent.intentId;
      s.dirty = true;
      let state: Buffer | null = null;
      if (final || now - s.lastCheckpointMs >= this.config.checkpointInterval) {
        state = encodeCheckpoint(s.pa, intent.intentId);
        s.dirty = false;
        s.lastCheckpointMs = now;
      }
      const commitOffset = s.commitOffset ?? epoch.startOffset ?? epoch.nextOffset!;
      s.commitOffset = commitOffset;
      work.push({ slot: s, epoch, intent, state, commitOffset });
    }
    let openKeys = 0;
    let openStreams = 0;
    let newestWm = -1;
    for (const s of live) {
      openKeys += s.pa.keyCount;
      openStreams += s.pa.streamCount;
      for (const cp of s.pa.capturePoints.values()) if (cp.watermark.hasWm && cp.watermark.wmSec > newestWm) newestWm = cp.watermark.wmSec;
    }
    this.metrics.openKeys.set(openKeys);
    this.metrics.openStreams.set(openStreams);
    if (newestWm >= 0) this.metrics.watermarkDelay.set(Math.max(0, now / 1000 - newestWm));
    this.metrics.sync(this.counters);
    return { work, replayed };
  }

  private tokenPrefix(partition: number, intentId: string): string {
    return `${this.config.groupId}/${this.topics.enriched}/${partition}/${intentId}`;
  }

  /**
   * Restore the owned partitions no batch has reached yet. Their state (open
   * windows from a checkpoint) must still close on the idle timeout when the
   * previous owner consumed everything there was and nothing new arrives.
   */
  private async restoreUnseen(): Promise<void> {
    const generation = this.generation;
    for (const p of this.assigned) {
      if (this.stopping || this.fatalError || generation !== this.generation) return;
      const slot = this.slots.get(p);
      if (slot && slot.generation === generation) continue;
      try {
        await this.restore(p);
      } catch (err) {
        // eachBatch or the next cycle tries again
        this.deps.logger.warn({ partition: p, err: (err as Error).message }, 'restoring an owned partition failed');
        return;
      }
    }
  }

  private async runCycle(final: boolean): Promise<void> {
    const generation = this.generation;
    const { work, replayed } = await this.lock.run(async () => {
      if (!final) await this.restoreUnseen();
      return this.sealAll(final);
    });
    this.lastCycleMs = this.now();
    if (work.length === 0 && replayed.length === 0) return;
    const started = performance.now();
    try {
      if (replayed.length) {
        await this.sink.write(replayed.map((r) => ({ tokenPrefix: this.tokenPrefix(r.epoch.partition, r.intent.intentId), rows: r.epoch })));
      }
      if (work.length) {
        await this.epochLog.writeIntents(work.map((w) => w.intent), this.memberId);
        if (generation !== this.generation) throw new CycleAborted('the group rebalanced before the epoch was committed');
        await this.commit(work.map((w) => ({ partition: w.slot.partition, offset: w.commitOffset, intentId: w.intent.intentId })));
        await this.sink.write(work.map((w) => ({ tokenPrefix: this.tokenPrefix(w.slot.partition, w.intent.intentId), rows: w.epoch })));
        this.metrics.epochsSealed.inc(work.length);
      }
      // Alerts after their rows, before the checkpoint that would make a restore skip their epoch.
      await this.publishAlerts(replayed, work);
      if (work.length) {
        for (const w of work) {
          if (!w.state) continue;
          const bytes = await this.epochLog.writeCheckpoint(w.slot.partition, w.epoch.epoch, w.intent.intentId, w.epoch.nextOffset, w.state);
          w.slot.commitOffset = w.epoch.nextOffset;
          this.metrics.checkpointsWritten.inc();
          this.metrics.checkpointBytes.inc(bytes);
        }
        if (final) {
          // Leave the group with the committed offset at the checkpoint just written: the next owner replays nothing.
          await this.commit(work.map((w) => ({ partition: w.slot.partition, offset: w.slot.commitOffset!, intentId: w.intent.intentId })));
        }
      }
      this.metrics.cycleSeconds.observe((performance.now() - started) / 1000);
    } catch (err) {
      if (err instanceof PermanentWriteError) {
        this.fail(err);
        return;
      }
      if (this.fatalError) return;
      this.metrics.cyclesAborted.inc();
      this.deps.logger.warn({ err: (err as Error).message }, 'epoch cycle abandoned; the partitions are restored from ClickHouse');
      await this.lock.run(() => this.slots.clear());
    }
  }

  /** Publish the alerts of the epochs written in this cycle that are not on the alerts topic yet, per partition in epoch order. */
  private async publishAlerts(replayed: { intent: Intent; epoch: SealedEpoch }[], work: SealedWork[]): Promise<void> {
    if (!this.alerts) return;
    const byPartition = new Map<number, { slot: PartitionSlot | undefined; epochs: SealedEpoch[] }>();
    const add = (slot: PartitionSlot | undefined, e: SealedEpoch) => {
      let g = byPartition.get(e.partition);
      if (!g) byPartition.set(e.partition, (g = { slot, epochs: [] }));
      g.slot ??= slot;
      g.epochs.push(e);
    };
    for (const r of replayed) add(this.slots.get(r.epoch.partition), r.epoch);
    for (const w of work) add(w.slot, w.epoch);
    for (const [partition, g] of byPartition) {
      const slot = g.slot;
      if (!slot) continue;
      const due = g.epochs.filter((e) => e.epoch > slot.alertsPublished && e.alerts.length > 0).sort((a, b) => a.epoch - b.epoch);
      if (due.length === 0) continue;
      // No retry here: after a failure the producer may have been fenced by a new owner, who may have published since.
      // The cycle is abandoned instead, and the restore fences again and reads the progress mark afresh.
      const sent = await this.alerts.publish(partition, due);
      slot.alertsPublished = due[due.length - 1].epoch;
      this.metrics.alertsPublished.inc(sent);
    }
  }

  private async commit(entries: { partition: number; offset: number; intentId: string }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.consumer!.commitOffsets(entries.map((e) => ({
      topic: this.topics.enriched, partition: e.partition, offset: String(e.offset), metadata: pointerMetadata(e.intentId),
    })));
  }

  private fail(err: Error): void {
    if (this.fatalError) return;
    this.fatalError = err;
    this.deps.logger.error({ err }, 'aggregator cannot continue');
    for (const l of this.fatalListeners) l(err);
  }

  /** Pause consumption, finish the epoch in flight, seal and checkpoint every partition, commit, leave the group. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    try {
      this.consumer?.pause([{ topic: this.topics.enriched }]);
    } catch {
      // not running yet
    }
    await this.cycle?.catch(() => {});
    await this.lock.run(() => undefined);
    if (this.consumer && !this.fatalError) {
      this.cycle = this.runCycle(true);
      await this.cycle;
      this.cycle = null;
    }
    await this.consumer?.disconnect().catch(() => {});
    await this.alerts?.release().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    await this.metricsServer?.close();
    this.metrics.sync(this.counters);
  }
}
