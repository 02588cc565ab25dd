/**
 * The agent end to end against a real Kafka: a replayed capture arrives
 * exactly once, record by record, equal to decoding the file; sampling is
 * recorded; and a broker killed mid-stream and restarted while the agent runs
 * loses and duplicates nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AvroCodec, createLogger, loadConfig, SCHEMA_NAMES, topicNames, type PacketBatch, type PacketRecord } from '@streamlens/common';
import { startKafka } from '@streamlens/local-infra';
import { testBrokers, uniqueName } from '../../../test/harness/context.js';
import { ensureMixedCapture } from '../bench/mixed-capture.js';
import { expectedFrames, publishedRecords, type ExpectedFrame } from '../test-fixtures/expected-records.js';
import { decodeBatch, readTopic } from '../test-fixtures/topic-reader.js';
import { agentOptions, type AgentConfig } from './agent-options.js';
import { AgentService } from './agent-service.js';

const recordType = (AvroCodec.forStreamLens().type(SCHEMA_NAMES.packetBatch) as unknown as { fields: { type: { itemsType: { toBuffer(v: unknown): Buffer } } }[] }).fields[7].type.itemsType;
const encodeRecord = (r: PacketRecord) => recordType.toBuffer(r);

const logger = createLogger({ service: 'agent-test', level: process.env.AGENT_TEST_LOG ? 'info' : 'silent' });

function config(argv: string[]): AgentConfig {
  return loadConfig(agentOptions, { argv: ['--metrics-port', '0', '--progress', 'never', '--topic-replication', '1', ...argv], env: {} }).config;
}

function mixedCapture(frames: number): string {
  const file = join(tmpdir(), `streamlens-agent-test-mixed-${frames}.pcap`);
  ensureMixedCapture(file, frames, 7);
  return file;
}

/** Every frame published exactly once, equal to its own decoding, at its capture time. */
function expectExactlyOnce(expected: ExpectedFrame[], batches: PacketBatch[], sampleRate = 1): number {
  const { byFrame, total } = publishedRecords(batches);
  const repeats = [...byFrame].filter(([, l]) => l.length > 1).map(([f]) => f);
  expect(repeats.slice(0, 10), 'frames published more than once').toEqual([]);
  expect(total).toBe(byFrame.size);
  for (const [frameNo, [got]] of byFrame) {
    const want = expected[frameNo - 1];
    expect(want, `frame ${frameNo} is not in the file`).toBeDefined();
    expect(got.tsNs).toBe(want.tsNs);
    // Same Avro encoding = same values in every field; a readable diff when not.
    if (!encodeRecord(got.record).equals(encodeRecord(want.record))) expect(got.record, `frame ${frameNo}`).toEqual(want.record);
    expect(got.batch.sample_rate).toBe(sampleRate);
  }
  if (sampleRate === 1) expect(byFrame.size).toBe(expected.length);
  return byFrame.size;
}

