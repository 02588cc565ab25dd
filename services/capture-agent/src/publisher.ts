/**
 * Durable publishing of closed batches to the packets topic.
 *
 * Sending: one lane per partition, at most one produce request in flight per
 * lane, each request carrying the lane's oldest batches (up to the topic's
 * max.message.bytes). The producers are idempotent (acks=all); a small pool of
 * them works in parallel (kafkajs lets one idempotent producer have a single
 * request in flight per broker), each partition always on the same one. A failed request
 * is resent with exactly the same batches, before anything else of its
 * partition, on the same producer: kafkajs rolls the partition's sequence
 * number back on failure, so the resend carries the same sequence numbers and
 * a broker that had appended the first attempt (its answer lost) recognises
 * the duplicate instead of appending it twice. Only if the producer itself
 * must be replaced (fenced, unknown producer id) is a batch whose earlier
 * attempt may have landed sent under a new identity; that is counted as a
 * possible duplicate (consumers can drop it by agent_run and batch_seq).
 *
 * Spooling: when a send fails, when Kafka cannot be reached for
 * `spoolAfterMs`, or (live capture only: a replay waits instead) when a send
 * or a waiting batch is older than `spoolAfterMs` or memory holds more than
 * `queueMaxBytes`, new batches go to the on-disk spool, and the batches
 * waiting in memory behind the ones being sent go there first. While the
 * spool holds anything, new batches go behind it, so each partition keeps
 * its order. The spool drains into the lanes oldest segment first; once it
 * is empty, batches go straight to the lanes again. On stop, what memory
 * still holds after `drainTimeoutMs` without progress is written to the
 * spool in front of everything spooled later.
 */
import { performance } from 'node:perf_hooks';
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { AvroCodec, SCHEMA_NAMES, type Logger, type PacketBatch, RecordRouter } from '@streamlens/common';
import type { AgentMetrics, DropReason } from './agent-metrics.js';
import { messageBuffers } from './message-buffers.js';
import { kafkaErrorType, PacketsTopic, readRememberedPartitions, rememberPartitions, TopicMissingError, DEFAULT_MAX_MESSAGE_BYTES } from './packets-topic.js';
import { entrySize, Spool, type SegmentInfo, type SpoolEntry, type SpoolOptions } from './spool.js';

/** Broker answers that reject the request itself: nothing was appended, resending as is cannot succeed. */
const REJECTED = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP', 'POLICY_VIOLATION']);
/** Answers after which this producer's sequence state is unusable: replace the producer. */
const PRODUCER_FATAL = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'PRODUCER_FENCED']);
/** Errors that make the agent's configuration wrong rather than Kafka unavailable. */
const FATAL_AT_START = new Set(['KafkaJSSASLAuthenticationError']);

const TICK_MS = 100;
const METADATA_REFRESH_MS = 60_000;
const OUTAGE_LOG_MS = 30_000;
const ACK_SAVE_MS = 1000;

interface Unit {
  /** Acceptance order (spooling moves memory batches in this order). */
  seq: number;
  entry: SpoolEntry;
  size: number;
  /** Where the batch is stored durably, if it is. */
  origin: { seg: SegmentInfo; index: number } | null;
  /** A spooled batch this one was derived from (re-routing, splitting): acknowledged when all its parts are. */
  parent: { unit: Unit; remaining: number } | null;
  acceptedAt: number;
  /** Id of the producer that made the last attempt (-1: never sent). */
  gen: number;
  /** An earlier attempt failed in a way that may have appended it. */
  unknown: boolean;
  possibleDuplicate: boolean;
  /** Send alone (the broker rejected the request it was part of). */
  solo: boolean;
}

function durable(u: Unit): boolean {
  return u.origin !== null || u.parent !== null;
}

class Lane {
  private q: Unit[] = [];
  private h = 0;
  /** The request being sent, or failed and waiting to be resent as is. */
  group: Unit[] | null = null;
  sending = false;
  sentAt = 0;
  retryAt = 0;
  failures = 0;

  get length(): number {
    return this.q.length - this.h;
  }

  peek(): Unit | undefined {
    return this.q[this.h];
  }

  shift(): Unit {
    const u = this.q[this.h++];
    if (this.h > 1024 && this.h * 2 > this.q.length) {
      this.q = this.q.slice(this.h);
      this.h = 0;
    }
    return u;
  }

