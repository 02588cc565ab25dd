/**
 * Every Chapter 10 trap listed in test/fixtures/captures/README.md, on the
 * real AcraNetwork captures (the c10-tools segmented/truncated capture is in
 * chapter10-udp.test.ts).
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { describe, expect, it } from 'vitest';
import { AvroCodec, emptyPacketRecord, SCHEMA_NAMES, type EnrichedBatch } from '@streamlens/common';
import { readPcapUdp, type UdpDatagram } from '../../../test-oracles/pcap-udp.js';
import { dissectChapter10, type Ch10Result } from './dissect-chapter10.js';
import { Ch10Reassembler } from './reassembly.js';

const UDP = `${CAPTURES_DIR}/ch10udp`;
const alone = { flowKnownCh10: false, portPinned: false };
const inFlow = { flowKnownCh10: true, portPinned: false };

function read(name: string): UdpDatagram[] {
  return readPcapUdp(`${UDP}/${name}.pcap`);
}

describe('Format 1 that looks like Format 2 (acranetwork_ch10_format_1_looks_like2.pcap)', () => {
  const datagrams = read('acranetwork_ch10_format_1_looks_like2');

  it('is read as Format 1 although byte 3 has a 2 in its low nibble', () => {
    expect(datagrams.length).toBe(5);
    expect(datagrams.filter((d) => (d.payload[3] & 0x0f) === 2).length).toBe(3);
    const results = datagrams.map((d) => dissectChapter10(d.payload, alone)!);
    expect(results.map((r) => r.info.udp_format)).toEqual([1, 1, 1, 1, 1]);
    expect(results.map((r) => r.info.udp_seq)).toEqual([131070, 131071, 131072, 131073, 131074]);
    for (const r of results) {
      expect(r.frameType).toBe('CH10-PCM');
      expect(r.errors).toEqual([]);
      expect(r.info.packets).toHaveLength(1);
      const p = r.info.packets[0];
      expect(p).toMatchObject({ channel_id: 2560, data_type: 0x09, header_checksum_ok: true, complete: true,
        secondary_time_format: 1, secondary_checksum: 'word' });
      // IEEE-1588 seconds close to 2000-01-01.
      expect(p.secondary_time_s! - 946_684_800).toBeGreaterThanOrEqual(0);
      expect(p.secondary_time_s! - 946_684_800).toBeLessThan(86_400);
      expect(p.secondary_time_ns!).toBeLessThan(1e9);
    }
    // The per-channel sequence wraps 255 → 0 in this capture.
    expect(results.map((r) => r.info.packets[0].seq)).toEqual([254, 255, 0, 1, 2]);
  });
});

describe('secondary-header checksum: byte sum vs 16-bit word sum', () => {
  it('acranetwork_sample_ch10uart.pcap: UART with an IEEE-1588 secondary header, byte sum', () => {
    const [d] = read('acranetwork_sample_ch10uart');
    const r = dissectChapter10(d.payload, alone)!;
    expect(d.dstPort).toBe(6679);
    expect(r.frameType).toBe('CH10-UART');
    expect(r.errors).toEqual([]);
    expect(r.info.packets[0]).toMatchObject({ channel_id: 0, packet_length: 1032, secondary_time_format: 1,
      secondary_checksum: 'byte', complete: true, message_count: 22 });
  });

  it('acranetwork_test_ch10_3.pcap: Chapter 4 time format, word sum', () => {
    const [d] = read('acranetwork_test_ch10_3');
    const r = dissectChapter10(d.payload, alone)!;
    expect(r.errors).toEqual([]);
    expect(r.info.packets[0]).toMatchObject({ flags: 0x80, secondary_time_format: 0, secondary_checksum: 'word' });
    expect(r.info.packets[0].secondary_time_s).not.toBeNull();
  });
});

describe('synthetic AcraNetwork packets', () => {
  it('acranetwork_test_ch10.pcap: a header-only packet of data type 0x04, then a segmented header at offset 3', () => {
    const [full, seg] = read('acranetwork_test_ch10');
    const r1 = dissectChapter10(full.payload, alone)!;
    expect(r1.frameType).toBe('CH10-StreamConfig');
    expect(r1.errors).toEqual([]);
    expect(r1.info.packets[0]).toMatchObject({ packet_length: 24, data_length: 0, csdw: null, data_type: 0x04, complete: true });

    // A continuation slice has no header to validate: Chapter 10 only in a flow already known as such.
    expect(dissectChapter10(seg.payload, alone)).toBeNull();
    const r2 = dissectChapter10(seg.payload, inFlow)!;
    expect(r2.frameType).toBe('CH10-Segment');
    expect(r2.info).toMatchObject({ udp_format: 1, udp_msg_type: 1, seg_channel_id: 562, seg_channel_seq: 100, seg_offset: 3, packets: [] });
    // Its first slice never came: the reassembler reports an orphan.
    const reassembler = new Ch10Reassembler();
    reassembler.accept('flow', seg.payload, r2, 0);
    expect(r2.errors).toEqual(['ch10.segment_orphan']);
    expect(reassembler.stats().orphans).toBe(1);
  });

  it('acranetwork_test_ch10_2.pcap: a 24-byte header-only packet', () => {
    const [d] = read('acranetwork_test_ch10_2');
    const r = dissectChapter10(d.payload, alone)!;
    expect(r.errors).toEqual([]);
    expect(r.info.packets).toHaveLength(1);
    expect(r.info.packets[0]).toMatchObject({ packet_length: 24, data_length: 0, complete: true, data_checksum: 'none' });
  });
});

describe('malformed captures: rejected as Chapter 10 alone, errors in a known flow, never an exception', () => {
  it('acranetwork_ch10_uart2.pcap: packet 1 overruns its datagram, packets 2–4 have bad header checksums', () => {
    const datagrams = read('acranetwork_ch10_uart2');
    expect(datagrams.length).toBe(4);
    const [first, ...rest] = datagrams;
    const r1 = dissectChapter10(first.payload, alone)!;
    expect(r1.frameType).toBe('CH10-UART');
    expect(r1.errors).toEqual(['ch10.truncated']);
    expect(r1.info.packets[0]).toMatchObject({ complete: false, packet_length: first.payload.length, data_checksum: 'none' });
    for (const d of rest) {
      expect(dissectChapter10(d.payload, alone)).toBeNull();
      const r = dissectChapter10(d.payload, inFlow)!;
      expect(r.frameType).toBe('CH10-Data');
      expect(r.errors).toEqual(['ch10.bad_header_checksum']);
      expect(r.info.packets[0].header_checksum_ok).toBe(false);
    }
  });

  it('acranetwork_ch10_arinc.pcap: random types, lengths overrunning by 4 bytes, most checksums invalid', () => {
    const datagrams = read('acranetwork_ch10_arinc');
    expect(datagrams.length).toBe(48);
    let accepted = 0;
    for (const d of datagrams) {
      const r = dissectChapter10(d.payload, alone);
      if (r === null) {
        // What was refused alone is Chapter 10 with an error on a pinned port.
        const pinned = dissectChapter10(d.payload, { flowKnownCh10: false, portPinned: true })!;
        expect(pinned.errors.length).toBeGreaterThan(0);
        expect(pinned.frameType).toBe('CH10-Data');
        continue;
      }
      accepted++;
      expect(r.info.packets[0].header_checksum_ok).toBe(true);
      expect(r.errors).toContain('ch10.truncated');
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(datagrams.length / 2);
  });
});

describe('records built from real results fit the Avro contract', () => {
  it('encodes and decodes an EnrichedBatch carrying Chapter 10 results from every capture kind', () => {
    const results: Ch10Result[] = [];
    for (const name of ['acranetwork_ch10_format_1_looks_like2', 'acranetwork_sample_ch10uart', 'acranetwork_test_ch10_3', 'acranetwork_ch10_uart2']) {
      for (const d of read(name)) results.push(dissectChapter10(d.payload, { ...inFlow, captureTimeMs: d.tsMs })!);
    }
    const c10 = read('c10-tools_test').slice(0, 40);
    const reassembler = new Ch10Reassembler();
    for (const d of c10) {
      const r = dissectChapter10(d.payload, { ...inFlow, captureTimeMs: d.tsMs })!;
      reassembler.accept('f', d.payload, r, d.tsMs);
      results.push(r);
    }
    const timed = results.flatMap((r) => r.info.packets).filter((p) => p.time_ns !== null);
    expect(timed.length).toBeGreaterThan(0);
    expect(results.some((r) => r.info.packets.some((p) => p.reassembled))).toBe(true);
    const batch: EnrichedBatch = {
      agent_id: 'a', interface: 'i', link_type: 1, agent_run: 'r', batch_seq: 0, base_ts_ns: 0n, sample_rate: 1,
      records: results.map((r) => ({
        packet: emptyPacketRecord(), frame_type: r.frameType, frame_types: r.frameTypes, protocols: r.protocols,
        errors: r.errors, cast: 'unicast', ch10: r.info, ptp: null, iena: null, app: null,
      })),
    };
    const codec = AvroCodec.forStreamLens();
    const back = codec.decode<EnrichedBatch>(codec.encode(SCHEMA_NAMES.enrichedBatch, batch)).value;
    expect(back.records.map((r) => r.ch10)).toEqual(results.map((r) => r.info));
  });
});
