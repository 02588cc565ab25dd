import { describe, expect, it } from 'vitest';
import { AvroCodec } from './codec.js';
import { EnrichedBatchWriter, PacketBatchWriter } from './batch-writer.js';
import { SCHEMA_NAMES, type EnrichedBatch, type PacketBatch, type PacketRecord } from '../records.js';
import { prng, randomValue, type T } from '../testing/random-avro-values.js';
import { sampleEnrichedBatch, samplePacketBatch } from '../testing/sample-records.js';

const codec = AvroCodec.forStreamLens();
const reference = AvroCodec.forStreamLens({ compiledWriters: false });

function viaWriter(w: PacketBatchWriter, batch: PacketBatch): Buffer {
  const { records, ...header } = batch;
  w.begin(header);
  for (const r of records) w.add(r);
  expect(w.count).toBe(records.length);
  return w.finish();
}

describe('PacketBatchWriter', () => {
  it("writes avsc's bytes for batches of 0, 1, 5 and 3000 records, reusing itself", () => {
    const w = new PacketBatchWriter(codec);
    for (const n of [0, 1, 5, 3000, 2]) {
      const batch = samplePacketBatch(n);
      batch.batch_seq = n;
      const msg = viaWriter(w, batch);
      expect(msg.equals(reference.encode(SCHEMA_NAMES.packetBatch, batch)), `${n} records`).toBe(true);
      expect(codec.decode<PacketBatch>(msg).value).toEqual(batch);
    }
  });

  it('an envelope longer than the room kept in front of the records still gives the same bytes', () => {
    const w = new PacketBatchWriter(codec);
    for (const n of [0, 3, 2000]) {
      const batch = samplePacketBatch(n);
      batch.agent_id = 'h'.repeat(700);
      batch.interface = 'é'.repeat(300);
      expect(viaWriter(w, batch).equals(reference.encode(SCHEMA_NAMES.packetBatch, batch)), `${n} records`).toBe(true);
    }
  });

  it("writes avsc's bytes for random records and envelopes", () => {
    const w = new PacketBatchWriter(codec);
    const type = codec.type(SCHEMA_NAMES.packetBatch) as unknown as T;
    const rnd = prng(7);
    for (let i = 0; i < 40; i++) {
      const batch = randomValue(type, rnd) as PacketBatch;
      // Records with every defaulted field given (the writer takes records as decoders produce them).
      batch.records = batch.records.map((r) => ({ ...samplePacketBatch(1).records[0], ...r }));
      expect(viaWriter(w, batch).equals(reference.encode(SCHEMA_NAMES.packetBatch, batch)), `batch #${i}`).toBe(true);
    }
  });

  it('a record that does not match the schema is refused and leaves the batch intact', () => {
    const w = new PacketBatchWriter(codec);
    const batch = samplePacketBatch(3);
    const { records, ...header } = batch;
    w.begin(header);
    w.add(records[0]);
    const bad = { ...records[1], payload: 'not bytes' } as unknown as PacketRecord;
    expect(() => w.add(bad)).toThrow();
    w.add(records[1]);
    w.add(records[2]);
    expect(w.count).toBe(3);
    expect(w.finish().equals(reference.encode(SCHEMA_NAMES.packetBatch, batch))).toBe(true);
  });

  it('add and finish need begin', () => {
    const w = new PacketBatchWriter(codec);
    expect(() => w.add(samplePacketBatch(1).records[0])).toThrow(/before begin/);
    expect(() => w.finish()).toThrow(/before begin/);
  });

  it('writes EnrichedBatch messages as avsc does, records added one by one', () => {
    const w = new EnrichedBatchWriter(codec);
    for (const batch of [sampleEnrichedBatch(), { ...sampleEnrichedBatch(), records: [] }]) {
      const { records, ...header } = batch;
      w.begin(header);
      for (const r of records) w.add(r);
      const msg = w.finish();
      expect(msg.equals(reference.encode(SCHEMA_NAMES.enrichedBatch, batch))).toBe(true);
      expect(codec.decode<EnrichedBatch>(msg).value).toEqual(batch);
    }
  });
});
