/**
 * The server client's RowBinary inserts store exactly what JSONEachRow
 * inserts store: the aggregator's whole output (flows, outliers, netflow
 * buckets, stream health, PTP events, TMATS sightings, alerts) written by two
 * LocalAggregators into two databases of the real test server, one per body
 * format, compared table by table. A value the binary encoding does not
 * take (a port above 16 bits) sends its block as JSON, stored as JSON
 * stores it; a retried binary block is stored once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { blockFitsTable, RowBlockWriter, type ColumnType, type ServerSqlClient } from '@streamlens/common';
import { testSqlClient, uniqueName } from '../../../test/harness/context.js';
import { telemetryCapture } from '../../../test/generators/telemetry-streams.js';
import { enrichedBatchesOf } from '../../../test/generators/telemetry-batches.js';
import { ruleConfig } from '../../../test/generators/telemetry-truth.js';
import { LocalAggregator } from './local-aggregator.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworksByAgent } from './local-networks.js';
import { TABLES } from './clickhouse-sink.js';
import { STREAM_HEALTH_COLUMNS } from './stream-health/stream-health-rows.js';
import { aggregationParams } from './testing/aggregator-harness.js';
import { enrichedRecord, flightTestScenario, ip6, routeIntoBatches, type TimedRecord } from './testing/synthetic-traffic.js';

const START = 1_732_000_000_000_000_000n;
// gzip request bodies on one side (--clickhouse-compression), plain on the other: both paths are compared
const binary = testSqlClient({ insertFormat: 'RowBinary', requestCompression: true });
const json = testSqlClient({ insertFormat: 'JSONEachRow', requestCompression: false });

afterAll(async () => {
  await binary.close();
  await json.close();
});

/** Every record the comparison writes: telemetry streams with their health, and the flight-test mix with IPv6 and outliers. */
function input(): { partition: number; batch: unknown }[] {
  const cap = telemetryCapture();
  const telemetry = enrichedBatchesOf(cap.frames, { agentId: 'tlm-1', iface: 'eth0', partitions: 2, batchRecords: 100 });
  const mix = routeIntoBatches(flightTestScenario({ startNs: START, durationNs: 6_000_000_000n, backgroundFlows: 200, seed: 7 }),
    { agentId: 'ft-1', iface: 'eth1', partitions: 2, batchRecords: 100 });
  return [...telemetry, ...mix];
}

async function load(sql: ServerSqlClient, database: string, batches: { partition: number; batch: unknown }[]): Promise<void> {
  const agg = new LocalAggregator(sql, {
    database, params: aggregationParams({ alertRules: ruleConfig() }), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS), chunkRows: 700,
  });
  await agg.migrate();
  for (let i = 0; i < batches.length; i++) {
    agg.ingest(batches[i].partition, batches[i].batch as never);
    if (i % 25 === 24) await agg.flush();
  }
  await agg.flush({ final: true });
}

/** A table's rows as sorted text, without the insertion time. */
async function contents(sql: ServerSqlClient, database: string, table: string): Promise<string[]> {
  const text = await sql.queryText(`SELECT * EXCEPT (ingested_at) FROM ${database}.${table} ORDER BY ALL`, 'TabSeparated');
  return text.split('\n').filter((l) => l.length > 0);
}

