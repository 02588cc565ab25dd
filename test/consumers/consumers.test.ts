/**
 * The documented downstream consumers (docs/consumers.md) against a real
 * broker: the Python one with only the published .avsc files and Debian's
 * python3-confluent-kafka + python3-avro, and the TypeScript one.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroCodec, SCHEMA_NAMES, type EnrichedRecord } from '@streamlens/common';
import { sampleEnrichedBatch } from '@streamlens/common/testing';
import { consumeEnriched } from '../../docs/examples/typescript/consume-enriched.js';
import { testBrokers, testKafka, uniqueName } from '../harness/context.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Debian's interpreter has the Debian packages (a pyenv python3 on PATH would not).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const topic = uniqueName('consumers_enriched');
const codec = AvroCodec.forStreamLens();
const batch = sampleEnrichedBatch();

beforeAll(async () => {
  const admin = testKafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = testKafka().producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tx = await producer.transaction();
  await tx.send({ topic, messages: [{ key: 'agent-1/eth0', value: codec.encode(SCHEMA_NAMES.enrichedBatch, batch), partition: 0 }] });
  await tx.commit();
  // An aborted transaction: read_committed consumers never see it.
  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: [{ value: codec.encode(SCHEMA_NAMES.enrichedBatch, { ...batch, batch_seq: 999 }), partition: 1 }] });
  await aborted.abort();
  await producer.disconnect();
});

afterAll(async () => {
  const admin = testKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('downstream consumers', () => {
  it('Python, with only the published .avsc files, decodes every field', async () => {
    const { stdout, stderr } = await run(PYTHON, [
      `${ROOT}/docs/examples/python/consume_enriched.py`, '--brokers', testBrokers().join(','), '--topic', topic,
      '--schemas', `${ROOT}/schemas/avro`, '--group', uniqueName('py'), '--idle-timeout', '6',
    ], { timeout: 60_000 });
    const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(stderr).toBe('');
    expect(lines).toHaveLength(1);
    const r = batch.records[0];
    expect(lines[0]).toEqual({
      agent_id: 'agent-1', interface: 'eth0', ts_ns: Number(batch.base_ts_ns + BigInt(r.packet.ts_offset_ns)),
      frame_no: r.packet.frame_no, frame_type: 'TMATS', protocols: r.protocols,
      src_ip: r.packet.src_ip.toString('hex'), dst_ip: r.packet.dst_ip.toString('hex'),
      src_port: r.packet.src_port, dst_port: r.packet.dst_port, wire_len: r.packet.wire_len,
      ptp_sequence_id: 65535, ptp_clock: '7cfe90fffef950b4', iena_key: 0x2cfa, iena_sequence: 65535,
      ch10_channels: [0], tmats_program: 'D200', errors: ['ch10.bad_data_checksum'],
    });
    // JSON numbers lose ns precision above 2^53: check the exact value from the text.
    expect(stdout).toContain(`"ts_ns": ${batch.base_ts_ns + BigInt(r.packet.ts_offset_ns)}`);
  }, 90_000);

  it('TypeScript, with the project codec, gets the records field-identical', async () => {
    const got: { r: EnrichedRecord; ts: bigint }[] = [];
    await consumeEnriched({ brokers: testBrokers(), topic, groupId: uniqueName('ts'), maxMessages: 1, onRecord: (r, ts) => got.push({ r, ts }) });
    expect(got).toHaveLength(1);
    expect(got[0].r).toEqual(batch.records[0]);
    expect(got[0].ts).toBe(batch.base_ts_ns + BigInt(batch.records[0].packet.ts_offset_ns));
  }, 60_000);
});