  push(u: Unit): void {
    this.q.push(u);
  }

  unshift(units: Unit[]): void {
    this.q = [...units, ...this.q.slice(this.h)];
    this.h = 0;
  }

  /** Remove and return the waiting units that match. */
  extract(pred: (u: Unit) => boolean): Unit[] {
    const out: Unit[] = [];
    const keep: Unit[] = [];
    for (let i = this.h; i < this.q.length; i++) (pred(this.q[i]) ? out : keep).push(this.q[i]);
    this.q = keep;
    this.h = 0;
    return out;
  }

  waiting(): Unit[] {
    return this.q.slice(this.h);
  }
}

export interface PublisherOptions {
  topic: string;
  createTopic: boolean;
  topicPartitions: number;
  topicReplication: number;
  compression: 'none' | 'gzip';
  queueMaxBytes: number;
  spoolAfterMs: number;
  drainTimeoutMs: number;
  /** Idempotent producers working in parallel (each partition always uses the same one). */
  producers: number;
  /** Live capture cannot wait: memory overflow spools. Replay waits (see `congested`). */
  overflow: 'spool' | 'wait';
  batchMaxBytes: number;
  agentRun: string;
  nextBatchSeq: () => number;
  spool: SpoolOptions;
}

export interface PublisherStats {
  spooling: boolean;
  memoryBytes: number;
  memoryBatches: number;
  laneBatches: number;
  spoolBytes: number;
  spoolSegments: number;
  partitions: number;
}

export class Publisher {
  readonly spool: Spool;
  private readonly topicAdmin: PacketsTopic;
  private readonly lanes: Lane[] = [];
  /** The producer pool: partition p is always sent by producers[p % size]. */
  private readonly producers: (Producer | undefined)[];
  /** Identity of each slot's current producer (a new one per connect), for spotting resends under a new producer id. */
  private readonly producerIds: number[];
  private readonly connecting: boolean[];
  private producerSerial = 0;
  private partitions = 0;
  private groupMaxBytes = DEFAULT_MAX_MESSAGE_BYTES - 4096;
  private spoolingNow = false;
  private seq = 0;
  private memoryBytesN = 0;
  private memoryCount = 0;
  private laneBytes = 0;
  private laneCount = 0;
  private inflightN = 0;
  private readonly loaded = new Set<number>();
  /** Replay batches waiting for room in a full spool (newest data, in order). */
  private readonly held: SpoolEntry[] = [];
  private draining = false;
  private refreshing = false;
  private lastRefresh = 0;
  private lastAckSave = 0;
  private lastProgress = 0;
  private outageSince = 0;
  private lastOutageLog = 0;
  private lastError = '';
  private lastFailureAt = -Infinity;
  private stopping = false;
  private drainSpoolOnStop = false;
  private closed = false;
  private started = false;
  private tick: NodeJS.Timeout | undefined;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private roomWaiters: (() => void)[] = [];
  private topicProblem: string | undefined;
  private partitionListeners: ((n: number) => void)[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly metrics: AgentMetrics,
    private readonly logger: Logger,
    private readonly o: PublisherOptions,
  ) {
    this.spool = new Spool(o.spool, {
      tornFiles: (names) => {
        metrics.spoolTornFiles.inc(names.length);
        logger.warn({ files: names, dir: o.spool.dir }, 'removed temporary spool files left by a crash (their data had not been committed to a segment)');
      },
      corruptSegment: (name, reason, kept) => {
        metrics.spoolCorruptSegments.inc();
        logger.error({ segment: name, reason, entriesKept: kept, dir: o.spool.dir }, 'damaged spool segment: sending the entries before the damage, moving the file to corrupt/');
      },
      writeFailed: (entries, err) => {
        this.drop(entries, 'spool_error');
        logger.error({ err: err.message, batches: entries.length, dir: o.spool.dir }, 'could not write a spool segment: its batches are lost');
      },
      written: (entries) => {
        let records = 0;
        for (const e of entries) records += e.records;
        metrics.batchesSpooled.inc(entries.length);
        metrics.recordsSpooled.inc(records);
      },
    });
    const pool = Math.max(1, o.producers);
    this.producers = new Array(pool).fill(undefined);
    this.producerIds = new Array(pool).fill(0);
    this.connecting = new Array(pool).fill(false);
    this.topicAdmin = new PacketsTopic(kafka, { topic: o.topic, create: o.createTopic, partitions: o.topicPartitions, replication: o.topicReplication });
  }

