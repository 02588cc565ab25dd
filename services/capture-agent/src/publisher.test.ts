/**
 * The publisher against a real Kafka: order and content per partition, the
 * spool when Kafka cannot be reached (atomic, bounded, drops counted), and a
 * later run draining what an earlier one spooled.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, createLogger, SCHEMA_NAMES, type PacketBatch } from '@streamlens/common';
import { samplePacketRecord } from '@streamlens/common/testing';
import { testBrokers, uniqueName } from '../../../test/harness/context.js';
import { decodeBatch, readTopic } from '../test-fixtures/topic-reader.js';
import { AgentMetrics } from './agent-metrics.js';
import { Batcher, type SealedBatch } from './batcher.js';
import { messageBuffers } from './message-buffers.js';
import { Publisher, type PublisherOptions } from './publisher.js';

const codec = AvroCodec.forStreamLens();
const logger = createLogger({ service: 'agent-test', level: 'silent' });
const digest = (b: Buffer) => createHash('sha1').update(b).digest('hex').slice(0, 16);

/** `n` batches of `per` records, routed over `partitions`, in the order a capture would close them. */
function batches(n: number, per: number, partitions: number, run = 'run-a'): SealedBatch[] {
  const out: SealedBatch[] = [];
  let seq = 0;
  const b = new Batcher(codec, {
    agentId: 'edge', agentRun: run, interfaceName: 'eth0', linkType: 1, sampleRate: 1, maxRecords: per, maxBytes: 1 << 20,
    lingerMs: 1e9, partitionCount: partitions, nextBatchSeq: () => seq++, onSealed: (x) => out.push(x),
  });
  for (let i = 0; out.length < n; i++) {
    const r = samplePacketRecord(i);
    r.src_ip = Buffer.from([10, 1, (i >> 8) & 0xff, i & 0xff]);
    r.payload = Buffer.alloc(200 + (i % 300), i & 0xff);
    b.add(r, 1_700_000_000 + Math.floor(i / 1000), (i % 1000) * 1_000_000, 0);
  }
  return out.slice(0, n);
}

function options(dir: string, over: Partial<PublisherOptions> = {}): PublisherOptions {
  return {
    topic: uniqueName('pub.packets'), createTopic: true, topicPartitions: 3, topicReplication: 1, compression: 'none', producers: 2,
    queueMaxBytes: 8 << 20, spoolAfterMs: 2000, drainTimeoutMs: 5000, overflow: 'spool', batchMaxBytes: 1 << 20,
    agentRun: 'run-a', nextBatchSeq: (() => { let s = 1_000_000; return () => s++; })(),
    spool: { dir, maxBytes: 64 << 20, segmentBytes: 256 << 10, flushIntervalMs: 200 },
    ...over,
  };
}

function kafkaFor(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'publisher-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 }, connectionTimeout: 1000 });
}

/** Every (partition, batch_seq) in publish order per partition, and the records' frame numbers. */
function summary(values: { partition: number; value: Buffer }[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const v of values) {
    const b = codec.decode<PacketBatch>(v.value, SCHEMA_NAMES.packetBatch).value;
    (m.get(v.partition) ?? m.set(v.partition, []).get(v.partition)!).push(b.batch_seq);
  }
  return m;
}

