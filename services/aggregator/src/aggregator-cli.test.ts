/**
 * `streamlens aggregator` and `streamlens netflow export` as users run them
 * (the built CLI): help, configuration errors, a missing topic, and the JSON
 * lines export with its zero rows. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { flagName } from '@streamlens/common';
import { testBrokers, testClickHouseUrl, testSqlClient, uniqueName } from '../../../test/harness/context.js';
import { aggregatorOptions } from './aggregator-options.js';
import { LocalAggregator } from './local-aggregator.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworksByAgent } from './local-networks.js';
import { aggregationParams } from './testing/aggregator-harness.js';
import { enrichedRecord, ip4 } from './testing/synthetic-traffic.js';

const BIN = fileURLToPath(new URL('../../cli/bin/streamlens.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const sql = testSqlClient();
const dbs: string[] = [];

afterAll(async () => {
  for (const db of dbs) await sql.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
  await sql.close();
});

describe('streamlens aggregator / netflow (CLI)', () => {
  it('--help documents every option', () => {
    const r = run('aggregator', '--help');
    expect(r.status).toBe(0);
    for (const [key, spec] of Object.entries(aggregatorOptions)) {
      expect(r.stdout, key).toContain(spec.type === 'object' ? `${flagName(key)}:` : `--${flagName(key)}`);
    }
    expect(run('netflow', '--help').stdout).toContain('--with-capture-point');
  });

  it('configuration errors exit 64 naming the option; a missing input topic exits 1 saying so', () => {
    const bad = run('aggregator', '--window', '7ms');
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/--window: .*must divide 1 s/);
    const unknown = run('aggregator', '--no-such-thing');
    expect(unknown.status).toBe(64);
    const missing = run('aggregator', '--kafka-brokers', testBrokers().join(','), '--clickhouse-url', testClickHouseUrl(),
      '--topic-prefix', uniqueName('nothere'), '--database', uniqueName('aggcli'), '--metrics-port', '0');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/input topic .*\.enriched does not exist/);
  });

  it('netflow export writes the seed\'s JSON lines, with zero rows for the empty buckets', async () => {
    const db = uniqueName('aggcli');
    dbs.push(db);
    const agg = new LocalAggregator(sql, { database: db, params: aggregationParams(), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS) });
    await agg.migrate();
    const start = 1_732_000_000_000_000_000n;
    agg.ingest(0, {
      agent_id: 'lab', interface: 'eth1', agent_run: 'r', batch_seq: 0, base_ts_ns: start, sample_rate: 1,
      records: [0, 250_000_000].map((off, i) => {
        const r = enrichedRecord({ frameType: 'TCP', protocols: ['eth', 'ipv4', 'tcp'], wireLen: 60, src: ip4('8.8.4.4'), dst: ip4('10.0.0.9'), proto: 6, sport: 443, dport: 5000 + i, tcpFlags: 0x02 });
        r.packet.ts_offset_ns = off;
        return r;
      }),
    } as never);
    await agg.flush({ final: true });
    const r = run('netflow', 'export', '--format', 'jsonl', '--clickhouse-url', testClickHouseUrl(), '--database', db, '--with-capture-point');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    expect(rows.map((x) => x.pkts_in)).toEqual([1, 0, 1]);
    expect(rows.map((x) => x.tcp_new_flows)).toEqual([1, 0, 1]);
    expect(rows[0]).toEqual({
      timestamp: 1_732_000_000, pkts_in: 1, pkts_out: 0, bytes_in: 60, bytes_out: 0, syn_count: 1, fin_count: 0, rst_count: 0, udp_count: 0, tcp_count: 1,
      dns_query_count: 0, unique_dst_ips: 1, unique_dst_ports: 1, tcp_new_flows: 1,
      agent_id: 'lab', interface: 'eth1', bucket_start_ns: String(start), bucket_ms: 100,
    });
    expect(rows[1].timestamp).toBe(1_732_000_000.1);
    expect(Object.keys(rows[1])[0]).toBe('timestamp');
  }, 60_000);
});
