/**
 * The embedded mode and the distributed pipeline compute the same thing:
 * `streamlens analyze` on the bundled sample, and the same file through
 * `streamlens agent` → Kafka → `streamlens dissector` → Kafka →
 * `streamlens aggregator` → the ClickHouse server, give the same flows,
 * outliers and netflow buckets, row for row; and the README's example queries
 * give the same non-empty answers on both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@streamlens/local-infra';
import { testBrokers, testClickHouseUrl, testKafka, testSqlClient, uniqueName } from '../harness/context.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../fixtures/sample/streamlens-sample.pcapng', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-e2e-'));
const prefix = uniqueName('e2e');
const database = uniqueName('e2e');
const running: ChildProcess[] = [];

/** The README's SQL examples: an `<!-- example: id -->` line, then a ```sql block. */
function readmeExamples(): { id: string; sql: string }[] {
  const text = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const out: { id: string; sql: string }[] = [];
  const re = /<!-- example: ([a-z0-9-]+) -->\s*```sql\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ id: m[1], sql: m[2].trim() });
  return out;
}

// Every stored column except ingested_at (the wall time of the insert), in a stable order.
const QUERIES: Record<string, string> = {
  flows: `SELECT agent_id, interface, window_start_ns, window_ns, frame_type, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip,
            ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype, packets, bytes, sampled_packets, sample_rate, first_ts_ns, last_ts_ns,
            protocols, iat_count, iat_sum_ns, iat_sumsq_ns2, iat_min_ns, iat_max_ns, outliers, errors
          FROM {db}.flows
          ORDER BY agent_id, interface, window_start_ns, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype`,
  flow_outliers: `SELECT agent_id, interface, ts_ns, window_start_ns, frame_no, frame_type, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip,
            src_port, dst_port, src_mac, dst_mac, iat_ns, mean_ns, std_ns, sigma FROM {db}.flow_outliers ORDER BY ts_ns, frame_no`,
  netflow_buckets: `SELECT * EXCEPT (bucket_start) FROM {db}.netflow_buckets ORDER BY agent_id, interface, bucket_ms, bucket_start_ns`,
  stream_health: `SELECT * EXCEPT (window_start, ingested_at) FROM {db}.stream_health
          ORDER BY agent_id, interface, kind, window_start_ns, src_ip, dst_ip, stream_id, domain, clock_id, port_number, message_type, keyed_by`,
  ptp_events: `SELECT * EXCEPT (ts, ingested_at) FROM {db}.ptp_events ORDER BY agent_id, interface, domain, ts_ns, event, clock_id, port_number, field`,
  tmats_sightings: `SELECT * EXCEPT (window_start, ingested_at) FROM {db}.tmats_sightings ORDER BY agent_id, interface, window_start_ns, src_ip, dst_ip, channel_id, program_name`,
};

function service(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [BIN, ...args, '--kafka-brokers', testBrokers().join(','), '--topic-prefix', prefix, '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  running.push(p);
  return p;
}

const exited = (p: ChildProcess) => new Promise<number | null>((resolve) => {
  if (p.exitCode !== null) resolve(p.exitCode);
  else p.once('exit', (code) => resolve(code));
});

afterAll(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  const sql = testSqlClient();
  await sql.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.close();
  const admin = testKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: ['packets', 'enriched', 'dlq', 'alerts'].map((t) => `${prefix}.${t}`) }).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded and distributed', () => {
  it('give the same flows, outliers, netflow buckets and stream health for the bundled sample', async () => {
    // Embedded.
    const store = join(dir, 'store');
    const analyze = spawnSync(process.execPath, [BIN, 'analyze', SAMPLE, '--data-dir', store, '--agent-id', 'e2e', '--no-summary'], { encoding: 'utf8', timeout: 120_000 });
    expect(analyze.status, analyze.stderr).toBe(0);
    const embedded: Record<string, string> = {};
    for (const [table, q] of Object.entries(QUERIES)) {
      const r = spawnSync(process.execPath, [BIN, 'sql', '--data-dir', store, '--format', 'JSONEachRow', q.replaceAll('{db}', 'streamlens')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      embedded[table] = r.stdout;
    }
    expect(embedded.flows.split('\n').length).toBeGreaterThan(100);
    for (const t of ['stream_health', 'ptp_events', 'tmats_sightings']) expect(embedded[t].trim().length, t).toBeGreaterThan(0);

    // Distributed: the agent replays the file into Kafka; a dissector and an aggregator turn it into ClickHouse rows.
    const agent = service(['agent', '--read', SAMPLE, '--agent-id', 'e2e', '--create-topics', '--topic-partitions', '4', '--progress', 'never',
      '--spool-dir', join(dir, 'spool'), '--metrics-port', '0']);
    expect(await exited(agent)).toBe(0);
    const dissector = service(['dissector', '--metrics-port', '0']);
    const metricsPort = await freePort();
    const aggregator = service(['aggregator', '--clickhouse-url', testClickHouseUrl(), '--database', database, '--metrics-port', String(metricsPort),
      '--metrics-host', '127.0.0.1', '--flush-on-stop', '--flush-interval', '200ms']);
    // Wait until the aggregator has consumed every enriched message the dissector produced for every packet batch.
    const admin = testKafka().admin();
    await admin.connect();
    // The dissector has committed (transactionally) every packet batch, and the aggregator has consumed every record.
    const frames = Number(/"frames":"?(\d+)/.exec(spawnSync(process.execPath, [BIN, 'sql', '--data-dir', store, '--format', 'JSONEachRow',
      'SELECT frames FROM ingest_runs FINAL'], { encoding: 'utf8' }).stdout)![1]);
    const dissected = async () => {
      const ends = await admin.fetchTopicOffsets(`${prefix}.packets`);
      const offs = (await admin.fetchOffsets({ groupId: 'streamlens-dissector', topics: [`${prefix}.packets`] }))[0].partitions;
      return ends.every((e) => Number(offs.find((o) => o.partition === e.partition)?.offset ?? -1) >= Number(e.high));
    };
    const aggregated = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return Number(/^streamlens_aggregator_records_in_total (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const deadline = Date.now() + 120_000;
    while (!((await dissected().catch(() => false)) && (await aggregated().catch(() => 0)) >= frames)) {
      if (Date.now() > deadline) throw new Error('the distributed pipeline did not catch up in time');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await aggregated()).toBe(frames);
    await admin.disconnect();
    dissector.kill('SIGTERM');
    aggregator.kill('SIGTERM');
    expect(await exited(dissector)).toBe(0);
    expect(await exited(aggregator)).toBe(0);

    const sql = testSqlClient();
    try {
      for (const { id, sql: query } of readmeExamples()) {
        const onServer = await sql.queryText(query.replaceAll('streamlens.', `${database}.`), 'JSONEachRow');
        const r = spawnSync(process.execPath, [BIN, 'sql', '--data-dir', store, '--format', 'JSONEachRow', query], { encoding: 'utf8' });
        expect(r.status, `${id}: ${r.stderr}`).toBe(0);
        expect(onServer.trim().length, id).toBeGreaterThan(0);
        expect(onServer, id).toBe(r.stdout);
      }
      for (const [table, q] of Object.entries(QUERIES)) {
        const distributed = await sql.queryText(q.replaceAll('{db}', database), 'JSONEachRow');
        if (distributed !== embedded[table]) {
          // Keep both for diffing: the assertion below shows only their beginnings.
          writeFileSync(join(tmpdir(), `streamlens-e2e-${table}-embedded.jsonl`), embedded[table]);
          writeFileSync(join(tmpdir(), `streamlens-e2e-${table}-distributed.jsonl`), distributed);
        }
        expect(distributed, table).toBe(embedded[table]);
      }
    } finally {
      await sql.close();
    }
  }, 300_000);
});
