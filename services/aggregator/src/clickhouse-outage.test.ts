/**
 * A real ClickHouse server (its own, on a fixed port and data directory) goes
 * down while the aggregator runs and comes back: writes are retried with
 * backoff, consumption pauses while the backlog is full, nothing crashes, and
 * the tables end exactly as the records say.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, ServerSqlClient } from '@streamlens/common';
import { freePort, startClickHouse, type LocalClickHouse } from '@streamlens/local-infra';
import { testKafka, uniqueName } from '../../../test/harness/context.js';
import { aggregatorOptions } from './aggregator-options.js';
import { AggregatorService } from './aggregator-service.js';
import { flightTestScenario, routeIntoBatches } from './testing/synthetic-traffic.js';
import { createTopics, publishBatches, waitFor } from './testing/enriched-topic.js';
import { referenceByKey } from './testing/aggregator-harness.js';

const START = 1_732_000_000_000_000_000n;
const kafka = testKafka('aggregator-outage-test');
const dir = mkdtempSync(join(tmpdir(), 'streamlens-outage-'));
let ch: LocalClickHouse | null = null;

afterAll(async () => {
  await ch?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClickHouse outage', () => {
  it('retries, pauses consumption, and loses or doubles nothing when ClickHouse goes down and comes back', async () => {
    const httpPort = await freePort();
    const tcpPort = await freePort();
    ch = await startClickHouse({ dataDir: dir, httpPort, tcpPort });
    const sql = new ServerSqlClient({ url: ch.url, requestTimeoutMs: 5000 });
    const prefix = uniqueName('aggout');
    const partitions = 4;
    await createTopics(kafka, [{ topic: `${prefix}.enriched`, partitions }]);
    const waves = [0, 1].map((w) => routeIntoBatches(
      flightTestScenario({ startNs: START + BigInt(w) * 5_000_000_000n, durationNs: 5_000_000_000n, backgroundFlows: 300, seed: 20 + w }),
      { agentId: 'out-1', iface: 'eth0', partitions, batchRecords: 50 }));
    const total = waves.flat().reduce((n, b) => n + b.batch.records.length, 0);
    await publishBatches(kafka, `${prefix}.enriched`, waves[0]);

    const config = loadConfig(aggregatorOptions, {
      argv: ['--topic-prefix', prefix, '--database', 'outage', '--group-id', `${prefix}-g`, '--flush-interval', '150ms', '--checkpoint-interval', '600ms',
        '--idle-timeout', '1500ms', '--metrics-port', '0', '--max-future-skew', '0', '--epoch-max-records', '1000', '--retry-max', '400ms', '--kafka-brokers', 'unused:1'],
      env: {},
    }).config;
    const svc = new AggregatorService(config, { sql, kafka, logger: createLogger({ service: 'outage', level: 'error' }) });
    await svc.start();
    try {
      const first = waves[0].reduce((n, b) => n + b.batch.records.length, 0);
      await waitFor('wave 1 consumed', async () => svc.metrics.recordsIn.value >= first, 60_000);
      await ch.stop(); // the database goes away
      await publishBatches(kafka, `${prefix}.enriched`, waves[1]);
      await waitFor('writes failing and retried', async () => svc.metrics.insertRetries.total() >= 3, 60_000);
      await waitFor('consumption paused on the backlog', async () => svc.metrics.backpressurePauses.value > 0, 60_000);
      const consumedDuringOutage = svc.metrics.recordsIn.value;
      ch = await startClickHouse({ dataDir: dir, httpPort, tcpPort }); // and comes back
      await waitFor('every packet in flows', async () => {
        const [r] = await sql.query<{ p: string }>('SELECT sum(packets) AS p FROM outage.flows');
        return Number(r.p) === total;
      }, 120_000);
      expect(consumedDuringOutage).toBeLessThan(total); // the pause held consumption back
    } finally {
      await svc.stop();
    }
    const ref = referenceByKey(waves.flat().map((b) => b.batch));
    const rows = await sql.query<{ packets: string; bytes: string; iat_count: string; n: string }>(
      'SELECT sum(packets) AS packets, sum(bytes) AS bytes, sum(iat_count) AS iat_count, count() AS n FROM outage.flow_stats');
    expect(Number(rows[0].n)).toBe(ref.size);
    expect(Number(rows[0].packets)).toBe([...ref.values()].reduce((s, r) => s + r.packets, 0));
    expect(Number(rows[0].bytes)).toBe([...ref.values()].reduce((s, r) => s + r.bytes, 0));
    expect(Number(rows[0].iat_count)).toBe([...ref.values()].reduce((s, r) => s + r.iats.length, 0));
    await sql.close();
  }, 300_000);
});
