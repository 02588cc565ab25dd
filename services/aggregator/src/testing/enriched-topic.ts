/**
 * Test and benchmark plumbing around a real Kafka: create an enriched topic
 * and publish routed batches to it as the dissector would (Avro
 * single-object messages, one partition per routing key).
 */
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, createLogger, loadConfig, SCHEMA_NAMES, type ServerSqlClient, type SqlClient } from '@streamlens/common';
import { aggregatorOptions } from '../aggregator-options.js';
import { AggregatorService } from '../aggregator-service.js';
import type { RoutedBatch } from './synthetic-traffic.js';

export async function createTopics(kafka: Kafka, topics: { topic: string; partitions: number }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface PublishOptions {
  /** Write with Kafka transactions as the dissector does (commit markers between the messages). */
  transactional?: boolean;
  /** With transactional: after every this many committed transactions, one aborted transaction of junk. */
  abortEvery?: number;
}

/**
 * Publish batches in order (per partition order is what matters). Returns
 * the messages sent. Aborted junk carries agent_id "aborted", so a consumer
 * that is not read_committed shows it in the results.
 */
export async function publishBatches(kafka: Kafka, topic: string, batches: readonly RoutedBatch[], extra: { partition: number; value: Buffer }[] = [],
  o: PublishOptions = {}): Promise<number> {
  const codec = AvroCodec.forStreamLens();
  const messages = batches.map((b) => ({
    partition: b.partition, key: `${b.batch.agent_id}/${b.batch.interface}`, value: codec.encode(SCHEMA_NAMES.enrichedBatch, b.batch),
  }));
  for (const e of extra) messages.push({ partition: e.partition, key: 'bad', value: e.value });
  if (!o.transactional) {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    } finally {
      await producer.disconnect();
    }
    return messages.length;
  }
  const producer = kafka.producer({ transactionalId: `${topic}-writer-${Math.random().toString(36).slice(2)}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    let committed = 0;
    for (let i = 0; i < messages.length; i += 40) {
      const tx = await producer.transaction();
      await tx.send({ topic, acks: -1, messages: messages.slice(i, i + 40) });
      await tx.commit();
      committed++;
      if (o.abortEvery && committed % o.abortEvery === 0) {
        const junk = batches.slice(i, i + 5).map((b) => ({
          partition: b.partition, key: 'aborted', value: codec.encode(SCHEMA_NAMES.enrichedBatch, { ...b.batch, agent_id: 'aborted' }),
        }));
        const ab = await producer.transaction();
        await ab.send({ topic, acks: -1, messages: junk });
        await ab.abort();
      }
    }
    return messages.length;
  } finally {
    await producer.disconnect();
  }
}

/**
 * Publish already encoded messages (the benchmarks' cached workloads) in
 * order: one message per request, so a request stays below the broker's
 * 1 MB limit whatever the batch size, 32 requests in flight.
 */
export async function publishEncoded(kafka: Kafka, topic: string, messages: readonly { partition: number; value: Buffer }[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const pending: Promise<unknown>[] = [];
    for (const m of messages) {
      pending.push(producer.send({ topic, acks: -1, messages: [{ partition: m.partition, value: m.value }] }));
      if (pending.length >= 32) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  } finally {
    await producer.disconnect();
  }
}

/** Poll `probe` until it returns true (or throw after `timeoutMs`). */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

/**
 * Wait until the aggregator writing `database` records a new epoch intent
 * (true) or `timeoutMs` passes (false). A SIGKILL right then lands before
 * its next checkpoint can cover that epoch, so the restart must replay it;
 * random kill moments alone may all land after a checkpoint.
 */
export async function waitForNewIntent(sql: SqlClient, database: string, timeoutMs: number): Promise<boolean> {
  const intents = async (): Promise<number> => {
    const [r] = await sql.query<{ i: string }>(`SELECT count() AS i FROM ${database}.aggregator_intents`).catch(() => [{ i: '0' }]);
    return Number(r.i);
  };
  const before = await intents();
  return waitFor('a new epoch intent', async () => (await intents()) > before, timeoutMs, 10).then(() => true, () => false);
}

/**
 * Wait for the moment to SIGKILL the `i`-th aggregator process of a crash
 * test: the first and third right after a new epoch intent (by the third the
 * input may all be sealed: then after 5 s), the others after a random delay
 * below `maxDelayMs`. Returns the moment, as text for the test's report.
 */
export async function killMoment(i: number, sql: SqlClient, database: string, rand: () => number, maxDelayMs: number): Promise<string> {
  if (i === 0 || i === 2) {
    const fresh = await waitForNewIntent(sql, database, i === 0 ? 60_000 : 5_000);
    return fresh ? 'a new intent' : 'no new intent in 5 s';
  }
  const delay = Math.floor(rand() * maxDelayMs);
  await new Promise((r) => setTimeout(r, delay));
  return `${delay} ms`;
}

/**
 * An AggregatorService for a benchmark: the topics under `topicPrefix` into `database` as a new consumer group,
 * every record accepted (no future-skew check), windows closed after 1 s idle, no metrics port, warnings only.
 */
export function benchAggregatorService(o: {
  sql: ServerSqlClient; clickhouseUrl: string; brokers: string[]; topicPrefix: string; database: string; groupId: string; streamHealth?: boolean;
}): AggregatorService {
  const config = loadConfig(aggregatorOptions, {
    argv: ['--topic-prefix', o.topicPrefix, '--database', o.database, '--group-id', o.groupId, '--metrics-port', '0', '--max-future-skew', '0',
      '--idle-timeout', '1s', '--clickhouse-url', o.clickhouseUrl, '--kafka-brokers', o.brokers.join(','),
      ...(o.streamHealth === false ? ['--no-stream-health'] : [])],
    env: {},
  }).config;
  return new AggregatorService(config, {
    sql: o.sql, kafka: new Kafka({ clientId: 'bench-aggregator', brokers: o.brokers, logLevel: logLevel.NOTHING }),
    logger: createLogger({ service: 'bench', level: 'warn' }),
  });
}
