/**
 * The compiled codec is a drop-in for AvroCodec on the dissector's two
 * messages: same values read, same bytes written, same errors, on real
 * batches from every public capture and on edge values.
 */
import { describe, expect, it } from 'vitest';
import {
  AvroCodec, AvroDecodeError, AvroEncodeError, AvroSchemaError, SCHEMA_NAMES, type EnrichedBatch, type PacketBatch,
} from '@streamlens/common';
import { sampleEnrichedBatch, samplePacketBatch } from '@streamlens/common/testing';
import { readCaptureRecords } from '../test-support/capture-records.js';
import { publicCapture } from '../test-oracles/capture-frames.js';
import { DissectorBatchCodec } from './batch-codec.js';
import { Dissector } from './dissect.js';

const codec = AvroCodec.forStreamLens();
const fast = new DissectorBatchCodec(codec);

const CAPTURES = [
  'ch10udp/c10-tools_test.pcap', 'ch10udp_derived/c10net_pychapter10_ethernet.pcap', 'ch10udp_derived/c10net_pychapter10_discrete.pcap',
  'ch10udp/acranetwork_ch10_arinc.pcap', 'ptp/scapy-gptp_ptp_example.pcapng', 'ptp/tcpdump_ptp_management.pcap',
  'iena/acranetwork_iena_test.pcap', 'iena/acranetwork_ienad.pcap', 'iena/acranetwork_ienam_multiple.pcap',
];

async function batches(): Promise<PacketBatch[]> {
  const out: PacketBatch[] = [];
  for (const rel of CAPTURES) {
    const path = publicCapture(rel);
    if (!path && rel.includes('scapy-gptp')) continue; // kept out of the repository by its licence
    if (!path) throw new Error(`public capture ${rel} not found`);
    out.push((await readCaptureRecords(path)).batch);
  }
  return out;
}

describe('DissectorBatchCodec', () => {
  it('runs compiled for both messages', () => {
    expect(fast.compiled).toBe(true);
  });

  it('reads PacketBatch exactly as AvroCodec does (every public capture, the sample batch)', async () => {
    for (const b of [...await batches(), samplePacketBatch(5)]) {
      const msg = codec.encode(SCHEMA_NAMES.packetBatch, b);
      expect(fast.decodePacketBatch(msg)).toEqual(codec.decode(msg, SCHEMA_NAMES.packetBatch).value);
    }
  });

  it('writes EnrichedBatch byte for byte as AvroCodec does (dissected captures, the sample batch, edge values)', async () => {
    const d = new Dissector({ keepPayload: true });
    const outs: EnrichedBatch[] = (await batches()).map((b) => d.dissectBatch(b));
    const edge = sampleEnrichedBatch();
    const r = edge.records[0];
    edge.records.push({
      ...r, frame_type: 'Ünïcødé ✓ 𝄞', errors: ['x'.repeat(300)], frame_types: [], protocols: [],
      packet: { ...r.packet, ts_offset_ns: 2 ** 53 - 2, frame_no: -(2 ** 40), tcp_seq: 2 ** 32 - 1, wire_len: -1, payload: Buffer.alloc(70_000, 7) },
      app: null, ch10: null, ptp: null, iena: null, classified_by: undefined,
    });
    edge.base_ts_ns = -1n;
    outs.push(edge);
    for (const out of outs) {
      const expected = codec.encode(SCHEMA_NAMES.enrichedBatch, out);
      expect(fast.encodeEnrichedBatch(out).equals(expected)).toBe(true);
    }
  });

  it('copies packet records from the input message (payload dropped or kept) and the bytes stay identical', async () => {
    for (const keepPayload of [false, true]) {
      const c = new DissectorBatchCodec(codec);
      const d = new Dissector({ keepPayload });
      let records = 0;
      for (const b of await batches()) {
        const from = c.decodePacketBatch(codec.encode(SCHEMA_NAMES.packetBatch, b));
        const out = d.dissectBatch(from);
        expect(c.encodeEnrichedBatch(out, from).equals(codec.encode(SCHEMA_NAMES.enrichedBatch, out))).toBe(true);
        records += out.records.length;
      }
      expect(c.passedThrough).toBe(records);
    }
  });

  it('a packet that is not the input record (or its payload-less copy) is encoded field by field', () => {
    const c = new DissectorBatchCodec(codec);
    const from = c.decodePacketBatch(codec.encode(SCHEMA_NAMES.packetBatch, samplePacketBatch(3)));
    const out = new Dissector().dissectBatch(from);
    out.records[1] = { ...out.records[1], packet: { ...out.records[1].packet, frame_no: 999, payload: Buffer.alloc(0) } };
    expect(c.encodeEnrichedBatch(out, from).equals(codec.encode(SCHEMA_NAMES.enrichedBatch, out))).toBe(true);
    expect(c.passedThrough).toBe(2);
    // A batch of another length is never passed through.
    out.records.pop();
    expect(c.encodeEnrichedBatch(out, from).equals(codec.encode(SCHEMA_NAMES.enrichedBatch, out))).toBe(true);
    expect(c.passedThrough).toBe(2);
  });

  it('a damaged message is an AvroDecodeError, at every truncation and under random corruption', () => {
    const msg = codec.encode(SCHEMA_NAMES.packetBatch, samplePacketBatch(2));
    for (let n = 10; n < msg.length; n++) {
      expect(() => fast.decodePacketBatch(msg.subarray(0, n)), `cut at ${n}`).toThrow(AvroDecodeError);
    }
    let seed = 99;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 2000; k++) {
      const m = Buffer.from(msg);
      for (let j = 0; j < 3; j++) m[10 + Math.floor(rand() * (m.length - 10))] = Math.floor(rand() * 256);
      try {
        fast.decodePacketBatch(m);
      } catch (err) {
        expect(err).toBeInstanceOf(AvroDecodeError);
      }
    }
  });

  it('messages of other schemas and non-Avro bytes are refused as AvroCodec refuses them', () => {
    const enriched = codec.encode(SCHEMA_NAMES.enrichedBatch, sampleEnrichedBatch());
    expect(() => fast.decodePacketBatch(enriched)).toThrow(AvroSchemaError);
    expect(() => fast.decodePacketBatch(Buffer.from('not avro at all'))).toThrow(AvroSchemaError);
  });

  it('a value that does not fit the schema is an AvroEncodeError naming the field', () => {
    const bad = sampleEnrichedBatch();
    (bad.records[0] as { frame_type: unknown }).frame_type = 42;
    expect(() => fast.encodeEnrichedBatch(bad)).toThrow(AvroEncodeError);
    expect(() => fast.encodeEnrichedBatch(bad)).toThrow(/records\[\]\.frame_type/);
  });
});