describe('RowBinary inserts', () => {
  it('store every table of the aggregator exactly as JSONEachRow does', async () => {
    const batches = input();
    const a = uniqueName('rowbinary');
    const b = uniqueName('jsonrows');
    await load(binary, a, batches);
    await load(json, b, batches);
    expect(json.insertStats.rowBinary).toBe(0);
    expect(binary.insertStats.fallbacks).toBe(0);
    // migrations' own rows and every aggregator table went binary
    expect(binary.insertStats.json).toBe(0);
    expect(binary.insertStats.rowBinary).toBeGreaterThan(20);
    // stream_health goes as the bytes the aggregator wrote: its declared columns are the migrated table's
    const described = await binary.query<{ name: string; type: string }>(`DESCRIBE TABLE ${a}.${TABLES.health}`);
    expect(blockFitsTable({ columns: STREAM_HEALTH_COLUMNS }, described)).toBe(true);
    for (const table of Object.values(TABLES)) {
      const [x, y] = [await contents(binary, a, table), await contents(json, b, table)];
      expect(y.length, `${table} rows`).toBeGreaterThan(0);
      expect(x, table).toEqual(y);
    }
    await binary.command(`DROP DATABASE ${a}`);
    await json.command(`DROP DATABASE ${b}`);
  }, 120_000);

  it('send a block with a value RowBinary would store differently as JSON, and store a retried block once', async () => {
    const db = uniqueName('rowbinary_fallback');
    const agg = new LocalAggregator(binary, { database: db, params: aggregationParams(), localNetworks: new LocalNetworksByAgent(DEFAULT_LOCAL_NETWORKS) });
    await agg.migrate();
    const row = {
      agent_id: 'a1', interface: 'eth0', window_start_ns: '1732000000000000000', window_ns: 1_000_000_000, frame_type: 'UDP',
      src_ip: '::ffff:10.0.0.1', dst_ip: '2001:db8::8a2e:370:7334', ip_proto: 17, src_port: 5000, dst_port: 5001, src_mac: 0, dst_mac: 0,
      ethertype: 0x0800, packets: 2, bytes: 200, sampled_packets: 2, sample_rate: 1, first_ts_ns: '1732000000000000001',
      last_ts_ns: '18446744073709551615', protocols: ['eth', 'ipv4', 'udp'], iat_count: 1, iat_sum_ns: 9_007_199_254_740_991,
      iat_sumsq_ns2: 0.5, iat_min_ns: 4294967296, iat_max_ns: 4294967295, outliers: 0, errors: 0,
    };
    const before = { ...binary.insertStats };
    await binary.insert(`${db}.flows`, [row], { dedupToken: 't1' });
    await binary.insert(`${db}.flows`, [row], { dedupToken: 't1' }); // a retry of the same block
    expect(binary.insertStats.rowBinary - before.rowBinary).toBe(2);
    // 70000 does not fit UInt16: JSONEachRow stores what the server makes of it, and so must this insert
    const wide = { ...row, src_port: 70_000, window_start_ns: '1732000001000000000' };
    await binary.insert(`${db}.flows`, [wide], { dedupToken: 't2' });
    await json.insert(`${db}.flows`, [{ ...wide, window_start_ns: '1732000002000000000' }], { dedupToken: 't3' });
    expect(binary.insertStats.fallbacks - before.fallbacks).toBe(1);
    const rows = await binary.query<Record<string, string | number>>(
      `SELECT window_start_ns, toString(src_ip) AS s, toString(dst_ip) AS d, src_port, last_ts_ns, iat_sum_ns, iat_min_ns, iat_max_ns, iat_sumsq_ns2
       FROM ${db}.flows ORDER BY window_start_ns`);
    expect(rows.map((r) => [r.window_start_ns, r.s, r.d, r.last_ts_ns, r.iat_sum_ns, r.iat_min_ns, r.iat_max_ns, r.iat_sumsq_ns2])).toEqual(
      ['1732000000000000000', '1732000001000000000', '1732000002000000000'].map((ws) =>
        [ws, '::ffff:10.0.0.1', '2001:db8::8a2e:370:7334', '18446744073709551615', '9007199254740991', '4294967296', '4294967295', 0.5]));
    expect(rows[1].src_port).toBe(rows[2].src_port);
    expect(rows[0].src_port).toBe(5000);
    await binary.command(`DROP DATABASE ${db}`);
  }, 60_000);

  it('send a RowBinary block as it is when the table has its column types, and as JSON objects when not', async () => {
    const db = uniqueName('rowblock');
    await binary.command(`CREATE DATABASE ${db}`);
    for (const [table, type] of [['narrow', 'UInt32'], ['wide', 'UInt64']]) {
      await binary.command(`CREATE TABLE ${db}.${table} (n ${type}, s LowCardinality(String), at UInt64) ENGINE = MergeTree ORDER BY tuple()`);
    }
    const columns: ColumnType[] = [{ name: 'n', type: 'UInt64' }, { name: 's', type: 'LowCardinality(String)' }, { name: 'at', type: 'UInt64' }];
    const block = (n: number) => {
      const w = new RowBlockWriter(columns);
      w.u32pair(n, 0);
      w.string('x');
      w.u32pair(0x89abcdef, 0x01234567);
      w.endRow();
      return w.block();
    };
    const before = { ...binary.insertStats };
    await binary.insert(`${db}.wide`, block(1), { dedupToken: 'a' });
    expect(binary.insertStats.rowBinary - before.rowBinary).toBe(1);
    // declared UInt64 where the table has UInt32: the server would misread the bytes, so the rows go as JSON
    await binary.insert(`${db}.narrow`, block(2), { dedupToken: 'b' });
    expect(binary.insertStats.json - before.json).toBe(1);
    for (const table of ['wide', 'narrow']) {
      expect(await binary.query(`SELECT toString(n) AS n, s, toString(at) AS at FROM ${db}.${table}`)).toEqual([
        { n: table === 'wide' ? '1' : '2', s: 'x', at: '81985529216486895' }]);
    }
    await binary.command(`DROP DATABASE ${db}`);
  }, 60_000);

  it('report the server error for a table that does not exist (the failed DESCRIBE leaves the insert to JSON)', async () => {
    const before = { ...binary.insertStats };
    await expect(binary.insert(`${uniqueName('nodb')}.flows`, [{ a: 1 }])).rejects.toThrow(/UNKNOWN_DATABASE|does not exist|doesn't exist/i);
    expect(binary.insertStats.rowBinary).toBe(before.rowBinary);
  }, 30_000);

  it('IPv6 flows go binary too', async () => {
    const db = uniqueName('rowbinary_v6');
    const recs: TimedRecord[] = [0, 1, 2, 3].map((i) => ({
      tsNs: START + BigInt(i) * 10_000_000n,
      record: enrichedRecord({ frameType: 'UDP', protocols: ['eth', 'ipv6', 'udp'], wireLen: 100 + i, src: ip6('fe80::1'), dst: ip6('ff02::1:3'), sport: 1, dport: 2 }),
    }));
    const batches = routeIntoBatches(recs, { agentId: 'v6', iface: 'eth0', partitions: 1, batchRecords: 10 });
    const before = binary.insertStats.rowBinary;
    await load(binary, db, batches);
    expect(binary.insertStats.rowBinary).toBeGreaterThan(before);
    const [r] = await binary.query<{ s: string; packets: string }>(`SELECT toString(src_ip) AS s, toString(sum(packets)) AS packets FROM ${db}.flows GROUP BY s`);
    expect(r).toEqual({ s: 'fe80::1', packets: '4' });
    await binary.command(`DROP DATABASE ${db}`);
  }, 60_000);
});
