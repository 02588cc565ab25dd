/**
 * A protocol section the contract cannot carry (a dissector bug: here the PTP
 * dissector made to put a sequenceId past 32 bits on every third message).
 * The batch path checks each record before anything writes it; the streaming
 * path checks nothing beforehand and drops the section when writing fails.
 * Both must give the same bytes and the same metrics: the section dropped,
 * the record marked `dissector.internal: ptp.sequence_id holds a value the
 * enriched contract cannot carry` and counted, its classification kept.
 */
import { describe, expect, it, vi } from 'vitest';
import { AvroCodec, SCHEMA_NAMES, type EnrichedBatch } from '@streamlens/common';
import { readCaptureRecords } from '../test-support/capture-records.js';
import { publicCapture } from '../test-oracles/capture-frames.js';
import { DissectorBatchCodec } from './batch-codec.js';
import { Dissector } from './dissect.js';
import { EnrichedRouter } from './enriched-router.js';
import { MessageDissector } from './message-dissector.js';

let ptpMessages = 0;
vi.mock('./protocols/ptp/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./protocols/ptp/index.js')>();
  return {
    ...real,
    dissectPtp: (...args: Parameters<typeof real.dissectPtp>) => {
      const r = real.dissectPtp(...args);
      if (r !== null && ptpMessages++ % 3 === 0) r.info.sequence_id = 2 ** 40;
      return r;
    },
  };
});

const codec = AvroCodec.forStreamLens();
const MESSAGE = 'dissector.internal: ptp.sequence_id holds a value the enriched contract cannot carry';

describe('a protocol section the contract cannot carry', () => {
  it('is dropped alike on the streaming and the batch path', async () => {
    const { batch } = await readCaptureRecords(publicCapture('ptp/tcpdump_ptp_ethernet.pcap')!);
    const message = codec.encode(SCHEMA_NAMES.packetBatch, batch);
    const batchCodec = new DissectorBatchCodec(codec);

    ptpMessages = 0;
    const a = new Dissector();
    const decoded = batchCodec.decodePacketBatch(message);
    const out: EnrichedBatch = a.dissectBatch(decoded);
    const want = new EnrichedRouter(batchCodec, 1).route(out, decoded);
    const dropped = out.records.filter((r) => r.errors.includes(MESSAGE));
    expect(dropped.length).toBeGreaterThan(10);
    expect(dropped.length).toBe(Math.ceil(ptpMessages / 3));
    for (const r of dropped) {
      expect(r.ptp).toBeNull();
      expect(r.frame_type).toMatch(/^PTP-/);
    }

    ptpMessages = 0;
    const b = new Dissector();
    const got = new MessageDissector(b, codec, 1).dissect(message);
    expect(got.records).toBe(batch.records.length);
    expect(got.messages.length).toBe(1);
    expect(got.messages[0].value.equals(want[0].value)).toBe(true);
    expect(b.metrics.registry.render()).toBe(a.metrics.registry.render());
    expect(b.metrics.internalErrors.value).toBe(dropped.length);
  });
});
