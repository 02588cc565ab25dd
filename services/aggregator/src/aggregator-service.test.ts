/**
 * The aggregator service against a real Kafka and a real ClickHouse server:
 * results equal the reference computed from the records, bad input goes to
 * the DLQ with reasons, a stop and restart continues exactly, and two
 * instances in one group (with a rebalance in the middle) write the same
 * tables as one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AvroCodec, createLogger, loadConfig, SCHEMA_NAMES, type EnrichedBatch } from '@streamlens/common';
import { testKafka, testSqlClient, uniqueName } from '../../../test/harness/context.js';
import { aggregatorOptions, type AggregatorConfig } from './aggregator-options.js';
import { AggregatorService } from './aggregator-service.js';
import { flightTestScenario, routeIntoBatches, type RoutedBatch } from './testing/synthetic-traffic.js';
import { createTopics, publishBatches, waitFor } from './testing/enriched-topic.js';
import { referenceByKey, referenceNetflow } from './testing/aggregator-harness.js';
import { snapshotTables } from './testing/table-snapshot.js';

const START = 1_732_000_000_000_000_000n;
const sql = testSqlClient();
const kafka = testKafka('aggregator-service-test');
const dbs: string[] = [];

afterAll(async () => {
  for (const db of dbs) await sql.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
  await sql.close();
});

function config(prefix: string, db: string, group: string, extra: string[] = []): AggregatorConfig {
  return loadConfig(aggregatorOptions, {
    argv: ['--topic-prefix', prefix, '--database', db, '--group-id', group, '--flush-interval', '150ms', '--checkpoint-interval', '600ms',
      '--idle-timeout', '1500ms', '--metrics-port', '0', '--max-future-skew', '0', '--kafka-brokers', 'unused:1', ...extra],
    env: {},
  }).config;
}

function service(c: AggregatorConfig, name: string): AggregatorService {
  return new AggregatorService(c, { sql, kafka, logger: createLogger({ service: name, level: 'warn' }) });
}

async function totalPackets(db: string): Promise<number> {
  const [r] = await sql.query<{ p: string }>(`SELECT sum(packets) AS p FROM ${db}.flows`);
  return Number(r.p);
}

function scenario(seconds: number, partitions: number, startNs = START, seed = 1): RoutedBatch[] {
  const recs = flightTestScenario({ startNs, durationNs: BigInt(seconds) * 1_000_000_000n, backgroundFlows: 60, seed });
  return routeIntoBatches(recs, { agentId: 'ft-1', iface: 'eth0', partitions, batchRecords: 50 });
}

const recordsIn = (bs: readonly RoutedBatch[]) => bs.reduce((n, b) => n + b.batch.records.length, 0);

describe('AggregatorService', () => {
  it('writes flows, outliers and netflow buckets equal to the reference; bad input goes to the DLQ', async () => {
    const prefix = uniqueName('agg');
    const db = uniqueName('agg');
    dbs.push(db);
    const partitions = 4;
    await createTopics(kafka, [{ topic: `${prefix}.enriched`, partitions }]);
    const batches = scenario(8, partitions);
    // a record far behind its capture point's newest one: too late
    const lateBatch: EnrichedBatch = { ...batches[batches.length - 1].batch, batch_seq: 99_999, base_ts_ns: START, records: [batches[0].batch.records[0]] };
    lateBatch.records = [{ ...lateBatch.records[0], packet: { ...lateBatch.records[0].packet, ts_offset_ns: 0 } }];
    const late: RoutedBatch = { partition: batches[batches.length - 1].partition, batch: lateBatch };
    // not Avro at all, and a known schema's header with a body that does not decode
    const header = AvroCodec.forStreamLens().encode(SCHEMA_NAMES.enrichedBatch, batches[0].batch).subarray(0, 10);
    const garbage = [{ partition: 0, value: Buffer.from('not avro at all') }, { partition: 1, value: Buffer.concat([header, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]) }];
    // written in transactions as the dissector does, with aborted transactions of junk in between
    await publishBatches(kafka, `${prefix}.enriched`, [...batches, late], garbage, { transactional: true, abortEvery: 3 });

    const svc = service(config(prefix, db, `${prefix}-g`), 'agg-a');
    await svc.start();
    const expected = recordsIn(batches);
    try {
      await waitFor('every packet in flows', async () => (await totalPackets(db)) === expected, 60_000);
    } finally {
      await svc.stop();
    }
    // per-key whole-capture figures through the flow_stats view
    const ref = referenceByKey(batches.map((b) => b.batch));
    const stats = await sql.query<Record<string, string | number>>(
      `SELECT agent_id, interface, frame_type, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip, ip_proto, src_port, dst_port,
              src_mac, dst_mac, ethertype, packets, bytes, iat_count, iat_mean_ns, iat_std_ns, outliers FROM ${db}.flow_stats`);
    expect(stats.length).toBe(ref.size);
    for (const s of stats) {
      const key = [s.agent_id, s.interface, s.frame_type, s.src_ip, s.dst_ip, s.ip_proto, s.src_port, s.dst_port, s.src_mac, s.dst_mac, s.ethertype].map(String).join('|');
      const r = ref.get(key);
      expect(r, key).toBeDefined();
      expect(Number(s.packets)).toBe(r!.packets);
      expect(Number(s.bytes)).toBe(r!.bytes);
      expect(Number(s.iat_count)).toBe(r!.iats.length);
      expect(Number(s.outliers)).toBe(r!.outliers);
      if (r!.iats.length > 1) {
        const mean = r!.iats.reduce((a, b) => a + b, 0) / r!.iats.length;
        const std = Math.sqrt(r!.iats.reduce((a, x) => a + (x - mean) ** 2, 0) / r!.iats.length);
        expect(Number(s.iat_mean_ns)).toBeCloseTo(mean, 3);
        expect(Math.abs(Number(s.iat_std_ns) - std)).toBeLessThan(Math.max(1e-6 * mean, 1));
      }
    }
    const [ab] = await sql.query<{ n: string }>(`SELECT count() AS n FROM ${db}.flows WHERE agent_id = 'aborted'`);
    expect(Number(ab.n)).toBe(0);
    const [o] = await sql.query<{ n: string }>(`SELECT count() AS n FROM ${db}.flow_outliers WHERE frame_type = 'IENA-D'`);
    expect(Number(o.n)).toBe(1);
    // netflow through the view, exact distinct counts across the 4 partitions
    const nref = referenceNetflow(batches.map((b) => b.batch));
    const nf = await sql.query<Record<string, string>>(`SELECT agent_id, interface, bucket_start_ns, pkts_in, pkts_out, bytes_in, bytes_out, unique_dst_ips, unique_dst_ports, tcp_new_flows FROM ${db}.netflow_buckets`);
    expect(nf.length).toBe(nref.size);
    for (const r of nf) {
      const e = nref.get(`${r.agent_id}|${r.interface}|${r.bucket_start_ns}`)!;
      expect([r.pkts_in, r.pkts_out, r.bytes_in, r.bytes_out, r.unique_dst_ips, r.unique_dst_ports, r.tcp_new_flows].map(Number))
        .toEqual([e.pktsIn, e.pktsOut, e.bytesIn, e.bytesOut, e.dstIps.size, e.dstPorts.size, e.newFlows]);
    }
    // DLQ: the garbage message and the late record, with reasons
    const dlq: { reason: string; records?: string; source: string }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const h = (k: string) => message.headers?.[k]?.toString();
        dlq.push({ reason: h('streamlens-reason')!, records: h('streamlens-records'), source: h('streamlens-source')! });
      },
    });
    await waitFor('three DLQ messages', async () => dlq.length >= 3, 30_000);
    await consumer.disconnect();
    expect(dlq.map((d) => d.reason).sort()).toEqual(['malformed_avro', 'too_late', 'unknown_schema']);
    expect(dlq.find((d) => d.reason === 'too_late')!.records).toBe('0');
    expect(svc.metrics.deadLetters.total()).toBe(3);
    expect(svc.metrics.epochsSealed.value).toBeGreaterThan(2);
    expect(svc.metrics.checkpointsWritten.value).toBeGreaterThan(0);
  }, 120_000);

  it('a new owner closes the windows it restored on the idle timeout, though no record arrives after the rebalance', async () => {
    // The first owner consumes everything there is and stops: its open windows live on only in the checkpoint.
    const prefix = uniqueName('aggq');
    const partitions = 3;
    await createTopics(kafka, [{ topic: `${prefix}.enriched`, partitions }]);
    const wave = scenario(3, partitions);
    await publishBatches(kafka, `${prefix}.enriched`, wave);
    const db = uniqueName('aggq');
    dbs.push(db);
    const group = `${prefix}-g`;
    const first = service(config(prefix, db, group), 'quiet-first');
    await first.start();
    await waitFor('the first owner consumed everything', async () => first.metrics.recordsIn.value >= recordsIn(wave), 60_000);
    await first.stop();
    const written = await totalPackets(db);
    expect(written).toBeLessThan(recordsIn(wave)); // the last windows are still open
    const next = service(config(prefix, db, group), 'quiet-next');
    await next.start();
    try {
      await waitFor('the restored windows closed', async () => (await totalPackets(db)) === recordsIn(wave), 30_000);
    } finally {
      await next.stop();
    }
    expect(next.metrics.recordsIn.value).toBe(0);
    expect(next.metrics.restores.value).toBe(partitions);
  }, 120_000);

  it('a stop and a restart continue exactly, and two instances with rebalances mid-run write the same tables as one', async () => {
    // the same waves go to two topics: one for the single-instance reference, one for the pair
    const prefix = uniqueName('aggs');
    const prefix2 = uniqueName('aggs2');
    const partitions = 6;
    await createTopics(kafka, [{ topic: `${prefix}.enriched`, partitions }, { topic: `${prefix2}.enriched`, partitions }]);
    const waves = [0, 1, 2].map((w) => scenario(4, partitions, START + BigInt(w) * 4_000_000_000n, 10 + w));
    const upTo = (w: number) => waves.slice(0, w + 1).reduce((n, x) => n + recordsIn(x), 0);
    const expectedAll = upTo(2);
    await publishBatches(kafka, `${prefix}.enriched`, waves[0]);

    // reference: one instance, stopped and restarted between waves
    const dbOne = uniqueName('agg1');
    dbs.push(dbOne);
    const one = service(config(prefix, dbOne, `${prefix}-one`), 'one');
    await one.start();
    await waitFor('wave 1 consumed', async () => one.metrics.recordsIn.value >= upTo(0), 60_000);
    await one.stop();
    await publishBatches(kafka, `${prefix}.enriched`, waves[1]);
    await publishBatches(kafka, `${prefix}.enriched`, waves[2]);
    const oneAgain = service(config(prefix, dbOne, `${prefix}-one`), 'one-again');
    await oneAgain.start();
    try {
      await waitFor('all packets (one instance)', async () => (await totalPackets(dbOne)) === expectedAll, 90_000);
      expect(oneAgain.metrics.restores.value).toBe(partitions);
      expect(oneAgain.metrics.epochsReplayed.value).toBe(0); // a clean stop leaves nothing to replay
    } finally {
      await oneAgain.stop();
    }

    // two instances in one group: b joins after wave 1, a leaves while wave 3 is consumed
    const dbTwo = uniqueName('agg2');
    dbs.push(dbTwo);
    const group = `${prefix2}-two`;
    const a = service(config(prefix2, dbTwo, group), 'two-a');
    const b = service(config(prefix2, dbTwo, group), 'two-b');
    await publishBatches(kafka, `${prefix2}.enriched`, waves[0]);
    await a.start();
    await waitFor('a consumed wave 1', async () => a.metrics.recordsIn.value >= upTo(0), 60_000);
    await b.start();
    await waitFor('both own partitions', async () => a.metrics.partitionsOwned.get() > 0 && b.metrics.partitionsOwned.get() > 0 &&
      a.metrics.partitionsOwned.get() + b.metrics.partitionsOwned.get() === partitions, 60_000);
    await publishBatches(kafka, `${prefix2}.enriched`, waves[1]);
    await waitFor('both consumed wave 2', async () => a.metrics.recordsIn.value + b.metrics.recordsIn.value >= upTo(1) && b.metrics.recordsIn.value > 0, 60_000);
    await publishBatches(kafka, `${prefix2}.enriched`, waves[2]);
    await a.stop();
    try {
      await waitFor('all packets (two instances)', async () => (await totalPackets(dbTwo)) === expectedAll, 90_000);
    } catch (err) {
      // say where it stood: short (lost or stuck) or over (double counted)
      throw new Error(`${(err as Error).message}; ClickHouse has ${await totalPackets(dbTwo)} of ${expectedAll} packets; ` +
        `b owns ${b.metrics.partitionsOwned.get()} partitions and read ${b.metrics.recordsIn.value} records`);
    } finally {
      await b.stop();
    }
    expect(b.metrics.restores.value).toBeGreaterThan(partitions / 2);
    const s1 = await snapshotTables(sql, dbOne);
    const s2 = await snapshotTables(sql, dbTwo);
    expect(s1.flows.length).toBeGreaterThan(100);
    expect(s2.flows).toEqual(s1.flows);
    expect(s2.outliers).toEqual(s1.outliers);
    expect(s2.netflow).toEqual(s1.netflow);
    expect(s2.flows1m).toEqual(s1.flows1m);
    // and they are the reference's keys and totals
    const ref = referenceByKey(waves.flat().map((x) => x.batch));
    const [k] = await sql.query<{ n: string }>(`SELECT count() AS n FROM ${dbTwo}.flow_stats`);
    expect(Number(k.n)).toBe(ref.size);
  }, 400_000);
});
