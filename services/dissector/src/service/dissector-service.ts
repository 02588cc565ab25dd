/**
 * The dissector as a Kafka service: packets topic in, enriched topic out,
 * exactly once.
 *
 * Each fetched batch of one input partition is one Kafka transaction: the
 * enriched messages, any dead letters, and the input offsets
 * (`sendOffsets`) commit together or not at all, so a worker killed mid-batch
 * leaves nothing visible to read_committed consumers and its successor redoes
 * the batch. kafkajs has no group-metadata fencing (KIP-447), so fencing uses
 * the classic scheme: one transactional producer per input partition with
 * transactional.id `<group>.<topic>.<partition>`; when a partition moves, the
 * new owner's producer bumps the epoch and a zombie's commit fails.
 *
 * Enriched records are re-routed with the same RecordRouter as the agent, so
 * the enriched topic keeps every flow in one partition whatever its partition
 * count. Given a Dissector, each message goes through a MessageDissector
 * (record by record, nothing kept between records); given any other batch
 * transform, through decode → transform → EnrichedRouter.
 */
import { hostname } from 'node:os';
import type { Consumer, EachBatchPayload, Kafka, Producer, Transaction } from 'kafkajs';
import {
  AvroDecodeError, AvroSchemaError, MetricsRegistry, produceGroups, topicNames,
  type EnrichedBatch, type Logger, type PacketBatch, type Service, type TopicNames,
} from '@streamlens/common';
import { DissectorBatchCodec } from '../batch-codec.js';
import { Dissector } from '../dissect.js';
import { EnrichedRouter, type RoutedMessage } from '../enriched-router.js';
import { MessageDissector } from '../message-dissector.js';

/** The per-batch transform (the Dissector); must not throw for bad records (it marks them). */
export type BatchTransform = (batch: PacketBatch) => EnrichedBatch;

export interface DissectorServiceConfig {
  topicPrefix: string;
  groupId: string;
  instanceId: string;
  createTopics: boolean;
  enrichedPartitions?: number;
  replicationFactor: number;
  transactionTimeout: number;
  maxBatchBytes: number;
  /** Input partitions processed at once (each has its own transactional producer). */
  concurrency: number;
  /** Consumer session timeout, ms. */
  sessionTimeout?: number;
  /** Bytes of messages to one partition per produce request (default DEFAULT_PRODUCE_BATCH_BYTES). */
  produceBatchBytes?: number;
}

export class DissectorServiceMetrics {
  readonly registry = new MetricsRegistry('streamlens_dissector_');
  readonly messagesIn = this.registry.counter('messages_in_total', 'packets-topic messages consumed');
  readonly recordsIn = this.registry.counter('records_in_total', 'packet records consumed');
  readonly recordsOut = this.registry.counter('records_out_total', 'enriched records produced');
  readonly messagesOut = this.registry.counter('messages_out_total', 'enriched-topic messages produced');
  readonly deadLetters = this.registry.counter('dead_letters_total', 'messages sent to the DLQ, by reason (unknown_schema, malformed_avro, dissect_failed)', ['reason']);
  readonly transactions = this.registry.counter('transactions_total', 'Kafka transactions, by outcome', ['outcome']);
  readonly batchSeconds = this.registry.histogram('batch_seconds', 'time to dissect and commit one fetched batch', [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]);
  readonly assigned = this.registry.gauge('assigned_partitions', 'input partitions owned by this worker');
}

interface Outgoing { topic: string; messages: { partition?: number; key?: string; value: Buffer; headers?: Record<string, string> }[] }

