/**
 * Real IENA results (the public captures, several configurations, and edge
 * packets) go through the enriched-topic Avro contract and come back equal.
 */
import { AvroCodec, SCHEMA_NAMES, emptyPacketRecord, type EnrichedBatch } from '@streamlens/common';
import { describe, expect, it } from 'vitest';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { dissectIena, parseIenaKeyTypes, type IenaConfig, type IenaResult } from './index.js';

describe('IENA results through the Avro contract', () => {
  it('round-trips every field', () => {
    const configs: IenaConfig[] = [
      { keyTypes: new Map(), ports: new Set() },
      { keyTypes: parseIenaKeyTypes({ '0x001a': 'M', '0x2cfa': 'N', '0xa33d': 'Q', '0x0a00': 'P' }), ports: new Set([1024]) },
    ];
    const results: IenaResult[] = [];
    for (const f of ['iena/acranetwork_iena_test.pcap', 'iena/acranetwork_ienad.pcap', 'iena/acranetwork_ienam_multiple.pcap',
      'iena/acranetwork_corrupt_ienad.pcap']) {
      for (const fr of readCaptureFrames(publicCapture(f)!)) {
        const p = framePayload(fr.data);
        for (const c of configs) results.push(dissectIena(p.payload, p.dstPort, p.srcPort, c)!);
      }
    }
    const edge = Buffer.alloc(16, 0xff);
    edge.writeUInt16BE(0xdead, 14);
    results.push(dissectIena(edge, 1024, 1, configs[1])!);
    results.push(dissectIena(Buffer.alloc(3), 1024, 1, configs[1])!);
    const batch: EnrichedBatch = {
      agent_id: 'a', interface: 'i', link_type: 1, agent_run: 'r', batch_seq: 0, base_ts_ns: 0n, sample_rate: 1,
      records: results.map((r) => ({
        packet: emptyPacketRecord(), frame_type: r.frameType, frame_types: [r.frameType], protocols: ['iena'],
        errors: r.errors, cast: 'multicast', ch10: null, ptp: null, iena: r.info, app: null, classified_by: 'iena',
      })),
    };
    const codec = AvroCodec.forStreamLens();
    const back = codec.decode<EnrichedBatch>(codec.encode(SCHEMA_NAMES.enrichedBatch, batch)).value;
    expect(back.records.map((r) => r.iena)).toEqual(results.map((r) => r.info));
  });
});
