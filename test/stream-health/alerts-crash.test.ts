/**
 * Stream health and the alerts topic under crashes: real `streamlens
 * aggregator` processes with alert rules are SIGKILLed at random moments
 * (while consuming, sealing, inserting, publishing alerts or checkpointing;
 * twice right after an epoch's intent is recorded, so that a restart replays),
 * restarted, and finally left to finish. The stream-health tables must then
 * hold exactly what a clean run wrote (and the generated truth), and the
 * alerts topic (read_committed) every alert of the table exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AvroCodec, SCHEMA_NAMES, type AlertRecord } from '@streamlens/common';
import { createTopics, publishBatches, killMoment, waitFor } from '@streamlens/aggregator/testing';
import { testBrokers, testClickHouseUrl, testKafka, testSqlClient, uniqueName } from '../harness/context.js';
import { expectedAlerts, telemetryCapture } from '../generators/telemetry-streams.js';
import { enrichedBatchesOf } from '../generators/telemetry-batches.js';
import { compareAlerts, compareHealthRows, ruleConfig, TEST_RULES } from '../generators/telemetry-truth.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-health-crash-'));
const sql = testSqlClient();
const kafka = testKafka('health-crash-test');
const dbs: string[] = [];
const procs: ChildProcess[] = [];
const consuming = new Set<number>();
let replayedEpochs = 0;

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const db of dbs) await sql.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
  await sql.close();
  rmSync(dir, { recursive: true, force: true });
});

// --idle-timeout 10s: a shorter one closes a capture point whose partition was not fetched for that long on a
// loaded machine, and its next records become late, differently in each run.
function aggregator(prefix: string, db: string, group: string, config: string): ChildProcess & { err: () => string } {
  const p = spawn(process.execPath, [BIN, 'aggregator', '--config', config, '--kafka-brokers', testBrokers().join(','), '--topic-prefix', prefix,
    '--clickhouse-url', testClickHouseUrl(), '--database', db, '--group-id', group, '--flush-interval', '100ms', '--checkpoint-interval', '400ms',
    '--epoch-max-records', '3000', '--insert-chunk-rows', '300', '--idle-timeout', '10s', '--max-future-skew', '0', '--metrics-port', '0',
    '--session-timeout', '6s', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] }) as ChildProcess & { err: () => string };
  let err = '';
  let partial = '';
  p.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000);
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('partition restored')) continue;
      consuming.add(p.pid!);
      try {
        replayedEpochs += Number((JSON.parse(line) as { replay?: number }).replay ?? 0);
      } catch {
        // a line cut by SIGKILL
      }
    }
  });
  p.err = () => err;
  procs.push(p);
  return p;
}

const exited = (p: ChildProcess) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r())));

async function counts(db: string): Promise<number[]> {
  return Promise.all(['stream_health', 'ptp_events', 'tmats_sightings', 'alerts'].map(async (t) => {
    const [r] = await sql.query<{ n: string }>(`SELECT count() AS n FROM ${db}.${t}`).catch(() => [{ n: '-1' }]);
    return Number(r.n);
  }));
}

async function snapshot(db: string): Promise<Record<string, string[]>> {
  const q = async (query: string) => (await sql.queryText(query.replaceAll('{db}', db), 'JSONEachRow')).split('\n').filter(Boolean).sort();
  return {
    health: await q('SELECT * EXCEPT (ingested_at, window_start) FROM {db}.stream_health'),
    events: await q('SELECT * EXCEPT (ingested_at, ts) FROM {db}.ptp_events'),
    tmats: await q('SELECT * EXCEPT (ingested_at, window_start) FROM {db}.tmats_sightings'),
    alerts: await q('SELECT * EXCEPT (ingested_at, ts) FROM {db}.alerts'),
  };
}

async function readAlertsTopic(topic: string, atLeast: number): Promise<string[]> {
  const codec = AvroCodec.forStreamLens();
  const seen: string[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('alerts-reader'), readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const r = codec.decode<AlertRecord>(message.value!, SCHEMA_NAMES.alertRecord).value;
      seen.push(`${r.agent_id}|${r.interface}|${r.alert_id}|${r.state}|${r.ts_ns}|${r.rule}|${r.value}`);
    },
  });
  const by = Date.now() + 60_000;
  while (seen.length < atLeast && Date.now() < by) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 3000)); // anything arriving now is a duplicate
  await consumer.disconnect();
  return seen.sort();
}

describe('stream health crash safety', () => {
  it('SIGKILLed at random moments and restarted: the same tables as a clean run, the alerts topic exactly once', async () => {
    const cap = telemetryCapture();
    const agents = ['tlm-1', 'tlm-2', 'tlm-3', 'tlm-4', 'tlm-5', 'tlm-6'];
    const partitions = 6;
    const batches = agents.flatMap((agentId) => enrichedBatchesOf(cap.frames, { agentId, iface: 'eth0', partitions, batchRecords: 40 }));
    const config = join(dir, 'rules.yaml');
    writeFileSync(config, stringify({ 'alert-rules': ruleConfig() }));
    const rowsPerAgent = [...cap.streams.values()].reduce((n, s) => n + s.windows.size, 0);
    const alertsPerAgent = expectedAlerts(cap, TEST_RULES).length;
    const want = [rowsPerAgent, cap.events.length, cap.sightings.length, alertsPerAgent].map((n) => n * agents.length);

    // the same input on two prefixes: one for the clean run, one for the killed one (each has its own alerts topic)
    const clean = uniqueName('hcclean');
    const killed = uniqueName('hckill');
    await createTopics(kafka, [{ topic: `${clean}.enriched`, partitions }, { topic: `${killed}.enriched`, partitions }]);
    for (const prefix of [clean, killed]) await publishBatches(kafka, `${prefix}.enriched`, batches, [], { transactional: true, abortEvery: 7 });

    const cleanDb = uniqueName('hcclean');
    const killedDb = uniqueName('hckill');
    dbs.push(cleanDb, killedDb);
    const ref = aggregator(clean, cleanDb, `${clean}-g`, config);
    await waitFor('the clean run', async () => JSON.stringify(await counts(cleanDb)) === JSON.stringify(want), 240_000, 500)
      .catch(async (err) => { throw new Error(`${(err as Error).message}: ${await counts(cleanDb)} of ${want}\n${ref.err()}`); });
    ref.kill('SIGTERM');
    await exited(ref);
    expect(ref.exitCode).toBe(0);

    const seed = Number(process.env.STREAMLENS_CRASH_SEED ?? Date.now() % 100_000);
    let x = seed;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    /** When each process was killed, as text. */
    const kills: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = aggregator(killed, killedDb, `${killed}-g`, config);
      await waitFor('the restarted aggregator to consume', async () => consuming.has(p.pid!), 60_000, 50);
      // Some right after a new epoch's intent (checkpoints every 400 ms; random moments alone once replayed nothing).
      kills.push(await killMoment(i, sql, killedDb, rand, 1500));
      p.kill('SIGKILL');
      await exited(p);
    }
    const last = aggregator(killed, killedDb, `${killed}-g`, config);
    await waitFor(`the killed run (seed ${seed}, kills after ${kills.join(', ')})`, async () => JSON.stringify(await counts(killedDb)) === JSON.stringify(want), 240_000, 500)
      .catch(async (err) => { throw new Error(`${(err as Error).message}: ${await counts(killedDb)} of ${want}\n${last.err()}`); });
    last.kill('SIGTERM');
    await exited(last);
    expect(last.exitCode).toBe(0);

    const a = await snapshot(cleanDb);
    const b = await snapshot(killedDb);
    for (const t of ['health', 'events', 'tmats', 'alerts'] as const) expect(b[t], `${t} (seed ${seed})`).toEqual(a[t]);
    // and both are the truth
    for (const agentId of agents) {
      compareHealthRows(cap, await sql.query(`SELECT *, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip FROM ${killedDb}.stream_health WHERE agent_id = '${agentId}'`));
      compareAlerts(expectedAlerts(cap, TEST_RULES), await sql.query(`SELECT *, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip FROM ${killedDb}.alerts WHERE agent_id = '${agentId}'`));
    }
    // the alerts topics: each alert of the table exactly once, in the killed run as in the clean one
    const table = (await sql.query<Record<string, string>>(`SELECT agent_id, interface, alert_id, state, ts_ns, rule, value FROM ${killedDb}.alerts`))
      .map((r) => `${r.agent_id}|${r.interface}|${r.alert_id}|${r.state}|${r.ts_ns}|${r.rule}|${Number(r.value)}`).sort();
    const topicClean = await readAlertsTopic(`${clean}.alerts`, table.length);
    const topicKilled = await readAlertsTopic(`${killed}.alerts`, table.length);
    expect(topicKilled, `seed ${seed}`).toEqual(table);
    expect(topicClean).toEqual(table);
    // the killed run did replay epochs (otherwise this test proved little)
    expect(replayedEpochs, `seed ${seed}, kills after ${kills.join(', ')}`).toBeGreaterThan(0);
  }, 900_000);
});
