/**
 * The segmented-transfer reassembler on crafted transfers: order, loss,
 * duplicates, overlaps, bounds and what the completing record carries.
 */
import { describe, expect, it } from 'vitest';
import { buildPacket, format1, format1Segment, segment, timeF1Body, u32le } from '../../../test-oracles/ch10-builder.js';
import { dissectChapter10, type Ch10Result } from './dissect-chapter10.js';
import { Ch10Reassembler } from './reassembly.js';

const ctx = { flowKnownCh10: true, portPinned: false };

function feed(r: Ch10Reassembler, datagrams: Buffer[], flow = 'A', t0 = 1_000): Ch10Result[] {
  return datagrams.map((d, i) => {
    const res = dissectChapter10(d, ctx)!;
    r.accept(flow, d, res, t0 + i);
    return res;
  });
}

function bigPacket(size: number, channelId = 10, seq = 0, checksum: 0 | 1 | 2 | 3 = 3): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 7 + 3) & 0xff;
  u32le(0).copy(body, 0);
  return buildPacket({ channelId, seq, dataType: 0x00, body, checksum });
}

const TMATS = Array.from({ length: 120 }, (_, i) => `R-1\\TK1-${i + 1}:${i + 1};\r\nR-1\\CDT-${i + 1}:PCMIN;`).join('\r\n');