describe('Publisher (real Kafka)', () => {
  it('sends every batch once, byte for byte, in order within each partition', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pub-'));
    const metrics = new AgentMetrics();
    const o = options(dir);
    const p = new Publisher(kafkaFor(testBrokers()), codec, metrics, logger, o);
    await p.start();
    expect(p.partitionCount).toBe(3);
    const sent = batches(300, 50, 3);
    // Taken before the publisher may give the batches' memory back (messageBuffers).
    const want = summary(sent);
    const sentDigests = sent.map((s) => ({ partition: s.partition, digest: digest(s.value) }));
    for (const b of sent) p.accept(b);
    await p.stop();
    const got = await readTopic(testBrokers(), o.topic);
    expect(got).toHaveLength(sent.length);
    expect(summary(got)).toEqual(want);
    const byValue = new Map(got.map((g) => [digest(g.value), g]));
    for (const s of sentDigests) {
      const g = byValue.get(s.digest);
      expect(g?.partition).toBe(s.partition);
      expect(g?.key).toBe('edge/eth0');
    }
    expect(metrics.batchesPublished.value).toBe(300);
    expect(metrics.recordsPublished.value).toBe(300 * 50);
    expect(metrics.publishLatency.observations).toBe(300);
    expect(metrics.recordsSpooled.value).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.spool'))).toEqual([]);
  });

  it('spools atomically and within its bound while Kafka is unreachable, counts what it drops, and a later run drains the spool in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pub-'));
    const topic = uniqueName('pub.packets');
    const all = batches(120, 40, 3);
    const size = all.reduce((n, b) => n + b.value.length + b.key.length + 30, 0);
    // Room for about half of them.
    const maxBytes = Math.floor(size / 2);
    const down = new AgentMetrics();
    const o = options(dir, { topic, spool: { dir, maxBytes, segmentBytes: 64 << 10, flushIntervalMs: 50 }, spoolAfterMs: 300, drainTimeoutMs: 300 });
    const a = new Publisher(kafkaFor(['127.0.0.1:1']), codec, down, logger, o);
    await a.start(); // an unreachable Kafka is not an error: it spools
    for (const b of all) a.accept(b);
    await new Promise((r) => setTimeout(r, 500));
    expect(a.spooling).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await a.stop();
    const segs = readdirSync(dir).filter((n) => n.endsWith('.spool'));
    expect(segs.length).toBeGreaterThan(1);
    expect(existsSync(join(dir, 'spool.lock'))).toBe(false);
    const dropped = down.batchesDropped.labels('spool_full').value;
    const kept = all.length - dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    expect(down.recordsDropped.labels('spool_full').value).toBe(dropped * 40);
    expect(down.batchesSpooled.value).toBe(kept);
    expect(down.spoolBytes.get()).toBeLessThanOrEqual(maxBytes + 8 * segs.length);
    expect(down.batchesPublished.value).toBe(0);

    // Kafka is back: a new run drains the spool before anything new.
    const up = new AgentMetrics();
    const b = new Publisher(kafkaFor(testBrokers()), codec, up, logger, { ...o, spool: { ...o.spool, maxBytes: 64 << 20 } });
    await b.start();
    expect(b.spooling).toBe(true);
    const later = batches(30, 40, 3, 'run-b');
    const laterCopies = later.map((x) => ({ ...x, value: Buffer.from(x.value) }));
    for (const x of later) b.accept(x);
    await b.stop({ drainSpool: true });
    const got = await readTopic(testBrokers(), topic);
    // The oldest batches were kept (the newest dropped), then the new run's.
    // (Copies: the publisher may give an acknowledged batch's memory back.)
    const expected = [...all.slice(0, kept), ...laterCopies];
    expect(got.map((g) => digest(g.value)).sort()).toEqual(expected.map((e) => digest(e.value)).sort());
    for (const part of [0, 1, 2]) {
      const order = got.filter((g) => g.partition === part).map((g) => decodeBatch(g)).map((x) => `${x.agent_run}:${x.batch_seq}`);
      const want = expected.filter((e) => e.partition === part).map((e) => codec.decode<PacketBatch>(e.value).value).map((x) => `${x.agent_run}:${x.batch_seq}`);
      expect(order).toEqual(want);
    }
    expect(up.batchesPublished.value).toBe(expected.length);
    expect(readdirSync(dir).filter((n) => n.endsWith('.spool') || n.endsWith('.acks'))).toEqual([]);
  });

  it('gives the memory of an acknowledged batch back for the next batches, and keeps a spooled batch\'s', async () => {
    // Batches big enough that the writer hands its buffer out whole (messageBuffers lends it).
    const big = batches(12, 400, 3);
    expect(big.every((b) => messageBuffers.owns(b.value))).toBe(true);
    const digests = big.map((b) => digest(b.value));
    const dir = mkdtempSync(join(tmpdir(), 'pub-'));
    const o = options(dir);
    const p = new Publisher(kafkaFor(testBrokers()), codec, new AgentMetrics(), logger, o);
    await p.start();
    for (const b of big) p.accept(b);
    await p.stop();
    expect(big.map((b) => messageBuffers.owns(b.value))).toEqual(big.map(() => false));
    const got = await readTopic(testBrokers(), o.topic);
    expect(got.map((g) => digest(g.value)).sort()).toEqual([...digests].sort());

    // Kafka unreachable: the spool wrote them and nothing releases them.
    const down = batches(6, 400, 3, 'run-down');
    const dir2 = mkdtempSync(join(tmpdir(), 'pub-'));
    const q = new Publisher(kafkaFor(['127.0.0.1:1']), codec, new AgentMetrics(), logger, options(dir2, { spoolAfterMs: 100, drainTimeoutMs: 100 }));
    await q.start();
    for (const b of down) q.accept(b);
    await q.stop();
    expect(down.every((b) => messageBuffers.owns(b.value))).toBe(true);
  });

  it('refuses to start when the topic does not exist and may not be created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pub-'));
    const o = options(dir, { createTopic: false });
    const p = new Publisher(kafkaFor(testBrokers()), codec, new AgentMetrics(), logger, o);
    await expect(p.start()).rejects.toThrow(new RegExp(`topic ${o.topic.replace(/\./g, '\\.')} does not exist.*--create-topics`));
    expect(existsSync(join(dir, 'spool.lock'))).toBe(false);
  });

  it('re-routes spooled batches when the topic has another partition count than they were routed with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pub-'));
    const metrics = new AgentMetrics();
    const o = options(dir, { topicPartitions: 2 });
    const p = new Publisher(kafkaFor(testBrokers()), codec, metrics, logger, o);
    await p.start();
    const routedFor5 = batches(20, 30, 5);
    for (const b of routedFor5) p.accept(b);
    await p.stop();
    const got = await readTopic(testBrokers(), o.topic);
    const records = got.flatMap((g) => decodeBatch(g).records.map((r) => ({ p: g.partition, r })));
    expect(records).toHaveLength(20 * 30);
    expect(metrics.repartitioned.value).toBeGreaterThan(0);
    const { RecordRouter } = await import('@streamlens/common');
    const router = new RecordRouter('edge', 'eth0');
    for (const { p: part, r } of records) expect(router.partitionOf(r, 2)).toBe(part);
  });
});
