/**
 * `streamlens sql` through the real CLI, on the embedded store and on the
 * server: the same query gives the same output; the prompt runs statements
 * ended by `;` and reports errors without stopping.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type SqlClient } from '@streamlens/common';
import { ChdbSqlClient } from '@streamlens/embedded';
import { testClickHouseUrl, testSqlClient, uniqueName } from '../harness/context.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const sql = (args: string[], input?: string) =>
  spawnSync(process.execPath, [BIN, 'sql', ...args], { encoding: 'utf8', input, timeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'streamlens-sql-'));
const db = uniqueName('sqlcli');
const server = testSqlClient();
const rows = [
  { agent_id: 'a1', interface: 'eth0', window_start_ns: '1700000000000000000', frame_type: 'PTP-Sync', packets: 8, bytes: 720 },
  { agent_id: 'a1', interface: 'eth0', window_start_ns: '1700000001000000000', frame_type: 'PTP-Sync', packets: 8, bytes: 720 },
  { agent_id: 'a1', interface: 'eth0', window_start_ns: '1700000000000000000', frame_type: 'DNS', packets: 3, bytes: 300 },
];

async function fill(client: SqlClient, database: string): Promise<void> {
  await migrate(client, database);
  await client.insert(`${database}.flows`, rows);
}

beforeAll(async () => {
  await fill(server, db);
  const store = new ChdbSqlClient(dir);
  await fill(store, 'streamlens');
  await store.close();
});

afterAll(async () => {
  await server.command(`DROP DATABASE IF EXISTS ${db}`);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const QUERY = 'SELECT frame_type, sum(packets) AS packets, sum(bytes) AS bytes, min(window_start) AS first FROM flows GROUP BY frame_type ORDER BY frame_type';

describe('streamlens sql', () => {
  it('gives the same answer on the embedded store and on the server', () => {
    const embedded = sql(['--data-dir', dir, '--format', 'CSVWithNames', QUERY]);
    const onServer = sql(['--clickhouse-url', testClickHouseUrl(), '--database', db, '--format', 'CSVWithNames', QUERY]);
    expect(embedded.status, embedded.stderr).toBe(0);
    expect(onServer.status, onServer.stderr).toBe(0);
    expect(embedded.stdout).toBe('"frame_type","packets","bytes","first"\n"DNS",3,300,"2023-11-14 22:13:20.000"\n"PTP-Sync",16,1440,"2023-11-14 22:13:20.000"\n');
    expect(onServer.stdout).toBe(embedded.stdout);
  });

  it('prints Pretty tables and JSONEachRow', () => {
    const pretty = sql(['--data-dir', dir, '--format', 'Pretty', "SELECT sum(packets) AS p FROM flows WHERE frame_type = 'DNS'"]);
    expect(pretty.stdout).toMatch(/┃ p ┃|│ p │|\bp\b/);
    expect(pretty.stdout).toContain('3');
    const json = sql(['--data-dir', dir, '--format', 'JSONEachRow', 'SELECT sum(packets) AS p FROM flows']);
    expect(JSON.parse(json.stdout)).toEqual({ p: '19' });
  });

  it('runs an interactive session from stdin, reporting a bad statement and going on', () => {
    const r = sql(['--data-dir', dir, '--format', 'CSV'], 'SELECT 1;\nSELECT sum(packets)\nFROM flows;\nSELECT no_such_column FROM flows;\nSELECT 2;\n');
    expect(r.stdout).toBe('1\n19\n2\n');
    expect(r.stderr).toMatch(/no_such_column/);
    expect(r.status).toBe(1);
  });

  it('refuses a data dir that holds no store, saying what to do', () => {
    const r = sql(['--data-dir', join(dir, 'typo'), 'SELECT 1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no embedded store at .*typo.*streamlens analyze/);
  });
});