describe('Ch10Reassembler', () => {
  it('in order: the completing datagram carries the decoded packet with a verified checksum', () => {
    const pkt = bigPacket(3000);
    const r = new Ch10Reassembler();
    const results = feed(r, segment(pkt, 988, 0));
    expect(results.map((x) => x.frameType)).toEqual(['CH10-Computer-F0', 'CH10-Segment', 'CH10-Segment', 'CH10-Segment']);
    expect(results[0].info.packets[0]).toMatchObject({ complete: false, data_checksum: 'unchecked', reassembled: false });
    for (const x of results.slice(1, 3)) expect(x.info.packets).toEqual([]);
    const last = results[3];
    expect(last.frameTypes).toEqual(['CH10-Segment']);
    expect(last.info.packets).toHaveLength(1);
    expect(last.info.packets[0]).toMatchObject({ complete: true, reassembled: true, data_checksum: 'ok', packet_length: pkt.length, channel_id: 10 });
    expect(last.errors).toEqual([]);
    expect(r.stats()).toMatchObject({ started: 1, completed: 1, segments: 3, open: 0, bufferedBytes: 0, reordered: 0 });
  });

  it('a corrupted slice shows up as a bad data checksum on the completing record', () => {
    const pkt = bigPacket(3000);
    const dgs = segment(pkt, 988, 0);
    dgs[2][100] ^= 0xff;
    const results = feed(new Ch10Reassembler(), dgs);
    expect(results[3].errors).toEqual(['ch10.bad_data_checksum']);
    expect(results[3].info.packets[0].data_checksum).toBe('bad');
  });

  it('out of order after the first slice, and duplicates, still complete once', () => {
    const pkt = bigPacket(4000);
    const [a, b, c, d, e] = segment(pkt, 988, 0);
    const r = new Ch10Reassembler();
    const results = feed(r, [a, d, b, b, e, c]);
    expect(results.slice(0, 5).every((x) => x.info.packets.every((p) => !p.reassembled))).toBe(true);
    expect(results[5].info.packets[0]).toMatchObject({ reassembled: true, data_checksum: 'ok' });
    // d, b (fills the gap before d) and c arrive away from the end of what is there.
    expect(r.stats()).toMatchObject({ completed: 1, duplicates: 1, reordered: 3, open: 0 });
  });

  it('a lost middle slice: the transfer never completes and times out; the next packet of the channel is unaffected', () => {
    const r = new Ch10Reassembler({ timeoutMs: 100 });
    const one = segment(bigPacket(3000, 10, 1), 988, 0);
    const two = segment(bigPacket(3000, 10, 2), 988, 4);
    const results = feed(r, [one[0], one[1], one[3], ...two]);
    expect(results.flatMap((x) => x.info.packets.filter((p) => p.reassembled))).toHaveLength(1);
    expect(r.stats()).toMatchObject({ started: 2, completed: 1, open: 1 });
    r.expire(1_000 + 10_000);
    expect(r.stats()).toMatchObject({ timeouts: 1, open: 0, bufferedBytes: 0 });
  });

  it('a lost last slice: the same key starting again supersedes the transfer', () => {
    const r = new Ch10Reassembler();
    const pkt = bigPacket(3000, 10, 5);
    const s = segment(pkt, 988, 0);
    feed(r, [s[0], s[1], s[2], ...s]);
    expect(r.stats()).toMatchObject({ superseded: 1, completed: 1, open: 0 });
  });

  it('a continuation without its first slice is an orphan; overlaps and overruns abort', () => {
    const pkt = bigPacket(3000);
    const s = segment(pkt, 988, 0);
    const r = new Ch10Reassembler();
    expect(feed(r, [s[1]])[0].errors).toEqual(['ch10.segment_orphan']);
    const overlap = format1Segment(9, 10, 0, 500, pkt.subarray(500, 1200));
    const res = feed(r, [s[0], overlap]);
    expect(res[1].errors).toEqual(['ch10.segment_overlap']);
    const overrun = format1Segment(9, 10, 0, 2990, Buffer.alloc(40));
    expect(feed(r, [s[0], overrun])[1].errors).toEqual(['ch10.segment_overrun']);
    expect(r.stats()).toMatchObject({ orphans: 1, aborted: 2, open: 0, bufferedBytes: 0 });
  });

  it('keys by flow, channel and channel sequence: interleaved transfers complete independently', () => {
    const a = segment(bigPacket(2000, 10, 1), 700, 0);
    const b = segment(bigPacket(2000, 11, 1), 700, 0);
    const c = segment(bigPacket(2000, 10, 1), 700, 0);
    const r = new Ch10Reassembler();
    const results = [
      ...feed(r, [a[0], b[0]], 'A'), ...feed(r, [c[0]], 'B'),
      ...feed(r, [a[1], b[1]], 'A'), ...feed(r, [c[1]], 'B'),
      ...feed(r, [b[2], a[2]], 'A'), ...feed(r, [c[2]], 'B'),
    ];
    expect(results.flatMap((x) => x.info.packets.filter((p) => p.reassembled).map((p) => p.channel_id))).toEqual([11, 10, 10]);
    expect(r.stats()).toMatchObject({ completed: 3, open: 0 });
  });

  it('bounded: evicts the oldest transfer past maxOpenTransfers or maxBytes; refuses oversized packets', () => {
    const r = new Ch10Reassembler({ maxOpenTransfers: 2, maxBytes: 10_000, maxPacketBytes: 5_000 });
    const firsts = [1, 2, 3].map((seq) => segment(bigPacket(3000, 10, seq), 988, 0)[0]);
    feed(r, firsts);
    expect(r.stats()).toMatchObject({ started: 3, evictions: 1, open: 2 });
    feed(r, [segment(bigPacket(4000, 12, 0), 988, 0)[0]]);
    expect(r.stats().bufferedBytes).toBeLessThanOrEqual(10_000);
    const huge = feed(r, [segment(bigPacket(6000, 13, 0), 988, 0)[0]]);
    expect(huge[0].errors).toEqual(['ch10.segment_too_large']);
    expect(r.stats().tooLarge).toBe(1);
    r.clear();
    expect(r.stats()).toMatchObject({ open: 0, bufferedBytes: 0 });
  });

  it('a lying packet length in a first slice allocates nothing beyond maxPacketBytes', () => {
    const pkt = Buffer.from(bigPacket(3000));
    pkt.writeUInt32LE(0x7ffffff0, 4);
    let h = 0;
    for (let i = 0; i < 22; i += 2) h += pkt.readUInt16LE(i);
    pkt.writeUInt16LE(h & 0xffff, 22);
    const r = new Ch10Reassembler();
    const [res] = feed(r, [format1Segment(0, 10, 0, 0, pkt.subarray(0, 988))]);
    expect(res.errors).toEqual(['ch10.segment_too_large']);
    expect(r.stats()).toMatchObject({ open: 0, bufferedBytes: 0 });
  });

  it('a TMATS record cut in slices: the completing record carries the whole text and the tmats protocol', () => {
    const text = `G\\PN:SEGMENTED;\r\nG\\106:19;\r\n${TMATS}\r\n`;
    const pkt = buildPacket({ channelId: 0, dataType: 0x01, body: Buffer.concat([u32le(0x0d), Buffer.from(text, 'latin1')]) });
    const results = feed(new Ch10Reassembler(), segment(pkt, 1460, 0));
    expect(results.length).toBeGreaterThan(2);
    expect(results[0].frameType).toBe('TMATS');
    expect(results[0].info.tmats).toMatchObject({ complete: false, program_name: 'SEGMENTED' });
    const last = results[results.length - 1];
    expect(last.frameType).toBe('CH10-Segment');
    expect(last.protocols).toEqual(['ch10', 'tmats']);
    expect(last.info.tmats).toMatchObject({ complete: true, program_name: 'SEGMENTED', irig106_edition: '19', text });
    expect(last.info.tmats!.channels).toHaveLength(120);
  });

  it('a time packet completed by reassembly takes its year from the completing record time', () => {
    const body = Buffer.concat([timeF1Body({ ms: 0, s: 1, min: 2, h: 3, doy: 100 }, 0x01), Buffer.alloc(2000)]);
    const pkt = buildPacket({ channelId: 1, dataType: 0x11, body });
    const r = new Ch10Reassembler();
    const dgs = segment(pkt, 988, 0);
    const out = dgs.map((d) => {
      const res = dissectChapter10(d, ctx)!;
      r.accept('A', d, res, Date.UTC(2020, 3, 9));
      return res;
    });
    const p = out[out.length - 1].info.packets[0];
    expect(p.time_ns).toBe(BigInt(Date.UTC(2020, 0, 1) + 99 * 86_400_000 + 10_921_000) * 1_000_000n);
    expect(p.time_year_from_capture).toBe(true);
    expect(out[out.length - 1].errors).toEqual([]);
  });

  it('ignores datagrams that are not segmented transfers and packets complete in their first slice', () => {
    const r = new Ch10Reassembler();
    const small = buildPacket({ dataType: 0x00, body: u32le(0, 1, 2) });
    feed(r, [format1(0, small), format1Segment(1, 1, 0, 0, small)]);
    expect(r.stats()).toMatchObject({ started: 0, open: 0 });
  });

  it('rejects nonsensical options', () => {
    expect(() => new Ch10Reassembler({ maxOpenTransfers: 0 })).toThrow(RangeError);
    expect(() => new Ch10Reassembler({ timeoutMs: -1 })).toThrow(RangeError);
  });
});