  /** Partition count batches are routed with now. */
  get partitionCount(): number {
    return this.partitions;
  }

  get spooling(): boolean {
    return this.spoolingNow;
  }

  /** Replay sources wait while this is true (memory full, or the spool full while spooling). */
  get congested(): boolean {
    if (this.held.length) return true;
    if (this.spoolingNow) return !this.spool.fits(this.o.batchMaxBytes * 2, this.memoryBytesN);
    return this.memoryBytesN >= this.o.queueMaxBytes;
  }

  /** Resolves once `congested` is false (or the publisher stops). */
  room(): Promise<void> {
    if (!this.congested || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Called when the topic's partition count changes (batchers re-route new records). */
  onPartitionCount(listener: (n: number) => void): void {
    this.partitionListeners.push(listener);
  }

  stats(): PublisherStats {
    return {
      spooling: this.spoolingNow, memoryBytes: this.memoryBytesN, memoryBatches: this.memoryCount, laneBatches: this.laneCount,
      spoolBytes: this.spool.bytes, spoolSegments: this.spool.segments.length, partitions: this.partitions,
    };
  }

  /**
   * Open the spool and learn the topic. Fails when the topic does not exist
   * (and may not be created) or Kafka refuses the credentials; an
   * unreachable Kafka is not an error (batches spool until it is back).
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('publisher already started');
    this.started = true;
    await this.spool.open();
    this.partitions = readRememberedPartitions(this.o.spool.dir, this.o.topic) ?? this.o.topicPartitions;
    try {
      await this.refreshTopic(true);
    } catch (err) {
      await this.topicAdmin.close();
      await this.spool.close();
      this.closed = true;
      throw err;
    }
    this.lastProgress = performance.now();
    if (!this.spool.empty) {
      this.spoolingNow = true;
      this.metrics.spooling.set(1);
      this.logger.info({ segments: this.spool.segments.length, bytes: this.spool.bytes, dir: this.o.spool.dir },
        'the spool holds batches from an earlier run: sending them first, new batches go behind them');
    }
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.tick.unref();
    void this.connectProducer(0);
  }

  /** Take a closed batch; from here on it is counted as published, spooled or dropped. */
  accept(entry: SpoolEntry): void {
    if (this.closed) {
      this.drop([entry], 'spool_error');
      this.logger.error('a batch arrived after the publisher stopped; it is lost');
      return;
    }
    const size = entrySize(entry);
    if (!this.spoolingNow && this.o.overflow === 'spool' && this.memoryBytesN + size > this.o.queueMaxBytes) {
      this.enterSpooling('memory queue full (Kafka slower than the capture)');
    }
    if (this.spoolingNow) {
      this.toSpool(entry);
      return;
    }
    const u = this.unit(entry, null, null);
    this.addToLane(u);
    this.pumpLane(entry.partition);
  }

  private unit(entry: SpoolEntry, origin: Unit['origin'], parent: Unit['parent']): Unit {
    return {
      seq: this.seq++, entry, size: entrySize(entry), origin, parent, acceptedAt: performance.now(),
      gen: -1, unknown: false, possibleDuplicate: false, solo: false,
    };
  }

  private lane(p: number): Lane {
    let l = this.lanes[p];
    if (!l) {
      l = new Lane();
      this.lanes[p] = l;
    }
    return l;
  }

  private addToLane(u: Unit, front = false): void {
    const l = this.lane(u.entry.partition);
    if (front) l.unshift([u]);
    else l.push(u);
    this.laneBytes += u.size;
    this.laneCount++;
    if (!durable(u)) {
      this.memoryBytesN += u.size;
      this.memoryCount++;
    }
  }

  /** A unit leaves the lanes (acknowledged, given up, re-routed or spooled). */
  private removeFromLanes(u: Unit): void {
    this.laneBytes -= u.size;
    this.laneCount--;
    if (!durable(u)) {
      this.memoryBytesN -= u.size;
      this.memoryCount--;
    }
  }

  private enterSpooling(reason: string): void {
    if (this.spoolingNow || this.closed) return;
    this.spoolingNow = true;
    this.metrics.spooling.set(1);
    // Memory batches not being sent go to the spool first, oldest first:
    // they precede, per partition, everything accepted from now on.
    const moving: Unit[] = [];
    for (const l of this.lanes) if (l) moving.push(...l.extract((u) => !durable(u)));
    moving.sort((a, b) => a.seq - b.seq);
    for (const u of moving) this.removeFromLanes(u);
    for (const u of moving) this.toSpool(u.entry);
    this.logger.warn({ reason, moved: moving.length, spoolBytes: this.spool.bytes }, 'spooling: new batches go to the on-disk spool until Kafka keeps up');
  }

  /**
   * Into the spool, behind everything already there. When it is full a live
   * capture drops the batch (counted); a replay holds it in memory, in order,
   * until there is room (the replay itself waits meanwhile, see `congested`).
   */
  private toSpool(entry: SpoolEntry): void {
    if (this.held.length === 0 && this.spool.append(entry, this.memoryBytesN)) return;
    if (this.o.overflow === 'wait') {
      this.held.push(entry);
      return;
    }
    this.spoolFull([entry]);
  }

  /** Held batches go to the spool as room frees up. */
  private releaseHeld(): void {
    let n = 0;
    while (n < this.held.length && this.spool.append(this.held[n], this.memoryBytesN)) n++;
    if (n) this.held.splice(0, n);
  }

  private spoolFull(entries: SpoolEntry[]): void {
    this.drop(entries, 'spool_full');
    const now = performance.now();
    if (now - this.lastSpoolFullLog > 10_000) {
      this.lastSpoolFullLog = now;
      this.logger.error({ spoolBytes: this.spool.bytes, maxBytes: this.o.spool.maxBytes, droppedRecordsTotal: this.metrics.recordsDropped.labels('spool_full').value },
        'spool full: dropping new batches (counted in records_dropped_total{reason="spool_full"}); raise --spool-max-bytes or fix Kafka');
    }
  }

  private lastSpoolFullLog = -Infinity;

  private drop(entries: SpoolEntry[], reason: DropReason): void {
    let records = 0;
    for (const e of entries) records += e.records;
    this.metrics.recordsDropped.labels(reason).inc(records);
    this.metrics.batchesDropped.labels(reason).inc(entries.length);
  }

  // ---- sending ------------------------------------------------------------

  private pumpLane(p: number): void {
    const l = this.lanes[p];
    if (!l || l.sending || this.closed) return;
    if (!l.group && l.length === 0) return;
    if (l.retryAt > performance.now()) return;
    const slot = p % this.producers.length;
    const producer = this.producers[slot];
    if (!producer) {
      void this.connectProducer(slot);
      return;
    }
    this.send(p, l, producer, slot);
  }

  private pumpAll(): void {
    for (let p = 0; p < this.lanes.length; p++) this.pumpLane(p);
  }

  /** The lane's next request: its oldest batches, re-routed first if the partition count changed. */
  private takeGroup(p: number, l: Lane): Unit[] | null {
    const group: Unit[] = [];
    let bytes = 0;
    for (let u = l.peek(); u; u = l.peek()) {
      if (u.gen < 0 && u.entry.partitionCount !== this.partitions) {
        l.shift();
        this.removeFromLanes(u);
        this.reroute(u);
        continue;
      }
      if (group.length && (u.solo || group[0].solo || bytes + u.size > this.groupMaxBytes)) break;
      group.push(l.shift());
      bytes += u.size;
    }
    void p;
    return group.length ? group : null;
  }

  private send(p: number, l: Lane, producer: Producer, slot: number): void {
    if (!l.group) l.group = this.takeGroup(p, l);
    const group = l.group;
    if (!group) return;
    const gen = this.producerIds[slot];
    for (const u of group) {
      if (u.gen >= 0 && u.gen !== gen && u.unknown) u.possibleDuplicate = true;
      u.gen = gen;
    }
    l.sending = true;
    l.sentAt = performance.now();
    this.inflightN++;
    producer.send({
      topic: this.o.topic,
      acks: -1,
      timeout: 30_000,
      compression: this.o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: group.map((u) => ({ key: u.entry.key, value: u.entry.value, partition: p })),
    }).then(
      () => this.sent(p, l, group),
      (err: unknown) => this.failed(p, l, group, err, slot, gen),
    );
  }

  private sent(p: number, l: Lane, group: Unit[]): void {
    l.sending = false;
    this.inflightN--;
    if (this.closed) return;
    l.group = null;
    l.failures = 0;
    l.retryAt = 0;
    const now = performance.now();
    this.lastProgress = now;
    this.metrics.kafkaUp.set(1);
    if (this.outageSince) {
      this.logger.info({ downForMs: Math.round(now - this.outageSince), spoolBytes: this.spool.bytes }, 'Kafka accepts batches again');
      this.outageSince = 0;
    }
    const wall = Date.now();
    for (const u of group) {
      this.removeFromLanes(u);
      this.metrics.batchesPublished.inc();
      this.metrics.recordsPublished.inc(u.entry.records);
      this.metrics.bytesPublished.inc(u.entry.value.length);
      this.metrics.publishLatency.observe(Math.max(0, wall - u.entry.sealedAt) / 1000);
      if (u.possibleDuplicate) this.metrics.possibleDuplicates.inc();
      this.settle(u);
      // Kafka has it and kafkajs copied it into its request: nothing reads this batch again.
      messageBuffers.release(u.entry.value);
    }
    this.wakeRoomWaiters();
    this.pumpLane(p);
    if (this.spoolingNow) void this.drain();
  }

  /** The unit is done with (acknowledged or given up): release its spool entry. */
  private settle(u: Unit): void {
    if (u.origin) {
      this.spool.ack(u.origin.seg, u.origin.index).catch((err: unknown) => {
        this.logger.error({ err: (err as Error).message, segment: u.origin?.seg.name }, 'could not retire a drained spool segment');
      });
    } else if (u.parent) {
      if (--u.parent.remaining === 0) this.settle(u.parent.unit);
    }
  }

  private failed(p: number, l: Lane, group: Unit[], err: unknown, slot: number, gen: number): void {
    l.sending = false;
    this.inflightN--;
    if (this.closed) return;
    this.metrics.sendErrors.inc();
    this.metrics.kafkaUp.set(0);
    const type = kafkaErrorType(err);
    const message = (err as Error)?.message ?? String(err);
    if (type === 'DUPLICATE_SEQUENCE_NUMBER') {
      // The broker already has this request (an earlier attempt landed).
      this.sent(p, l, group);
      return;
    }
    const now = performance.now();
    this.lastFailureAt = now;
    if (!this.outageSince) {
      this.outageSince = now;
      this.lastOutageLog = now;
      this.logger.warn({ err: message, type, partition: p }, 'Kafka send failed: resending the same batches, new batches go to the spool');
    }
    this.lastError = message;
    if (type && REJECTED.has(type)) {
      l.group = null;
      this.rejected(p, l, group, type, message);
      this.pumpLane(p);
      return;
    }
    for (const u of group) u.unknown = true;
    if (type && PRODUCER_FATAL.has(type) && gen === this.producerIds[slot]) this.replaceProducer(slot, `${type}: ${message}`);
    this.enterSpooling(`Kafka send failed: ${message}`);
    l.failures++;
    l.retryAt = now + Math.min(5000, 100 * 2 ** Math.min(l.failures, 6));
  }

  /** The broker refused the request: send batches alone, split batches, give up on single records. */
  private rejected(p: number, l: Lane, group: Unit[], type: string, message: string): void {
    if (group.length > 1) {
      for (const u of group) u.solo = true;
      for (const u of group) this.removeFromLanes(u);
      for (let i = group.length - 1; i >= 0; i--) this.addToLane(group[i], true);
      return;
    }
    const u = group[0];
    this.removeFromLanes(u);
    if (u.entry.records <= 1) {
      this.drop([u.entry], 'rejected');
      this.logger.error({ type, err: message, partition: p, bytes: u.entry.value.length }, 'Kafka rejected a single-record batch: it is dropped');
      this.settle(u);
      return;
    }
    const batch = this.decode(u);
    if (!batch) return;
    const half = Math.ceil(batch.records.length / 2);
    const parts = [batch.records.slice(0, half), batch.records.slice(half)];
    this.logger.warn({ type, records: batch.records.length, bytes: u.entry.value.length, partition: p }, 'Kafka rejected a batch: splitting it in two');
    const children = parts.map((records) => this.derive(u, batch, records, p, u.entry.partitionCount));
    for (let i = children.length - 1; i >= 0; i--) this.addToLane(children[i], true);
  }

  private decode(u: Unit): PacketBatch | undefined {
    try {
      return this.codec.decode<PacketBatch>(u.entry.value, SCHEMA_NAMES.packetBatch).value;
    } catch (err) {
      this.drop([u.entry], 'encode_error');
      this.logger.error({ err: (err as Error).message }, 'a batch to re-route or split does not decode: it is dropped');
      this.settle(u);
      return undefined;
    }
  }

  /** A new batch holding some records of `u` (new batch_seq of this run: it is a batch of its own). */
  private derive(u: Unit, batch: PacketBatch, records: PacketBatch['records'], partition: number, partitionCount: number): Unit {
    const value = this.codec.encode(SCHEMA_NAMES.packetBatch, { ...batch, agent_run: this.o.agentRun, batch_seq: this.o.nextBatchSeq(), records });
    const entry: SpoolEntry = { partition, partitionCount, records: records.length, sealedAt: u.entry.sealedAt, key: u.entry.key, value };
    const parent = durable(u) ? this.parentRef(u) : null;
    const child = this.unit(entry, null, parent);
    if (parent) parent.remaining++;
    child.seq = u.seq;
    return child;
  }

  private parentRefs = new WeakMap<Unit, { unit: Unit; remaining: number }>();

  private parentRef(u: Unit): { unit: Unit; remaining: number } {
    let r = this.parentRefs.get(u);
    if (!r) {
      r = { unit: u, remaining: 0 };
      this.parentRefs.set(u, r);
    }
    return r;
  }

  /** Route the records of a batch closed under another partition count again. */
  private reroute(u: Unit): void {
    const batch = this.decode(u);
    if (!batch) return;
    const router = new RecordRouter(batch.agent_id, batch.interface);
    const byPartition = new Map<number, PacketBatch['records']>();
    for (const r of batch.records) {
      const p = router.partitionOf(r, this.partitions);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(r);
    }
    this.metrics.repartitioned.inc();
    const children = [...byPartition].map(([p, records]) => this.derive(u, batch, records, p, this.partitions));
    for (const c of children) this.addToLane(c);
  }

  private replaceProducer(slot: number, reason: string): void {
    const old = this.producers[slot];
    this.producers[slot] = undefined;
    this.logger.warn({ reason, producer: slot }, 'replacing a Kafka producer (batches in doubt are resent under the new producer id and may repeat)');
    void old?.disconnect().catch(() => {});
    void this.connectProducer(slot);
  }

  private async connectProducer(slot: number): Promise<void> {
    if (this.connecting[slot] || this.producers[slot] || this.closed) return;
    this.connecting[slot] = true;
    let attempt = 0;
    try {
      while (!this.closed) {
        const producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
        });
        try {
          await producer.connect();
          if (this.closed) {
            await producer.disconnect().catch(() => {});
            return;
          }
          this.producers[slot] = producer;
          this.producerIds[slot] = ++this.producerSerial;
          this.pumpAll();
          return;
        } catch (err) {
          await producer.disconnect().catch(() => {});
          if (attempt++ === 0) this.logger.warn({ err: (err as Error).message }, 'cannot reach Kafka yet: spooling until it answers');
          if (!this.outageSince) this.outageSince = performance.now();
          this.metrics.kafkaUp.set(0);
          await this.sleep(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
        }
      }
    } finally {
      this.connecting[slot] = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = { timer: setTimeout(() => { this.sleepers.delete(s); resolve(); }, ms), resolve };
      this.sleepers.add(s);
    });
  }

