/**
 * Alert records onto the alerts topic, exactly once across crashes and
 * rebalances.
 *
 * An epoch's alerts are a deterministic function of its intent (its rows
 * are), and they are published after its rows are written and before the
 * checkpoint that follows it. Per enriched partition one transactional
 * producer (transactional.id `<group>.alerts.<topic>.<partition>`) sends an
 * epoch's alert records and, in the same transaction, commits the epoch's
 * number as offset metadata for the partition in the consumer group
 * `<group>.alerts` (sendOffsets). The records and the progress mark become
 * visible together or not at all.
 *
 * A new owner of the partition creates the producer first (InitProducerId
 * fences the previous owner's producer and completes or aborts its open
 * transaction), then reads the progress mark: replayed epochs at or below it
 * were published already and are skipped, later ones are published. A zombie
 * that lost the partition cannot commit after that (ProducerFenced), and the
 * epochs it sealed but never committed in Kafka are not on the intent chain.
 */
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import { AvroCodec, produceGroups, SCHEMA_NAMES, type AlertRecord, type Logger } from '@streamlens/common';
import type { AlertRow } from './alert-evaluator.js';

const PROGRESS_PREFIX = 'streamlens-alerts:v1:';

export interface AlertPublisherConfig {
  groupId: string;
  /** The enriched topic (whose partitions own the alerts). */
  sourceTopic: string;
  /** The alerts topic. */
  alertsTopic: string;
  transactionTimeoutMs?: number;
}

/** Display text of an address as stored ('::ffff:a.b.c.d' → 'a.b.c.d', '::' → ''). */
function addr(text: string): string {
  if (text === '::') return '';
  return text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}

export function alertRecordOf(r: AlertRow): AlertRecord {
  return {
    agent_id: r.agent_id, interface: r.interface, ts_ns: BigInt(r.ts_ns), alert_id: r.alert_id, rule: r.rule, state: r.state,
    severity: r.severity, metric: r.metric, value: r.value, threshold: r.threshold, comparison: r.comparison,
    window_start_ns: BigInt(r.window_start_ns), window_ns: r.window_ns, fired_at_ns: BigInt(r.fired_at_ns || r.ts_ns), kind: r.kind,
    src: addr(r.src_ip), dst: addr(r.dst_ip), stream_id: r.stream_id, domain: r.domain, clock_id: r.clock_id, port_number: r.port_number,
    message_type: r.message_type, keyed_by: r.keyed_by, stream: r.stream,
  };
}

export class AlertPublisher {
  private readonly codec = AvroCodec.forStreamLens();
  private readonly producers = new Map<number, Promise<Producer>>();
  readonly progressGroup: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly config: AlertPublisherConfig,
    private readonly logger: Logger,
  ) {
    this.progressGroup = `${config.groupId}.alerts`;
  }

  private producerFor(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      p = (async () => {
        const producer = this.kafka.producer({
          transactionalId: `${this.config.groupId}.alerts.${this.config.sourceTopic}.${partition}`,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: this.config.transactionTimeoutMs ?? 60_000,
        });
        await producer.connect();
        return producer;
      })();
      this.producers.set(partition, p);
      p.catch(() => this.producers.delete(partition));
    }
    return p;
  }

  /**
   * Take over a partition: fence any earlier producer of it, then return the
   * newest epoch whose alerts are published (0: none).
   */
  async acquire(partition: number): Promise<number> {
    await this.drop(partition);
    await this.producerFor(partition);
    const res = await this.admin.fetchOffsets({ groupId: this.progressGroup, topics: [this.config.sourceTopic] });
    const entry = res.find((t) => t.topic === this.config.sourceTopic)?.partitions.find((x) => x.partition === partition);
    const meta = entry?.metadata;
    if (!meta || !meta.startsWith(PROGRESS_PREFIX)) return 0;
    const epoch = Number(meta.slice(PROGRESS_PREFIX.length));
    return Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : 0;
  }

  /**
   * Publish the alerts of one partition's epochs (oldest first) in one
   * transaction with the progress mark of the newest epoch. Throws when the
   * producer was fenced or Kafka failed (the transaction is aborted).
   */
  async publish(partition: number, epochs: readonly { epoch: number; nextOffset: number | null; alerts: readonly AlertRow[] }[]): Promise<number> {
    const last = epochs[epochs.length - 1];
    const producer = await this.producerFor(partition);
    let tx: Transaction | undefined;
    let sent = 0;
    try {
      tx = await producer.transaction();
      const messages = epochs.flatMap((e) => e.alerts.map((r) => ({
        key: `${r.agent_id}/${r.interface}`,
        value: this.codec.encode(SCHEMA_NAMES.alertRecord, alertRecordOf(r)),
        headers: { 'streamlens-alert-id': r.alert_id, 'streamlens-state': r.state },
      })));
      sent = messages.length;
      for (const group of produceGroups(messages)) await tx.send({ topic: this.config.alertsTopic, acks: -1, messages: group });
      await tx.sendOffsets({
        consumerGroupId: this.progressGroup,
        topics: [{ topic: this.config.sourceTopic, partitions: [{ partition, offset: String(Math.max(0, last.nextOffset ?? 0)), metadata: `${PROGRESS_PREFIX}${last.epoch}` } as never] }],
      });
      await tx.commit();
    } catch (err) {
      if (tx?.isActive()) await tx.abort().catch(() => {});
      await this.drop(partition);
      this.logger.warn({ err: (err as Error).message, partition }, 'publishing alerts failed (fenced by a new owner, or Kafka failed)');
      throw err;
    }
    return sent;
  }

  private async drop(partition: number): Promise<void> {
    const p = this.producers.get(partition);
    if (!p) return;
    this.producers.delete(partition);
    await p.then((producer) => producer.disconnect()).catch(() => {});
  }

  /** Disconnect the producers of partitions not in `keep`. */
  async release(keep: ReadonlySet<number> = new Set()): Promise<void> {
    for (const partition of [...this.producers.keys()]) if (!keep.has(partition)) await this.drop(partition);
  }
}
