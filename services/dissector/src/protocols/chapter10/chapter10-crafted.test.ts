/**
 * Crafted Chapter 10 datagrams for what no public capture has: every
 * transfer format, several packets per datagram, every checksum width,
 * secondary-header kinds, length errors, time decoding, TMATS, data-type names.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildPacket, format1, format2, format3, timeF1Body, u32le,
} from '../../../test-oracles/ch10-builder.js';
import { ch10AssignedDataTypes, ch10DataTypeName } from './data-types.js';
import { dissectChapter10 } from './dissect-chapter10.js';
import { decodeTmats, parseTmatsAttributes } from './tmats.js';

const alone = { flowKnownCh10: false, portPinned: false };
const inFlow = { flowKnownCh10: true, portPinned: false };

const TMATS_TEXT = [
  'G\\PN:FLIGHT-42;', 'G\\TA:XB-70;', 'G\\106:17;', 'G\\OD:01-02-2024;', 'G\\DSI\\N:2;',
  'G\\DSI-1:REC1;', 'G\\DST-1:DRS;', 'G\\DSI-2:REC2;', 'G\\DST-2:STO;', 'COMMENT: a comment: with colons;',
  'R-1\\ID:REC1;', 'R-1\\N:2;',
  'R-1\\TK1-1:1;', 'R-1\\DSI-1:TIME;', 'R-1\\CDT-1:TIMEIN;', 'R-1\\CHE-1:T;', 'R-1\\CDLN-1:Time-01;',
  'R-1\\TK1-2:0x3;', 'R-1\\DSI-2:BUS A;', 'R-1\\CDT-2:1553IN;', 'R-1\\CHE-2:F;',
  'R-2\\ID:REC2;', 'R-2\\TK1-1:258;', 'R-2\\CDT-1: PCMIN ;', 'R-2\\CHE-1:T;',
].join('\r\n') + '\r\n';

function tmatsPacket(text = TMATS_TEXT, csdw = 0x0c): Buffer {
  return buildPacket({ channelId: 0, dataType: 0x01, body: Buffer.concat([u32le(csdw), Buffer.from(text, 'latin1')]) });
}

function timePacket(): Buffer {
  return buildPacket({ channelId: 1, dataType: 0x11, seq: 7, rtc: 123456789,
    body: timeF1Body({ ms: 120, s: 12, min: 47, h: 16, doy: 343 }, 0x01) });
}

describe('transfer formats', () => {
  it('Format 1 with several packets: one frame type each, TMATS first is the primary type', () => {
    const pcm = buildPacket({ channelId: 3, dataType: 0x09, body: u32le(0, 0x11223344), checksum: 3 });
    const r = dissectChapter10(format1(77, tmatsPacket(), timePacket(), pcm), alone)!;
    expect(r.frameType).toBe('TMATS');
    expect(r.frameTypes).toEqual(['TMATS', 'CH10-Time', 'CH10-PCM']);
    expect(r.protocols).toEqual(['ch10', 'tmats']);
    expect(r.errors).toEqual([]);
    expect(r.info).toMatchObject({ udp_format: 1, udp_msg_type: 0, udp_seq: 77, udp_seq_bits: 24 });
    expect(r.info.packets.map((p) => p.channel_id)).toEqual([0, 1, 3]);
    expect(r.info.packets[2].data_checksum).toBe('ok');
    expect(r.info.tmats!.program_name).toBe('FLIGHT-42');
  });

  it('a bare packet at offset 0 (no transfer header)', () => {
    const r = dissectChapter10(timePacket(), alone)!;
    expect(r.info).toMatchObject({ udp_format: 0, udp_seq: null, udp_seq_bits: 0 });
    expect(r.frameType).toBe('CH10-Time');
    expect(r.dataOffset).toBe(0);
  });

  it('Format 2 (big-endian) only with the exact size, full and segmented', () => {
    const pkt = timePacket();
    const r = dissectChapter10(format2(0x123456, 0, 1, 0, pkt), alone)!;
    expect(r.info).toMatchObject({ udp_format: 2, udp_msg_type: 0, udp_seq: 0x123456, udp_seq_bits: 24 });
    expect(r.frameType).toBe('CH10-Time');
    // One word more than the size field says: not Format 2, and nothing else validates.
    const wrong = Buffer.concat([format2(1, 0, 1, 0, pkt), Buffer.alloc(4)]);
    expect(dissectChapter10(wrong, alone)).toBeNull();
    const seg = dissectChapter10(format2(5, 1, 0x0102, 0x010203, pkt.subarray(0, 16)), inFlow)!;
    expect(seg.info).toMatchObject({ udp_format: 2, udp_msg_type: 1, seg_channel_id: 0x0102, seg_offset: 0x010203 });
    expect(seg.frameType).toBe('CH10-Segment');
  });

  it('Format 3: source ID and sequence split by L, the first packet after the tail of an earlier one', () => {
    const pkt = timePacket();
    const tail = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const r = dissectChapter10(format3(2, 0xab, 0x123456, tail.length, Buffer.concat([tail, pkt, pkt.subarray(0, 30)])), alone)!;
    expect(r.info).toMatchObject({ udp_format: 3, source_id: 0xab, udp_seq: 0x123456, udp_seq_bits: 24 });
    expect(r.frameTypes).toEqual(['CH10-Time', 'CH10-Time']);
    // The packet that continues into the next datagram is expected there, not an error.
    expect(r.errors).toEqual([]);
    expect(r.info.packets[1].complete).toBe(false);
    const l0 = dissectChapter10(format3(0, 0, 0xfffffffe, 0, pkt), alone)!;
    expect(l0.info).toMatchObject({ source_id: null, udp_seq: 0xfffffffe, udp_seq_bits: 32 });
    // A datagram in which no packet starts: a continuation.
    const cont = format3(1, 3, 9, 500, Buffer.alloc(40, 0xaa));
    expect(dissectChapter10(cont, alone)).toBeNull();
    expect(dissectChapter10(cont, inFlow)!.frameType).toBe('CH10-Segment');
  });

  it('an empty Format 1 message is Chapter 10 only in a known flow', () => {
    const empty = format1(3);
    expect(dissectChapter10(empty, alone)).toBeNull();
    const r = dissectChapter10(empty, inFlow)!;
    expect(r.frameType).toBe('CH10-Data');
    expect(r.info.packets).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('a pinned port turns anything into Chapter 10 with an error; a known flow does not', () => {
    const junk = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(dissectChapter10(junk, inFlow)).toBeNull();
    const r = dissectChapter10(junk, { flowKnownCh10: false, portPinned: true })!;
    expect(r.frameType).toBe('CH10-Data');
    expect(r.errors).toEqual(['ch10.bad_transfer_header']);
    expect(dissectChapter10(Buffer.alloc(3), { flowKnownCh10: true, portPinned: true })).toBeNull();
  });

  it('a validated header wins on any port and over Format 2 look-alikes', () => {
    // Sequence 0x020000: byte 3 reads as a Format 2 nibble.
    const r = dissectChapter10(format1(0x020000, timePacket()), alone)!;
    expect(r.info.udp_format).toBe(1);
    expect(r.info.udp_seq).toBe(0x020000);
  });
});

describe('packet validation', () => {
  const body = Buffer.concat([u32le(0x00000002), Buffer.from('0123456789abcdefghij')]);
  for (const checksum of [1, 2, 3] as const) {
    it(`${[0, 8, 16, 32][checksum]}-bit data checksum, filler included; a flipped byte is reported`, () => {
      const p = buildPacket({ dataType: 0x00, body, checksum, extraFiller: 8 });
      const ok = dissectChapter10(format1(0, p), alone)!;
      expect(ok.errors).toEqual([]);
      expect(ok.info.packets[0].data_checksum).toBe('ok');
      const bad = Buffer.from(p);
      bad[30] ^= 0x40;
      const r = dissectChapter10(format1(0, bad), alone)!;
      expect(r.errors).toEqual(['ch10.bad_data_checksum']);
      expect(r.info.packets[0].data_checksum).toBe('bad');
      // A damaged filler byte is caught too.
      const fill = Buffer.from(p);
      fill[p.length - [0, 1, 2, 4][checksum] - 3] ^= 1;
      expect(dissectChapter10(format1(0, fill), alone)!.errors).toEqual(['ch10.bad_data_checksum']);
    });
  }

  it('secondary header: IEEE 1588, Chapter 4 and ERTC times; byte sum, word sum and bad checksums', () => {
    const t1588 = Buffer.concat([u32le(123_456_789, 1_700_000_000)]);
    const ch4 = Buffer.from([0x02, 0x00, 0x10, 0x00, 0xe8, 0x03, 0, 0]); // high 2, low 16, 1000 µs
    const ertc = u32le(0x89abcdef, 0x00000012);
    const make = (timeFormat: 0 | 1 | 2, time: Buffer, sum: 'byte' | 'word' | 'bad') =>
      dissectChapter10(format1(0, buildPacket({ dataType: 0x00, body: u32le(0), secondary: { timeFormat, time, sum } })), alone)!;
    const a = make(1, t1588, 'byte');
    expect(a.errors).toEqual([]);
    expect(a.info.packets[0]).toMatchObject({ secondary_time_format: 1, secondary_time_s: 1_700_000_000, secondary_time_ns: 123_456_789, secondary_checksum: 'byte' });
    const b = make(0, ch4, 'word');
    // (2·65536 + 16) × 10 ms = 1310.88 s, plus 1000 µs.
    expect(b.info.packets[0]).toMatchObject({ secondary_time_format: 0, secondary_time_s: 1310, secondary_time_ns: 881_000_000, secondary_checksum: 'word' });
    const c = make(2, ertc, 'bad');
    expect(c.errors).toEqual(['ch10.bad_secondary_checksum']);
    expect(c.info.packets[0]).toMatchObject({ secondary_time_format: 2, secondary_time_s: null, secondary_time_ns: 0x12 * 2 ** 32 + 0x89abcdef, secondary_checksum: 'bad' });
  });

  it('length errors stop the walk: odd packet length, data beyond the packet, 1–3 data bytes', () => {
    const good = timePacket();
    const mutate = (f: (p: Buffer) => void) => {
      const p = Buffer.from(good);
      f(p);
      let h = 0;
      for (let i = 0; i < 22; i += 2) h += p.readUInt16LE(i);
      p.writeUInt16LE(h & 0xffff, 22);
      return dissectChapter10(format1(0, p, good), alone)!;
    };
    for (const r of [
      mutate((p) => p.writeUInt32LE(p.readUInt32LE(4) + 2, 4)),
      mutate((p) => p.writeUInt32LE(16, 4)),
      mutate((p) => p.writeUInt32LE(p.readUInt32LE(4), 8)),
      mutate((p) => p.writeUInt32LE(2, 8)),
    ]) {
      expect(r.errors).toEqual(['ch10.bad_length']);
      expect(r.info.packets).toHaveLength(1);
    }
  });

  it('a lying packet length gives ch10.truncated and no work beyond the datagram', () => {
    const p = Buffer.from(timePacket());
    p.writeUInt32LE(0xfffffffc, 4);
    let h = 0;
    for (let i = 0; i < 22; i += 2) h += p.readUInt16LE(i);
    p.writeUInt16LE(h & 0xffff, 22);
    const r = dissectChapter10(format1(0, p), alone)!;
    expect(r.errors).toEqual(['ch10.truncated']);
    expect(r.info.packets[0]).toMatchObject({ complete: false, packet_length: 0xfffffffc });
  });

  it('leftover bytes after the last packet, and a second packet without sync', () => {
    expect(dissectChapter10(format1(0, timePacket(), Buffer.alloc(10)), alone)!.errors).toEqual(['ch10.leftover_bytes']);
    const r = dissectChapter10(format1(0, timePacket(), Buffer.alloc(30, 0x55)), alone)!;
    expect(r.errors).toEqual(['ch10.leftover_bytes']);
    expect(r.info.packets).toHaveLength(1);
  });

  it('a damaged second packet keeps the first and gets CH10-Data as its frame type', () => {
    const second = Buffer.from(timePacket());
    second[20] ^= 0xff;
    const r = dissectChapter10(format1(0, timePacket(), second), alone)!;
    expect(r.frameTypes).toEqual(['CH10-Time', 'CH10-Data']);
    expect(r.errors).toEqual(['ch10.bad_header_checksum']);
  });

  it('a body whose messages do not tile is ch10.bad_body (ARINC-429 count against the data length)', () => {
    const ok = buildPacket({ dataType: 0x38, body: Buffer.concat([u32le(2), Buffer.alloc(16)]) });
    expect(dissectChapter10(format1(0, ok), alone)!.info.packets[0].message_count).toBe(2);
    const bad = buildPacket({ dataType: 0x38, body: Buffer.concat([u32le(3), Buffer.alloc(16)]) });
    expect(dissectChapter10(format1(0, bad), alone)!.errors).toEqual(['ch10.bad_body']);
    // 1553 F1: one message whose length runs past the body.
    const m1553 = Buffer.concat([u32le(1), Buffer.alloc(8), Buffer.from([0, 0, 0, 0, 200, 0]), Buffer.alloc(4)]);
    expect(dissectChapter10(format1(0, buildPacket({ dataType: 0x19, body: m1553 })), alone)!.errors).toEqual(['ch10.bad_body']);
  });
});

describe('time data packets', () => {
  const at = (body: Buffer, captureTimeMs?: number, type = 0x11) =>
    dissectChapter10(format1(0, buildPacket({ dataType: type, body })), { ...alone, captureTimeMs })!;

  it('Time F1 day-of-year: text always, epoch ns with the capture year (and the adjacent year across New Year)', () => {
    const body = timeF1Body({ ms: 120, s: 12, min: 47, h: 16, doy: 343 }, 0x01);
    expect(at(body).info.packets[0]).toMatchObject({ time_text: '343 16:47:12.120', time_ns: null, time_year_from_capture: false });
    const p = at(body, Date.UTC(2011, 11, 9, 16, 50)).info.packets[0];
    expect(p.time_ns).toBe(BigInt(Date.UTC(2011, 11, 9, 16, 47, 12, 120)) * 1_000_000n);
    expect(p.time_year_from_capture).toBe(true);
    // Captured on 2 January 2012, the packet says day 343: that is 2011.
    expect(at(body, Date.UTC(2012, 0, 2)).info.packets[0].time_ns).toBe(BigInt(Date.UTC(2011, 11, 9, 16, 47, 12, 120)) * 1_000_000n);
    // Captured on 30 December 2011, the packet says day 2: that is 2012.
    const jan = timeF1Body({ ms: 0, s: 0, min: 0, h: 0, doy: 2 }, 0x01);
    expect(at(jan, Date.UTC(2011, 11, 30)).info.packets[0].time_ns).toBe(BigInt(Date.UTC(2012, 0, 2)) * 1_000_000n);
  });

  it('Time F1 month/year carries its own date', () => {
    const p = at(timeF1Body({ ms: 0, s: 22, min: 19, h: 22, day: 17, month: 10, year: 2018 }, 0x30)).info.packets[0];
    expect(p.time_text).toBe('2018-10-17 22:19:22.000');
    expect(p.time_ns).toBe(BigInt(Date.UTC(2018, 9, 17, 22, 19, 22)) * 1_000_000n);
    expect(p.time_year_from_capture).toBe(false);
  });

  it('invalid BCD or out-of-range fields are ch10.bad_time; time format 15 means no time', () => {
    expect(at(timeF1Body({ ms: 0, s: 61, min: 0, h: 0, doy: 1 }, 0x01)).errors).toEqual(['ch10.bad_time']);
    expect(at(timeF1Body({ ms: 0, s: 0, min: 0, h: 0, day: 31, month: 2, year: 2020 }, 0x01)).errors).toEqual(['ch10.bad_time']);
    const none = at(timeF1Body({ ms: 0, s: 61, min: 0, h: 0, doy: 1 }, 0xf1));
    expect(none.errors).toEqual([]);
    expect(none.info.packets[0].time_text).toBeNull();
  });

  it('Time F2: NTP and IEEE 1588 network time', () => {
    const ntp = at(Buffer.concat([u32le(0x01, 3_913_056_000, 0x80000000)]), undefined, 0x12).info.packets[0];
    expect(ntp.time_ns).toBe((3_913_056_000n - 2_208_988_800n) * 1_000_000_000n + 500_000_000n);
    expect(ntp.time_text).toBe('2024-01-01 00:00:00.500');
    const ptp = at(Buffer.concat([u32le(0x21, 1_700_000_000, 999)]), undefined, 0x12).info.packets[0];
    expect(ptp.time_ns).toBe(1_700_000_000_000_000_999n);
    expect(at(Buffer.concat([u32le(0x20, 1, 1)]), undefined, 0x12).info.packets[0].time_ns).toBeNull(); // status "not valid"
    expect(at(Buffer.concat([u32le(0x21, 1, 1_000_000_000)]), undefined, 0x12).errors).toEqual(['ch10.bad_time']);
  });
});

describe('TMATS', () => {
  it('G and R attributes, channels by recorder group, CSDW release and flags', () => {
    const r = dissectChapter10(format1(0, tmatsPacket(TMATS_TEXT, 0x10c)), alone)!;
    const t = r.info.tmats!;
    expect(t).toMatchObject({
      irig106_release: 0x0c, format: 'ascii', config_changed: true, program_name: 'FLIGHT-42', test_article: 'XB-70',
      irig106_edition: '17', origination_date: '01-02-2024', complete: true,
      data_sources: [{ id: 'REC1', type: 'DRS' }, { id: 'REC2', type: 'STO' }],
      channels: [
        { recorder_id: 'REC1', channel_id: 1, data_source_id: 'TIME', data_type: 'TIMEIN', enabled: true, name: 'Time-01' },
        { recorder_id: 'REC1', channel_id: -1, data_source_id: 'BUS A', data_type: '1553IN', enabled: false, name: '' },
        { recorder_id: 'REC2', channel_id: 258, data_source_id: '', data_type: 'PCMIN', enabled: true, name: '' },
      ],
    });
    expect(t.text).toBe(TMATS_TEXT);
    expect(t.attribute_count).toBe(25);
    expect(parseTmatsAttributes(TMATS_TEXT).find((a) => a.code === 'COMMENT')!.value).toBe(' a comment: with colons');
  });

  it('a cut text keeps only whole attributes and says it is incomplete', () => {
    const full = tmatsPacket();
    const slice = full.subarray(0, 120);
    const r = dissectChapter10(format1(0, slice), alone)!;
    expect(r.errors).toEqual(['ch10.truncated']);
    const t = r.info.tmats!;
    expect(t.complete).toBe(false);
    expect(TMATS_TEXT.startsWith(t.text)).toBe(true);
    expect(t.attribute_count).toBe(parseTmatsAttributes(t.text).length);
    expect(t.attribute_count).toBeLessThan(25);
  });

  it('XML TMATS is exposed as text', () => {
    const xml = '<?xml version="1.0"?><Tmats><ProgramName>X</ProgramName></Tmats>';
    const t = decodeTmats(xml, 0x20c, true);
    expect(t).toMatchObject({ format: 'xml', text: xml, attribute_count: 0, program_name: '' });
  });
});

describe('data-type names', () => {
  it('every assigned type has its name, TMATS for 0x01, reserved values keep their number', () => {
    expect(ch10DataTypeName(0x01)).toBe('TMATS');
    expect(ch10DataTypeName(0x72)).toBe('CH10-ACTTS');
    expect(ch10DataTypeName(0x19)).toBe('CH10-1553');
    expect(ch10DataTypeName(0x0a)).toBe('CH10-Reserved-0x0A');
    expect(ch10DataTypeName(0xff)).toBe('CH10-Reserved-0xFF');
    const assigned = ch10AssignedDataTypes();
    expect(assigned.length).toBe(38);
    expect(new Set(assigned.map(([, n]) => n)).size).toBe(assigned.length);
    for (let t = 0; t < 256; t++) expect(ch10DataTypeName(t)).toMatch(/^(TMATS|CH10-[A-Za-z0-9-]+)$/);
  });

  it('docs/protocols/chapter10.md lists exactly these names', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../../../docs/protocols/chapter10.md', import.meta.url)), 'utf8');
    const rows = [...doc.matchAll(/\| 0x([0-9A-F]{2}) \| `([^`]+)` \|/g)].map((m) => [parseInt(m[1], 16), m[2]]);
    expect(rows.sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(ch10AssignedDataTypes().map(([t, n]) => [t, n]));
  });
});
