/**
 * Smoke test: the migrations on the real ClickHouse server (over HTTP) and on
 * the in-process chDB store, with an insert/select round-trip, bound
 * parameters and insert deduplication on each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, type SqlClient } from '@streamlens/common';
import { ChdbSqlClient } from '@streamlens/embedded';
import { testSqlClient, uniqueName } from '../harness/context.js';

const tableCount = (client: SqlClient, db: string) =>
  client.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', { db });

async function exercise(client: SqlClient, db: string): Promise<void> {
  const first = await migrate(client, db);
  expect(first.applied).toEqual(loadMigrations().map((m) => m.name));
  const tables = (await tableCount(client, db)).map((r) => r.name);
  for (const t of ['flows', 'flow_outliers', 'netflow_buckets', 'netflow_bucket_parts', 'flow_stats', 'flows_1m', 'schema_migrations']) {
    expect(tables).toContain(t);
  }
  // Idempotent: a second run applies nothing and changes nothing.
  const second = await migrate(client, db);
  expect(second.applied).toEqual([]);
  expect(second.alreadyApplied).toEqual(first.applied);
  expect((await tableCount(client, db)).map((r) => r.name)).toEqual(tables);

  const row = {
    agent_id: 'a1', interface: 'eth0', window_start_ns: '1732000000000000000', window_ns: 1_000_000_000, frame_type: 'PTP-Sync',
    src_ip: '::ffff:192.168.1.10', dst_ip: '::ffff:224.0.1.129', ip_proto: 17, src_port: 319, dst_port: 319, src_mac: 0, dst_mac: 0,
    ethertype: 0x0800, packets: 8, bytes: 720, sampled_packets: 8, sample_rate: 1, first_ts_ns: '1732000000000000001',
    last_ts_ns: '1732000000875000001', protocols: ['eth', 'ipv4', 'udp', 'ptp'], iat_count: 7, iat_sum_ns: 875000000,
    iat_sumsq_ns2: 7 * 125e6 ** 2, iat_min_ns: 125000000, iat_max_ns: 125000000, outliers: 0, errors: 0,
  };
  await client.insert(`${db}.flows`, [row], { dedupToken: 'smoke-1' });
  await client.insert(`${db}.flows`, [row], { dedupToken: 'smoke-1' }); // a retried insert: stored once
  const rows = await client.query<Record<string, unknown>>(
    `SELECT toString(src_ip) AS src, window_start_ns, toString(window_start) AS ws, packets, protocols
     FROM ${db}.flows WHERE frame_type = {ft:String} AND window_start_ns >= {from:UInt64}`,
    { ft: 'PTP-Sync', from: '1732000000000000000' });
  expect(rows).toEqual([{ src: '::ffff:192.168.1.10', window_start_ns: '1732000000000000000', ws: '2024-11-19 07:06:40.000', packets: '8', protocols: ['eth', 'ipv4', 'udp', 'ptp'] }]);
  const stats = await client.query<{ iat_mean_ns: number; iat_std_ns: number }>(
    `SELECT iat_mean_ns, iat_std_ns FROM ${db}.flow_stats WHERE dst_port = {p:UInt16}`, { p: 319 });
  expect(stats).toEqual([{ iat_mean_ns: 125e6, iat_std_ns: 0 }]);
  const mv = await client.query<{ p: string }>(`SELECT sum(packets) AS p FROM ${db}.flows_1m`);
  expect(mv).toEqual([{ p: '8' }]);
}

describe('ClickHouse migrations', () => {
  const dbs: string[] = [];
  const server = testSqlClient();
  afterAll(async () => {
    for (const db of dbs) await server.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
    await server.close();
  });

  it('apply to the real server over HTTP, idempotently, with round-trip, parameters and dedup', async () => {
    const db = uniqueName('smoke');
    dbs.push(db);
    await exercise(server, db);
  });

  it('apply to the in-process chDB store the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-chdb-'));
    const store = new ChdbSqlClient(dir);
    try {
      await exercise(store, 'streamlens');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse a migration edited after it was applied', async () => {
    const db = uniqueName('smoke');
    dbs.push(db);
    await migrate(server, db);
    await server.command(`ALTER TABLE ${db}.schema_migrations UPDATE checksum = 'edited' WHERE version = 1 SETTINGS mutations_sync = 1`);
    await expect(migrate(server, db)).rejects.toThrow(/was changed after it was applied/);
  });
});