describe('AgentService (real Kafka)', () => {
  it('replays a capture: every frame arrives exactly once, equal to decoding it, keyed by agent and interface', async () => {
    const file = mixedCapture(20_000);
    const prefix = uniqueName('agent');
    const agent = new AgentService(config(['--read', file, '--kafka-brokers', testBrokers()[0], '--topic-prefix', prefix, '--create-topics',
      '--topic-partitions', '4', '--spool-dir', mkdtempSync(join(tmpdir(), 'spool-')), '--agent-id', 'edge-7', '--batch-max-records', '500']), { logger });
    await agent.start();
    const outcome = await agent.finished;
    await agent.stop();
    expect(outcome.completed).toBe(true);
    const messages = await readTopic(testBrokers(), topicNames(prefix).packets);
    const batches = messages.map(decodeBatch);
    // A pcap file names no interface: the capture point takes the file's name.
    const iface = basename(file);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set([`edge-7/${iface}`]));
    expect(new Set(messages.map((m) => m.partition)).size).toBe(4);
    for (const b of batches) expect(b).toMatchObject({ agent_id: 'edge-7', interface: iface, link_type: 1, agent_run: agent.agentRun });
    expect(new Set(batches.map((b) => b.batch_seq)).size).toBe(batches.length);
    expectExactlyOnce(await expectedFrames(file), batches);
    const m = agent.metrics;
    expect(m.captured.total()).toBe(20_000);
    expect(m.recordsPublished.value).toBe(20_000);
    expect(m.recordsDropped.total()).toBe(0);
  });

  it('samples 1 in N and says so in every batch', async () => {
    const file = mixedCapture(20_000);
    const prefix = uniqueName('agent');
    const agent = new AgentService(config(['--read', file, '--kafka-brokers', testBrokers()[0], '--topic-prefix', prefix, '--create-topics',
      '--topic-partitions', '2', '--spool-dir', mkdtempSync(join(tmpdir(), 'spool-')), '--sample-rate', '10']), { logger });
    await agent.start();
    await agent.finished;
    await agent.stop();
    const batches = (await readTopic(testBrokers(), topicNames(prefix).packets)).map(decodeBatch);
    const kept = expectExactlyOnce(await expectedFrames(file), batches, 10);
    // 2000 expected; 5 standard deviations is about 212.
    expect(Math.abs(kept - 2000)).toBeLessThan(212);
    expect(agent.metrics.sampledOut.total() + kept).toBe(20_000);
  });

  it('serves its metrics and health while it runs', async () => {
    const file = mixedCapture(20_000);
    const prefix = uniqueName('agent');
    const { freePort } = await import('@streamlens/local-infra');
    const port = await freePort();
    const agent = new AgentService({ ...config(['--read', file, '--kafka-brokers', testBrokers()[0], '--topic-prefix', prefix, '--create-topics',
      '--spool-dir', mkdtempSync(join(tmpdir(), 'spool-')), '--metrics-host', '127.0.0.1']), metricsPort: port }, { logger });
    await agent.start();
    await agent.finished;
    let text = '';
    for (let i = 0; i < 100 && !/^streamlens_agent_records_published_total 20000$/m.test(text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    }
    expect(text).toContain(`streamlens_agent_packets_captured_total{interface="${basename(file)}"} 20000`);
    expect(text).toMatch(/^streamlens_agent_records_published_total 20000$/m);
    expect(text).toMatch(/^streamlens_agent_publish_latency_seconds_count \d+$/m);
    for (const d of agent.metrics.registry.describe()) expect(text).toContain(`# TYPE ${d.name} ${d.type}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await agent.stop();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('a replay waits when Kafka is away and the spool is full, and at stop counts what does not fit', async () => {
    const file = mixedCapture(60_000);
    const spoolDir = mkdtempSync(join(tmpdir(), 'spool-'));
    // The memory queue is kept small too: with the default 64 MiB, a fast machine reads the whole file into it before spooling starts.
    const agent = new AgentService(config(['--read', file, '--kafka-brokers', '127.0.0.1:1', '--spool-dir', spoolDir, '--spool-max-bytes', '4MiB',
      '--queue-max-bytes', '1MiB', '--spool-after', '200ms', '--drain-timeout', '200ms', '--spool-flush-interval', '50ms']), { logger });
    await agent.start();
    // Wait until the replay has started and then stopped moving (it waits for room in the spool).
    let frames = -1;
    for (let i = 0, stable = 0; i < 100 && stable < 2; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const now = agent.metrics.captured.total();
      stable = now > 0 && now === frames ? stable + 1 : 0;
      frames = now;
    }
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(60_000); // it is waiting, not finished
    const m = agent.metrics;
    expect(m.recordsDropped.total()).toBe(0); // waiting, not dropping
    await agent.stop();
    expect(m.recordsSpooled.value + m.recordsDropped.labels('spool_full').value).toBe(m.captured.total());
    const bytes = readdirSync(spoolDir).filter((n) => n.endsWith('.spool')).reduce((n, f) => n + statSync(join(spoolDir, f)).size, 0);
    // Nothing was in flight (Kafka was never reached): the bound holds, plus each segment's 8-byte header.
    expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024 + 8 * 64);
  });

  it('loses and repeats nothing when the broker is killed mid-stream and restarted while the agent runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kafka-restart-'));
    const kafka = await startKafka({ dataDir });
    let second: Awaited<ReturnType<typeof startKafka>> | undefined;
    try {
      // 60 000 frames recorded over ~60 ms, replayed at 0.006x: about 10 s of traffic.
      const file = mixedCapture(60_000);
      const prefix = uniqueName('restart');
      const spoolDir = mkdtempSync(join(tmpdir(), 'spool-'));
      const agent = new AgentService(config(['--read', file, '--pace', '0.006x', '--kafka-brokers', kafka.brokers[0], '--topic-prefix', prefix,
        '--create-topics', '--topic-partitions', '3', '--spool-dir', spoolDir, '--spool-after', '1s', '--drain-timeout', '60s',
        '--linger', '50ms', '--spool-flush-interval', '200ms']), { logger });
      await agent.start();
      await new Promise((r) => setTimeout(r, 2500));
      const before = agent.metrics.recordsPublished.value;
      expect(before).toBeGreaterThan(0);
      // Kill the broker itself (not the guard shell): no clean shutdown, answers in flight are lost.
      const java = execFileSync('ps', ['-o', 'pid=', '--ppid', String(kafka.process.pid)]).toString().trim().split(/\s+/).map(Number);
      for (const pid of java) process.kill(pid, 'SIGKILL');
      await kafka.process.exited;
      await new Promise((r) => setTimeout(r, 2500));
      expect(agent.metrics.spooling.get()).toBe(1);
      second = await startKafka({ dataDir });
      expect(second.brokers).toEqual(kafka.brokers);
      const outcome = await agent.finished;
      await agent.stop();
      expect(outcome.completed).toBe(true);
      const m = agent.metrics;
      expect(m.sendErrors.value).toBeGreaterThan(0);
      expect(m.recordsSpooled.value).toBeGreaterThan(0);
      expect(m.possibleDuplicates.value).toBe(0);
      expect(m.recordsDropped.total()).toBe(0);
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.spool'))).toEqual([]);
      const batches = (await readTopic(second.brokers, topicNames(prefix).packets)).map(decodeBatch);
      expectExactlyOnce(await expectedFrames(file), batches);
    } finally {
      await second?.stop();
      await kafka.stop();
    }
  }, 180_000);
});
