/**
 * Stream health in the distributed pipeline, through the real CLI on a real
 * Kafka and ClickHouse: the generated capture with known truth is replayed by
 * `streamlens agent` (paced, so the run takes a while), dissected by
 * `streamlens dissector`, and aggregated by two `streamlens aggregator`
 * instances in one group — one of them SIGKILLed mid-run and replaced by a
 * third. Every stream_health row, PTP event, TMATS sighting and alert matches
 * the truth, and the alerts topic holds every alert of the table exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AvroCodec, SCHEMA_NAMES, type AlertRecord } from '@streamlens/common';
import { testBrokers, testClickHouseUrl, testKafka, testSqlClient, uniqueName } from '../harness/context.js';
import { expectedAlerts, telemetryCapture } from '../generators/telemetry-streams.js';
import { writeNanoPcap } from '../generators/wire-frames.js';
import { compareAlerts, compareEvents, compareHealthRows, compareSightings, ruleConfig, TEST_RULES } from '../generators/telemetry-truth.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-health-dist-'));
const prefix = uniqueName('health');
const database = uniqueName('health');
const running: ChildProcess[] = [];
const sql = testSqlClient();

afterAll(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sql.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.close();
  const admin = testKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: ['packets', 'enriched', 'dlq', 'alerts'].map((t) => `${prefix}.${t}`) }).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function service(args: string[], logLevel = 'warn'): ChildProcess & { err: () => string } {
  const p = spawn(process.execPath, [BIN, ...args, '--kafka-brokers', testBrokers().join(','), '--topic-prefix', prefix, '--log-level', logLevel],
    { stdio: ['ignore', 'ignore', 'pipe'] }) as ChildProcess & { err: () => string };
  let err = '';
  p.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-200_000); });
  p.err = () => err;
  running.push(p);
  return p;
}

const exited = (p: ChildProcess) => new Promise<number | null>((resolve) => {
  if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode);
  else p.once('exit', (code) => resolve(code));
});

async function count(table: string): Promise<number> {
  const [r] = await sql.query<{ n: string }>(`SELECT count() AS n FROM ${database}.${table}`).catch(() => [{ n: '-1' }]);
  return Number(r.n);
}

const rows = (q: string) => sql.query<Record<string, unknown>>(q.replaceAll('{db}', database));

describe('stream health, distributed', () => {
  it('two aggregators, one killed and replaced mid-run, write exactly the truth; the alerts topic holds each alert once', async () => {
    const cap = telemetryCapture();
    const pcap = join(dir, 'telemetry.pcap');
    writeNanoPcap(pcap, cap.frames);
    const config = join(dir, 'rules.yaml');
    writeFileSync(config, stringify({ 'alert-rules': ruleConfig() }));
    const wantRows = [...cap.streams.values()].reduce((n, s) => n + s.windows.size, 0);
    const wantAlerts = expectedAlerts(cap, TEST_RULES);

    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${prefix}.packets`, numPartitions: 4 }], waitForLeaders: true });
    // the dissector creates the enriched topic with as many partitions
    const dissector = service(['dissector', '--metrics-port', '0', '--create-topics']);
    const aggregator = () => service(['aggregator', '--config', config, '--clickhouse-url', testClickHouseUrl(), '--database', database,
      '--group-id', `${prefix}-agg`, '--metrics-port', '0', '--flush-interval', '200ms', '--checkpoint-interval', '1s', '--idle-timeout', '10s',
      '--session-timeout', '6s', '--insert-chunk-rows', '100'], 'info');
    const topicReady = Date.now() + 60_000;
    while (!(await admin.listTopics()).includes(`${prefix}.enriched`)) {
      if (Date.now() > topicReady) throw new Error(`no enriched topic; dissector: ${dissector.err()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.disconnect();
    const a = aggregator();
    const b = aggregator();
    const agent = service(['agent', '--read', pcap, '--agent-id', cap.agentId, '--progress', 'never', '--pace', '2x',
      '--spool-dir', join(dir, 'spool'), '--metrics-port', '0']);
    // kill one aggregator once rows are being written, then add a third
    const midway = Date.now() + 90_000;
    while ((await count('stream_health')) < wantRows * 0.3) {
      if (Date.now() > midway) throw new Error(`no progress: ${a.err().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    a.kill('SIGKILL');
    const c = aggregator();
    expect(await exited(agent), agent.err()).toBe(0);

    const deadline = Date.now() + 150_000;
    const done = async () => (await count('stream_health')) === wantRows && (await count('alerts')) === wantAlerts.length
      && (await count('ptp_events')) === cap.events.length && (await count('tmats_sightings')) === cap.sightings.length;
    while (!(await done())) {
      if (Date.now() > deadline) {
        throw new Error(`not complete: stream_health ${await count('stream_health')}/${wantRows}, alerts ${await count('alerts')}/${wantAlerts.length}\n` +
          `b: ${b.err().slice(-3000)}\nc: ${c.err().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    compareHealthRows(cap, await rows('SELECT *, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip FROM {db}.stream_health'));
    compareEvents(cap, await rows('SELECT * FROM {db}.ptp_events'));
    compareSightings(cap, await rows('SELECT * FROM {db}.tmats_sightings'));
    const alertRows = await rows('SELECT *, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip FROM {db}.alerts');
    compareAlerts(wantAlerts, alertRows);

    // the alerts topic (read_committed): every alert of the table, once
    const codec = AvroCodec.forStreamLens();
    const seen: string[] = [];
    const consumer = testKafka().consumer({ groupId: uniqueName('alerts-reader'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.alerts`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const rec = codec.decode<AlertRecord>(message.value!, SCHEMA_NAMES.alertRecord).value;
        expect(message.headers?.['streamlens-alert-id']?.toString()).toBe(rec.alert_id);
        seen.push(`${rec.alert_id}|${rec.state}|${rec.ts_ns}|${rec.rule}`);
      },
    });
    const readBy = Date.now() + 60_000;
    while (seen.length < alertRows.length && Date.now() < readBy) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 2000)); // anything more would be a duplicate
    await consumer.disconnect();
    expect(seen.sort()).toEqual(alertRows.map((r) => `${r.alert_id}|${r.state}|${r.ts_ns}|${r.rule}`).sort());

    for (const p of [b, c, dissector]) p.kill('SIGTERM');
    for (const p of [b, c, dissector]) expect(await exited(p), p.err().slice(-2000)).toBe(0);
    // the surviving instances took partitions over (restores after the kill and the join)
    expect((b.err().match(/partitions assigned/g) ?? []).length + (c.err().match(/partitions assigned/g) ?? []).length).toBeGreaterThanOrEqual(3);
  }, 400_000);
});