  private async refreshTopic(atStart = false): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    this.lastRefresh = performance.now();
    try {
      const info = await this.topicAdmin.describe();
      this.topicProblem = undefined;
      this.groupMaxBytes = Math.max(4096, info.maxMessageBytes - 4096);
      if (atStart && this.o.batchMaxBytes > info.maxMessageBytes - 1024) {
        this.logger.warn({ batchMaxBytes: this.o.batchMaxBytes, maxMessageBytes: info.maxMessageBytes },
          'batches may exceed the topic\'s max.message.bytes: lower --batch-max-bytes (oversized batches are split, which costs time)');
      }
      if (info.partitions !== this.partitions) {
        if (!atStart || readRememberedPartitions(this.o.spool.dir, this.o.topic) !== undefined) {
          this.logger.warn({ from: this.partitions, to: info.partitions }, 'the packets topic\'s partition count changed: routing new batches by the new count');
        }
        this.partitions = info.partitions;
        for (const f of this.partitionListeners) f(info.partitions);
      }
      rememberPartitions(this.o.spool.dir, this.o.topic, info.partitions);
    } catch (err) {
      const e = err as Error;
      if (atStart && (err instanceof TopicMissingError || FATAL_AT_START.has(e.name) || kafkaErrorType(err) === 'TOPIC_AUTHORIZATION_FAILED')) throw err;
      if (err instanceof TopicMissingError) {
        if (this.topicProblem !== e.message) this.logger.error(e.message);
        this.topicProblem = e.message;
      } else if (atStart) {
        this.logger.warn({ err: e.message, assumedPartitions: this.partitions }, 'cannot reach Kafka at start: spooling until it answers');
      }
    } finally {
      this.refreshing = false;
    }
  }

  // ---- the spool ------------------------------------------------------------

  /** Load spooled batches into the lanes while memory allows; back to direct sending once the spool is empty. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.spoolingNow && !this.closed && (!this.stopping || this.drainSpoolOnStop)) {
        if (this.laneBytes >= this.o.queueMaxBytes / 2) break;
        const next = this.spool.segments.find((s) => !this.loaded.has(s.id));
        if (next) {
          this.loaded.add(next.id);
          let seg;
          try {
            seg = await this.spool.load(next);
          } catch (err) {
            this.logger.error({ err: (err as Error).message, segment: next.name }, 'cannot read a spool segment; it stays for the next attempt');
            this.loaded.delete(next.id);
            break;
          }
          if (this.closed) return;
          for (const { index, entry } of seg.entries) this.addToLane(this.unit(entry, { seg: next, index }, null));
          this.pumpAll();
          continue;
        }
        for (const id of this.loaded) if (!this.spool.segments.some((s) => s.id === id)) this.loaded.delete(id);
        if (this.spool.onlyPending && this.loaded.size === 0 && this.kafkaHealthy()) {
          // Everything on disk is acknowledged: what is pending is the oldest
          // spooled data and goes to the lanes from memory.
          for (const entry of [...this.spool.takePending(), ...this.held.splice(0)]) this.addToLane(this.unit(entry, null, null));
          this.spoolingNow = false;
          this.metrics.spooling.set(0);
          this.logger.info('spool drained: sending new batches directly again');
          this.pumpAll();
        }
        break;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Kafka has taken batches lately and nothing is failing or stuck: spooling may end. */
  private kafkaHealthy(): boolean {
    if (!this.producers[0] || this.outageSince) return false;
    const now = performance.now();
    if (now - this.lastFailureAt < this.o.spoolAfterMs) return false;
    for (const l of this.lanes) if (l && (l.failures > 0 || (l.sending && now - l.sentAt > this.o.spoolAfterMs))) return false;
    return true;
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0 || (this.congested && !this.closed)) return;
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  private onTick(): void {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastRefresh > (this.topicProblem ? 5000 : METADATA_REFRESH_MS)) void this.refreshTopic();
    if (!this.spoolingNow) {
      for (let p = 0; p < this.lanes.length; p++) {
        const l = this.lanes[p];
        if (!l) continue;
        // A replay only spools when Kafka cannot be reached; when it is merely slow the replay waits.
        if (this.o.overflow === 'wait' && this.producers[p % this.producers.length]) continue;
        const waitingSince = l.sending ? l.sentAt : l.group ? l.group[0].acceptedAt : l.peek()?.acceptedAt;
        if (waitingSince !== undefined && now - waitingSince > this.o.spoolAfterMs) {
          this.enterSpooling(l.sending ? `a Kafka send has been waiting more than ${this.o.spoolAfterMs} ms`
            : this.producers[p % this.producers.length] ? 'batches have waited for Kafka too long' : 'Kafka cannot be reached');
          break;
        }
      }
    }
    this.pumpAll();
    if (this.held.length) this.releaseHeld();
    if (this.spoolingNow) void this.drain();
    if (now - this.lastAckSave > ACK_SAVE_MS) {
      this.lastAckSave = now;
      void this.spool.saveAcks().catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'cannot save spool acknowledgements'));
    }
    if (this.outageSince && now - this.lastOutageLog > OUTAGE_LOG_MS) {
      this.lastOutageLog = now;
      this.logger.warn({ downForMs: Math.round(now - this.outageSince), lastError: this.lastError, spoolBytes: this.spool.bytes, spoolSegments: this.spool.segments.length },
        'Kafka still unavailable: spooling');
    }
    this.updateGauges();
    this.wakeRoomWaiters();
  }

  updateGauges(): void {
    this.metrics.spoolBytes.set(this.spool.bytes);
    this.metrics.spoolSegments.set(this.spool.segments.length);
    this.metrics.queueBytes.set(this.laneBytes);
    this.metrics.inflight.set(this.inflightN);
  }

  /** Healthy unless the topic is missing. */
  get healthy(): boolean {
    return !this.topicProblem;
  }

  /**
   * Stop: wait until Kafka acknowledged what memory holds (with `drainSpool`,
   * the spool too), giving up after `drainTimeoutMs` without progress; spool
   * the rest; close the spool and the Kafka clients. Idempotent.
   */
  async stop(opts: { drainSpool?: boolean } = {}): Promise<void> {
    if (this.stopping) return this.stopped;
    this.stopping = true;
    this.drainSpoolOnStop = !!opts.drainSpool;
    this.stopped = this.doStop();
    return this.stopped;
  }

  private stopped: Promise<void> = Promise.resolve();

  /** A stop that was draining the spool leaves the rest of it for the next run (a second stop request). */
  stopDrainingSpool(): void {
    this.drainSpoolOnStop = false;
  }

  private async doStop(): Promise<void> {
    if (!this.started || this.closed) return;
    const start = performance.now();
    const done = () => this.memoryCount === 0 && (!this.drainSpoolOnStop || (this.spool.empty && this.laneCount === 0));
    while (!done()) {
      const idleSince = Math.max(this.lastProgress, start);
      if (performance.now() - idleSince > this.o.drainTimeoutMs) break;
      if (this.drainSpoolOnStop && this.spoolingNow) void this.drain();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.closed = true;
    if (this.tick) clearInterval(this.tick);
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleepers.clear();
    const leftovers: Unit[] = [];
    for (const l of this.lanes) {
      if (!l) continue;
      if (l.group) leftovers.push(...l.group.filter((u) => !durable(u)));
      leftovers.push(...l.waiting().filter((u) => !durable(u)));
    }
    leftovers.sort((a, b) => a.seq - b.seq);
    if (leftovers.length) {
      const inDoubt = leftovers.filter((u) => u.gen >= 0).length;
      this.logger.warn({ batches: leftovers.length, inDoubt, waitedMs: Math.round(performance.now() - start) },
        'Kafka did not acknowledge everything in time: spooling the rest for the next run (batches in doubt may repeat, with the same agent_run and batch_seq)');
      await this.spool.prepend(leftovers.map((u) => u.entry));
    }
    if (this.held.length) {
      // A replay's batches waiting for room: what still fits goes in, the rest is counted (the file can be replayed again).
      const held = this.held.splice(0);
      let n = 0;
      while (n < held.length && this.spool.append(held[n])) n++;
      if (n < held.length) {
        this.spoolFull(held.slice(n));
        this.logger.error({ batches: held.length - n, spoolBytes: this.spool.bytes, maxBytes: this.o.spool.maxBytes },
          'spool full at stop: the replay\'s last batches are dropped (counted in records_dropped_total{reason="spool_full"})');
      }
    }
    await this.spool.close();
    this.updateGauges();
    for (const f of this.roomWaiters) f();
    this.roomWaiters = [];
    const producers = this.producers.splice(0, this.producers.length, ...new Array(this.producers.length).fill(undefined));
    await Promise.all([...producers.map((p) => p?.disconnect().catch(() => {})), this.topicAdmin.close()]);
    this.logger.info({ spoolBytes: this.spool.bytes, spoolSegments: this.spool.segments.length }, 'publisher stopped');
  }
}