export class DissectorService implements Service {
  readonly metrics = new DissectorServiceMetrics();
  /** Compiled Avro reader/writer; packet records pass through from the input message when a batch stays whole. */
  private readonly codec = new DissectorBatchCodec();
  private readonly topics: TopicNames;
  private consumer?: Consumer;
  private readonly producers = new Map<number, Promise<Producer>>();
  private readonly router: EnrichedRouter;
  /** The streaming path, when the transform is a Dissector. */
  private readonly stage: MessageDissector | null;
  private readonly transform: BatchTransform | null;
  private running = false;
  /** start() in progress or done (stop() waits for it: a SIGTERM during start-up must still stop the worker). */
  private starting: Promise<void> | null = null;
  private stopRequested = false;

  constructor(
    private readonly kafka: Kafka,
    transform: Dissector | BatchTransform,
    private readonly config: DissectorServiceConfig,
    private readonly logger: Logger,
  ) {
    this.topics = topicNames(config.topicPrefix);
    this.router = new EnrichedRouter(this.codec, 1);
    this.stage = transform instanceof Dissector ? new MessageDissector(transform, this.codec.codec, 1) : null;
    this.transform = transform instanceof Dissector ? null : transform;
  }

  static defaultInstanceId(): string {
    return `${hostname()}-${process.pid}`;
  }

  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  /** Each step checks for a stop() that came meanwhile: the consumer must not start running after it. */
  private async doStart(): Promise<void> {
    await this.prepareTopics();
    if (this.stopRequested) return;
    const consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      readUncommitted: false,
      maxBytesPerPartition: this.config.maxBatchBytes,
      maxBytes: this.config.maxBatchBytes * 4,
      ...(this.config.sessionTimeout ? { sessionTimeout: this.config.sessionTimeout, heartbeatInterval: Math.max(500, Math.floor(this.config.sessionTimeout / 10)) } : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment[this.topics.packets] ?? [];
      this.metrics.assigned.set(assignment.length);
      this.logger.info({ partitions: assignment }, 'joined group');
      void this.releaseProducers(new Set(assignment));
    });
    await consumer.connect();
    if (this.stopRequested) return;
    await consumer.subscribe({ topic: this.topics.packets, fromBeginning: true });
    if (this.stopRequested) return;
    this.running = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.concurrency,
      eachBatch: (payload) => this.processBatch(payload),
    });
    this.logger.info({ in: this.topics.packets, out: this.topics.enriched, group: this.config.groupId }, 'dissector running');
  }

  private async prepareTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      if (!existing.has(this.topics.packets)) {
        throw new Error(`input topic ${this.topics.packets} does not exist (start an agent with --create-topics, or create it)`);
      }
      const [packetsMeta] = (await admin.fetchTopicMetadata({ topics: [this.topics.packets] })).topics;
      const wanted = [
        { topic: this.topics.enriched, numPartitions: this.config.enrichedPartitions ?? packetsMeta.partitions.length },
        { topic: this.topics.dlq, numPartitions: 1 },
      ].filter((t) => !existing.has(t.topic));
      if (wanted.length) {
        if (!this.config.createTopics) throw new Error(`missing topics ${wanted.map((t) => t.topic).join(', ')} (or pass --create-topics)`);
        await admin.createTopics({ topics: wanted.map((t) => ({ ...t, replicationFactor: this.config.replicationFactor })), waitForLeaders: true });
      }
      const [enrichedMeta] = (await admin.fetchTopicMetadata({ topics: [this.topics.enriched] })).topics;
      this.router.partitionCount = enrichedMeta.partitions.length;
      if (this.stage) this.stage.partitionCount = enrichedMeta.partitions.length;
    } finally {
      await admin.disconnect();
    }
  }

  private producerFor(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      p = (async () => {
        const producer = this.kafka.producer({
          transactionalId: `${this.config.groupId}.${this.topics.packets}.${partition}`,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: this.config.transactionTimeout,
        });
        await producer.connect();
        return producer;
      })();
      this.producers.set(partition, p);
      p.catch(() => this.producers.delete(partition));
    }
    return p;
  }

  private async releaseProducers(keep: Set<number>): Promise<void> {
    for (const [partition, p] of this.producers) {
      if (keep.has(partition)) continue;
      this.producers.delete(partition);
      await p.then((producer) => producer.disconnect()).catch(() => {});
    }
  }

  private async processBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const started = performance.now();
    const enriched: Outgoing = { topic: this.topics.enriched, messages: [] };
    const dlq: Outgoing = { topic: this.topics.dlq, messages: [] };
    let records = 0;
    let recordsOut = 0;
    for (const m of batch.messages) {
      if (!m.value) continue;
      let done: { records: number; messages: RoutedMessage[] };
      try {
        done = this.dissect(m.value);
      } catch (err) {
        // Anything else is a dissector or encoder bug on this message: it goes to the DLQ rather than stopping the partition.
        const reason = err instanceof AvroSchemaError ? 'unknown_schema' : err instanceof AvroDecodeError ? 'malformed_avro' : 'dissect_failed';
        if (reason === 'dissect_failed') this.logger.error({ err, source: `${batch.topic}/${batch.partition}/${m.offset}` }, 'dissection failed; message sent to the DLQ');
        this.metrics.deadLetters.labels(reason).inc();
        dlq.messages.push({
          key: m.key?.toString(), value: m.value,
          headers: {
            'streamlens-reason': reason, 'streamlens-error': (err as Error).message.slice(0, 1000),
            'streamlens-source': `${batch.topic}/${batch.partition}/${m.offset}`, 'streamlens-stage': 'dissector',
          },
        });
        continue;
      }
      records += done.records;
      recordsOut += done.records;
      for (const out of done.messages) enriched.messages.push(out);
    }
    const last = batch.messages[batch.messages.length - 1].offset;
    const producer = await this.producerFor(batch.partition);
    let tx: Transaction | undefined;
    try {
      tx = await producer.transaction();
      await this.sendBounded(tx, enriched);
      await this.sendBounded(tx, dlq);
      await tx.sendOffsets({
        consumerGroupId: this.config.groupId,
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
      });
      await tx.commit();
    } catch (err) {
      this.metrics.transactions.labels('aborted').inc();
      if (tx?.isActive()) await tx.abort().catch(() => {});
      // Drop the producer: a fenced or broken one is not reusable. kafkajs
      // retries the batch from the last committed offset.
      this.producers.delete(batch.partition);
      await producer.disconnect().catch(() => {});
      this.logger.warn({ err, partition: batch.partition, firstOffset: batch.firstOffset() }, 'transaction failed; the batch will be retried');
      throw err;
    }
    // The offsets are committed by the transaction; tell the fetcher to move on.
    resolveOffset(last);
    this.metrics.transactions.labels('committed').inc();
    this.metrics.messagesIn.inc(batch.messages.length);
    this.metrics.recordsIn.inc(records);
    this.metrics.messagesOut.inc(enriched.messages.length);
    this.metrics.recordsOut.inc(recordsOut);
    this.metrics.batchSeconds.observe((performance.now() - started) / 1000);
    await heartbeat();
  }

  /** Sends `out` in the transaction, in order, in requests the broker accepts (produceGroups). */
  private async sendBounded(tx: Transaction, out: Outgoing): Promise<void> {
    for (const messages of produceGroups(out.messages, this.config.produceBatchBytes)) await tx.send({ topic: out.topic, acks: -1, messages });
  }

  /** The enriched messages of one packets message; AvroSchemaError / AvroDecodeError before anything is dissected. */
  private dissect(value: Buffer): { records: number; messages: RoutedMessage[] } {
    if (this.stage) return this.stage.dissect(value);
    const decoded = this.codec.decodePacketBatch(value);
    const out = this.transform!(decoded);
    return { records: out.records.length, messages: this.router.route(out, decoded) };
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.starting?.catch(() => {});
    if (this.running) {
      this.running = false;
      // kafkajs waits for the batch in flight before stopping.
      await this.consumer?.stop();
    }
    await this.consumer?.disconnect();
    await this.releaseProducers(new Set());
  }
}
