/**
 * The streaming path (MessageDissector: read pooled, dissect and write record
 * by record) must give exactly what the batch-at-a-time path gives
 * (decodePacketBatch → dissectBatch → EnrichedRouter): the same messages,
 * byte for byte, to the same partitions, and the same metrics, on every
 * public capture and the standard-protocol captures, with and without the
 * payload, into one and several partitions.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AvroCodec, AvroDecodeError, AvroSchemaError, buildPublishedSchemas, SCHEMA_NAMES, type AvroSchema, type PacketBatch,
} from '@streamlens/common';
import { samplePacketBatch } from '@streamlens/common/testing';
import { readCaptureRecords } from '../test-support/capture-records.js';
import { publicCapture } from '../test-oracles/capture-frames.js';
import { DissectorBatchCodec } from './batch-codec.js';
import { Dissector } from './dissect.js';
import { EnrichedRouter, type RoutedMessage } from './enriched-router.js';
import { MessageDissector } from './message-dissector.js';

const codec = AvroCodec.forStreamLens();
const HERE = dirname(fileURLToPath(import.meta.url));
const CAPTURES_ROOT = join(dirname(publicCapture('ch10udp/c10-tools_test.pcap')!), '..');
const STANDARD = join(HERE, '../test-fixtures/standard');

function captureFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['ch10udp', 'ch10udp_derived', 'iena', 'ptp']) {
    for (const n of readdirSync(join(CAPTURES_ROOT, dir)).sort()) if (/\.pcap(ng)?$/.test(n)) out.push(join(CAPTURES_ROOT, dir, n));
  }
  for (const n of readdirSync(STANDARD).sort()) if (n.endsWith('.pcap')) out.push(join(STANDARD, n));
  return out;
}

/** Every capture as PacketBatch messages of at most 300 records (so flows span messages). */
async function messages(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let seq = 0;
  for (const path of captureFiles()) {
    const { batch } = await readCaptureRecords(path);
    // Messages of at most 300 records, each based on its first record (a capture's clock may jump by more than an offset holds exactly).
    let chunk: typeof batch.records = [];
    const flush = () => {
      if (chunk.length === 0) return;
      const first = chunk[0].ts_offset_ns;
      const records = chunk.map((r) => ({ ...r, ts_offset_ns: r.ts_offset_ns - first }));
      out.push(codec.encode(SCHEMA_NAMES.packetBatch, { ...batch, base_ts_ns: batch.base_ts_ns + BigInt(first), batch_seq: seq++, records }));
      chunk = [];
    };
    for (const r of batch.records) {
      if (chunk.length === 300 || (chunk.length > 0 && Math.abs(r.ts_offset_ns - chunk[0].ts_offset_ns) > 2 ** 52)) flush();
      chunk.push(r);
    }
    flush();
  }
  return out;
}

function batchAtATime(d: Dissector, partitions: number): (m: Buffer) => RoutedMessage[] {
  const c = new DissectorBatchCodec(codec);
  const router = new EnrichedRouter(c, partitions);
  return (m) => {
    const decoded = c.decodePacketBatch(m);
    return router.route(d.dissectBatch(decoded), decoded);
  };
}

function metricsText(d: Dissector): string {
  return d.metrics.registry.render();
}

describe('MessageDissector', () => {
  for (const keepPayload of [false, true]) {
    for (const partitions of [1, 3]) {
      it(`writes what the batch-at-a-time path writes (keepPayload ${keepPayload}, ${partitions} partition(s))`, async () => {
        const msgs = await messages();
        const a = new Dissector({ keepPayload });
        const b = new Dissector({ keepPayload });
        const reference = batchAtATime(a, partitions);
        const stage = new MessageDissector(b, codec, partitions);
        let records = 0;
        let split = 0;
        for (const m of msgs) {
          const want = reference(m);
          const got = stage.dissect(m);
          records += got.records;
          if (got.messages.length > 1) split++;
          expect(got.messages.map((x) => [x.partition, x.key])).toEqual(want.map((x) => [x.partition, x.key]));
          got.messages.forEach((x, i) => expect(x.value.equals(want[i].value), `message ${i} of batch`).toBe(true));
        }
        expect(records).toBeGreaterThan(3000);
        if (partitions > 1) expect(split).toBeGreaterThan(0);
        expect(metricsText(b)).toBe(metricsText(a));
        expect(b.memory()).toEqual(a.memory());
      });
    }
  }

  it('refuses a malformed or foreign message before touching the dissector', () => {
    const d = new Dissector();
    const stage = new MessageDissector(d, codec);
    const good = codec.encode(SCHEMA_NAMES.packetBatch, samplePacketBatch(4));
    const before = metricsText(d);
    expect(() => stage.dissect(good.subarray(0, good.length - 5))).toThrow(AvroDecodeError);
    expect(() => stage.dissect(Buffer.from('not avro'))).toThrow(AvroSchemaError);
    expect(metricsText(d)).toBe(before);
    // and it goes on working
    expect(stage.dissect(good).records).toBe(4);
  });

  it('takes messages of an earlier PacketBatch version through schema resolution', () => {
    const published = buildPublishedSchemas().published.get(SCHEMA_NAMES.packetBatch)!;
    // An "earlier" writer schema: the packet record without ipv6_flow_label (the reader fills its default).
    const older = JSON.parse(JSON.stringify(published)) as AvroSchema;
    const rec = ((older.fields as AvroSchema[]).find((f) => f.name === 'records')!.type as AvroSchema).items as AvroSchema;
    rec.fields = (rec.fields as AvroSchema[]).filter((f) => f.name !== 'ipv6_flow_label');
    const oldCodec = new AvroCodec([older]);
    const both = AvroCodec.forStreamLens();
    both.addWriterSchema(older);
    const batch: PacketBatch = samplePacketBatch(6);
    for (const r of batch.records) r.ipv6_flow_label = 0;
    const message = oldCodec.encode(SCHEMA_NAMES.packetBatch, batch);
    const stage = new MessageDissector(new Dissector(), both);
    const got = stage.dissect(message);
    const want = batchAtATime(new Dissector(), 1)(codec.encode(SCHEMA_NAMES.packetBatch, batch));
    expect(got.records).toBe(6);
    expect(got.messages.map((m) => m.value)).toEqual(want.map((m) => m.value));
  });
});
