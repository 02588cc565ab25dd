/**
 * Real PTP results (every public capture plus crafted TLV-rich messages) go
 * through the enriched-topic Avro contract and come back equal: every
 * PtpInfo field fits its schema type.
 */
import { AvroCodec, SCHEMA_NAMES, emptyPacketRecord, type EnrichedBatch } from '@streamlens/common';
import { describe, expect, it } from 'vitest';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import {
  cancelValue, followUpInfoData, intervalRequestData, orgValue, portIdentity, ptpMessage, ptpV1Message, tlv, unicastValue,
} from '../../../test-oracles/ptp-builder.js';
import { dissectPtp, type PtpResult } from './index.js';

describe('PTP results through the Avro contract', () => {
  it('round-trips every field', () => {
    const results: PtpResult[] = [];
    for (const f of ['ptp/tcpdump_ptp.pcap', 'ptp/tcpdump_ptp_corrections.pcap', 'ptp/tcpdump_ptp_ethernet.pcap',
      'ptp/tcpdump_ptp_management.pcap', 'ptp/tcpdump_ptp_v2_1.pcap']) {
      for (const fr of readCaptureFrames(publicCapture(f)!)) {
        const p = framePayload(fr.data);
        results.push(dissectPtp(p.payload, p.kind === 'ethernet-ptp' ? 'ethernet' : 'udp', p.srcPort, p.dstPort)!);
      }
    }
    results.push(dissectPtp(ptpMessage({ type: 0xc, correction: -(2n ** 40n), messageTypeSpecific: 0xffffffff },
      portIdentity('ffffffffffffffff', 0xffff), [
        tlv(5, unicastValue(0xb, -128, 0xffffffff, true)), tlv(6, cancelValue(0xf)),
        tlv(3, orgValue(0x0080c2, 2, intervalRequestData(-128, 127, 126, 0xff))),
        tlv(3, orgValue(0x0080c2, 1, followUpInfoData(-2147483648, 65535, 2147483647))),
        tlv(8, Buffer.from('0102030405060708', 'hex')), tlv(0x8008, Buffer.alloc(2)),
      ]), 'udp', 320, 320)!);
    results.push(dissectPtp(ptpV1Message(4, 'ffffffffffff', 65535, 65535, Buffer.alloc(20)), 'udp', 320, 320)!);
    results.push(dissectPtp(Buffer.from([0x0b, 0x02]), 'ethernet', 0, 0)!);
    const batch: EnrichedBatch = {
      agent_id: 'a', interface: 'i', link_type: 1, agent_run: 'r', batch_seq: 0, base_ts_ns: 0n, sample_rate: 1,
      records: results.map((r) => ({
        packet: emptyPacketRecord(), frame_type: r.frameType, frame_types: [r.frameType], protocols: ['ptp'],
        errors: r.errors, cast: 'multicast', ch10: null, ptp: r.info, iena: null, app: null, classified_by: 'ethertype',
      })),
    };
    const codec = AvroCodec.forStreamLens();
    const back = codec.decode<EnrichedBatch>(codec.encode(SCHEMA_NAMES.enrichedBatch, batch)).value;
    expect(back.records.map((r) => r.ptp)).toEqual(results.map((r) => r.info));
  });
});
