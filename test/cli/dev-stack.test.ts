/**
 * `streamlens dev up|status|down` through the real CLI: the stack comes up
 * with topics and schema, keeps its data across down/up, and down leaves no
 * process behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerSqlClient } from '@streamlens/common';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-dev-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'dev', ...args, '--dir', dir], { encoding: 'utf8', timeout: 180_000 });

function pidsOf(status: string): number[] {
  return [...status.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
}
function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

afterAll(() => {
  cli('down', '--purge');
  rmSync(dir, { recursive: true, force: true });
});

describe('streamlens dev', () => {
  it('brings a stack up with topics and schema, keeps data across down/up, and stops it', async () => {
    const sample = fileURLToPath(new URL('../fixtures/sample/streamlens-sample.pcapng', import.meta.url));
    const up = cli('up', '--partitions', '2', '--read', sample);
    expect(up.status, up.stderr).toBe(0);
    const brokers = /KAFKA_BROKERS=(\S+)/.exec(up.stdout)![1].split(',');
    const url = /CLICKHOUSE_URL=(\S+)/.exec(up.stdout)![1];
    expect(cli('up').status).not.toBe(0); // already running: refused, says so
    const kafka = new Kafka({ clientId: 't', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['streamlens.packets', 'streamlens.enriched'] });
    expect(meta.topics.map((t) => t.partitions.length)).toEqual([2, 2]);
    await admin.createTopics({ topics: [{ topic: 'dev-test-persist', numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'dev-test-persist', acks: -1, messages: [{ value: 'persisted' }] });
    await producer.disconnect();
    let sql = new ServerSqlClient({ url });
    expect((await sql.query<{ n: string }>("SELECT count() AS n FROM system.tables WHERE database = 'streamlens' AND name = 'flows'"))[0].n).toBe('1');
    await sql.command("INSERT INTO streamlens.flows (agent_id, interface, window_start_ns, frame_type, packets) VALUES ('a', 'i', 1, 'UDP', 5)");
    await sql.close();

    // The agent replays the sample into the stack; dissector and aggregator put it in ClickHouse.
    sql = new ServerSqlClient({ url });
    const deadline = Date.now() + 90_000;
    let stored = 0;
    while (stored === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      stored = Number((await sql.query<{ p: string }>("SELECT sum(packets) AS p FROM streamlens.flows WHERE agent_id != 'a'"))[0].p);
    }
    await sql.close();
    expect(stored).toBeGreaterThan(0);

    const status = cli('status');
    expect(status.status, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/^dissector\s+pid \d+ running/m);
    expect(status.stdout).toMatch(/^aggregator\s+pid \d+ running/m);
    const pids = pidsOf(status.stdout);
    expect(pids).toHaveLength(5);
    expect(cli('down').status).toBe(0);
    expect(pids.filter(alive)).toEqual([]);

    const again = cli('up', '--no-services');
    expect(again.status, again.stderr).toBe(0);
    const url2 = /CLICKHOUSE_URL=(\S+)/.exec(again.stdout)![1];
    sql = new ServerSqlClient({ url: url2 });
    expect((await sql.query<{ p: string }>("SELECT sum(packets) AS p FROM streamlens.flows WHERE agent_id = 'a'"))[0].p).toBe('5');
    await sql.close();
    const brokers2 = /KAFKA_BROKERS=(\S+)/.exec(again.stdout)![1].split(',');
    const consumer = new Kafka({ clientId: 't', brokers: brokers2, logLevel: logLevel.NOTHING }).consumer({ groupId: 'dev-test' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'dev-test-persist', fromBeginning: true });
    const got = await new Promise<string>((resolve) => { void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }); });
    expect(got).toBe('persisted');
    await consumer.disconnect();
    const pids2 = pidsOf(cli('status').stdout).filter(alive);
    expect(cli('down', '--purge').status).toBe(0);
    expect(pids2.filter(alive)).toEqual([]);
  }, 240_000);
});
