import { describe, expect, it } from 'vitest';
import { RowBinaryBlock } from '@streamlens/common';
import { TimeGrid } from '../event-time.js';
import { AddrFamily, Stream, StreamKind } from './streams.js';
import { StreamWindow } from './stream-window.js';
import { STREAM_HEALTH_COLUMNS, streamHealthWriter, timeAt, writeStreamHealthRow } from './stream-health-rows.js';

const grid = new TimeGrid(1_000_000_000);

function stream(fill: (s: Stream) => void): Stream {
  const s = new Stream();
  fill(s);
  return s;
}

/** A window with every figure distinct (and some above 2^32, where the high word matters). */
function window(s: Stream, index: number): StreamWindow {
  const w = new StreamWindow(s, index);
  Object.assign(w, {
    packets: 5_000_000_123, lost: 2, duplicates: 3, outOfOrder: 4, restarts: 5, gaps: 6, maxGap: 7, silences: 8,
    firstSeq: 65_530, lastSeq: 4, firstSec: 1_732_000_029, firstNs: 999_999_999, lastSec: 1_732_000_029, lastNs: 1,
    iatCount: 9, iatSum: 2 ** 53 - 1, iatSumSq: 1.5e20, iatMin: 11, iatMax: 4_294_967_296, logInterval: -3, offTolerance: 12,
    answered: 13, unanswered: 14, followUpMissing: 15, unmatched: 16, respCount: 17, respSum: 18, respMin: 19, respMax: 20,
    corrCount: 21, corrSum: -0.25, corrMin: -1.5, corrMax: 2.75,
  });
  return w;
}

describe('stream_health rows as RowBinary', () => {
  it('write epoch ns from (sec, ns) exactly, also where the low word carries', () => {
    const v = new DataView(new ArrayBuffer(8));
    const cases: [number, number][] = [[0, 0], [0, 999_999_999], [1, 0], [4, 294_967_295], [4, 294_967_296], [1_732_000_029, 999_999_999],
      [4_294_967_295, 999_999_999], [18_446_744_072, 709_551_615]];
    for (let i = 0; i < 2000; i++) cases.push([Math.floor(Math.random() * 2 ** 32), Math.floor(Math.random() * 1e9)]);
    for (const [sec, ns] of cases) {
      timeAt(v, 0, sec, ns);
      expect(v.getBigUint64(0, true), `${sec} s ${ns} ns`).toBe(BigInt(sec) * 1_000_000_000n + BigInt(ns));
    }
  });

  it('decode to the row of every kind of stream: IPv4, IPv6, PTP without addresses', () => {
    const iena = stream((s) => {
      s.kind = StreamKind.Iena;
      s.family = AddrFamily.V4;
      s.src4 = 0x0a010203;
      s.dst4 = 0xeb000009;
      s.id = 0xbeef;
      s.bits = 16;
    });
    const ch10 = stream((s) => {
      s.kind = StreamKind.Ch10Transfer;
      s.family = AddrFamily.V6;
      s.src6 = Buffer.from('fe800000000000000000000000000001', 'hex');
      s.dst6 = Buffer.from('ff020000000000000000000000010003', 'hex');
      s.bits = 24;
    });
    const ptp = stream((s) => {
      s.kind = StreamKind.Ptp;
      s.id = 9; // Delay_Resp
      s.domain = 24;
      s.clockId = '0011223344556677';
      s.port = 65_535;
      s.keyedByRequester = true;
      s.bits = 16;
    });
    const out = streamHealthWriter();
    for (const s of [iena, ch10, ptp]) writeStreamHealthRow(out, 'agent-ü', 'eth0', window(s, 1_732_000_029), grid, 1_732_000_029, 0);
    const rows = out.block().objects();
    const figures = {
      window_start_ns: '1732000029000000000', window_ns: '1000000000', packets: '5000000123', lost: '2', duplicates: '3', out_of_order: '4',
      restarts: '5', gaps: '6', max_gap: '7', silences: '8', first_seq: 65_530, last_seq: 4, first_ts_ns: '1732000029999999999',
      last_ts_ns: '1732000029000000001', iat_count: '9', iat_sum_ns: '9007199254740991', iat_sumsq_ns2: 1.5e20, iat_min_ns: '11',
      iat_max_ns: '4294967296', log_message_interval: -3, advertised_interval_ns: '125000000', off_tolerance: '12', answered: '13',
      unanswered: '14', follow_up_missing: '15', unmatched: '16', response_count: '17', response_sum_ns: '18', response_min_ns: '19',
      response_max_ns: '20', correction_count: '21', correction_sum_ns: -0.25, correction_min_ns: -1.5, correction_max_ns: 2.75,
    };
    const who = { agent_id: 'agent-ü', interface: 'eth0' };
    expect(rows).toEqual([
      { ...who, kind: 'iena', src_ip: '::ffff:10.1.2.3', dst_ip: '::ffff:235.0.0.9', stream_id: 0xbeef, domain: 0, clock_id: '', port_number: 0,
        message_type: '', keyed_by: '', counter_bits: 16, ...figures },
      { ...who, kind: 'ch10_transfer', src_ip: 'fe80::1', dst_ip: 'ff02::1:3', stream_id: 0, domain: 0, clock_id: '', port_number: 0,
        message_type: '', keyed_by: '', counter_bits: 24, ...figures },
      { ...who, kind: 'ptp', src_ip: '::', dst_ip: '::', stream_id: 0, domain: 24, clock_id: '0011223344556677', port_number: 65_535,
        message_type: 'Delay_Resp', keyed_by: 'requesting', counter_bits: 16, ...figures },
    ]);
    expect(Object.keys(rows[0])).toEqual(STREAM_HEALTH_COLUMNS.map((c) => c.name));
  });

  it('cut into blocks per seal that slice and join back to the same rows, across the writer\'s chunks', () => {
    const out = streamHealthWriter();
    const blocks: RowBinaryBlock[] = [];
    const s = stream((x) => {
      x.family = AddrFamily.V4;
      x.bits = 16;
    });
    let n = 0;
    for (let seal = 0; seal < 40; seal++) {
      // 0 to 78 rows a seal: ~1 MB in all, so the writer moves to new chunks mid-block
      for (let i = 0; i < (seal * 37) % 79; i++) {
        s.id = n++;
        s.rowIdentity = null;
        writeStreamHealthRow(out, 'a'.repeat(seal * 100), 'i', window(s, seal), grid, seal, 0);
      }
      blocks.push(out.block());
    }
    const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.stream_id);
    const all = RowBinaryBlock.concat(STREAM_HEALTH_COLUMNS, blocks);
    expect(all.length).toBe(n);
    expect(ids(all.objects())).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(blocks.flatMap((b) => b.objects()).map((r) => r.agent_id)).toEqual(all.objects().map((r) => r.agent_id));
    const parts = [all.slice(0, 700), all.slice(700, 1400), all.slice(1400, n + 5)];
    expect(parts.map((p) => p.length)).toEqual([700, 700, n - 1400]);
    expect(parts.flatMap((p) => ids(p.objects()))).toEqual(ids(all.objects()));
    expect(Buffer.concat(parts.map((p) => p.rowBinary())).equals(all.rowBinary())).toBe(true);
    expect(out.block().length).toBe(0);
  });
});
