/**
 * stream_health rows written as RowBinary when their windows close: a seal
 * closes tens of thousands of stream windows at telemetry rates, and a row
 * object each (46 properties, two time strings, boxed doubles) was allocated,
 * kept alive through young collections until its INSERT, then encoded
 * again (docs/benchmarks.md). The bytes are off the JavaScript heap; the
 * server takes them as they are, chDB and tests read them back as objects
 * (RowBinaryBlock.objects()).
 *
 * The columns and their types are the table's (schemas/clickhouse/0005);
 * the server client checks them against DESCRIBE TABLE before it sends the
 * bytes, and insert-formats.test.ts checks them against the migrated table.
 */
import { RowBinaryWriter, RowBlockWriter, type ColumnType } from '@streamlens/common';
import type { TimeGrid } from '../event-time.js';
import { advertisedIntervalNs, type StreamWindow } from './stream-window.js';
import { AddrFamily, PTP_TYPE_NAMES, STREAM_KIND_NAMES, type Stream } from './streams.js';

const LC = 'LowCardinality(String)';
const col = (name: string, type: string): ColumnType => ({ name, type });
const u64 = (...names: string[]) => names.map((n) => col(n, 'UInt64'));

export const STREAM_HEALTH_COLUMNS: readonly ColumnType[] = [
  col('agent_id', LC), col('interface', LC),
  // the stream's identity (Stream.rowIdentity)
  col('kind', LC), col('src_ip', 'IPv6'), col('dst_ip', 'IPv6'), col('stream_id', 'UInt32'), col('domain', 'UInt8'),
  col('clock_id', LC), col('port_number', 'UInt16'), col('message_type', LC), col('keyed_by', LC),
  col('counter_bits', 'UInt8'), ...u64('window_start_ns', 'window_ns'),
  ...u64('packets', 'lost', 'duplicates', 'out_of_order', 'restarts', 'gaps', 'max_gap', 'silences'),
  col('first_seq', 'UInt32'), col('last_seq', 'UInt32'), ...u64('first_ts_ns', 'last_ts_ns'),
  ...u64('iat_count', 'iat_sum_ns'), col('iat_sumsq_ns2', 'Float64'), ...u64('iat_min_ns', 'iat_max_ns'),
  col('log_message_interval', 'Int8'),
  ...u64('advertised_interval_ns', 'off_tolerance', 'answered', 'unanswered', 'follow_up_missing', 'unmatched',
    'response_count', 'response_sum_ns', 'response_min_ns', 'response_max_ns', 'correction_count'),
  col('correction_sum_ns', 'Float64'), col('correction_min_ns', 'Float64'), col('correction_max_ns', 'Float64'),
];

/** The writer of a partition's stream_health rows (a block per seal). */
export function streamHealthWriter(): RowBlockWriter {
  return new RowBlockWriter(STREAM_HEALTH_COLUMNS);
}

function address(w: RowBinaryWriter, s: Stream, src: boolean): void {
  w.ensure(16);
  const b = w.buf;
  const p = w.pos;
  if (s.family === AddrFamily.V6) (src ? s.src6! : s.dst6!).copy(b, p);
  else {
    b.fill(0, p, p + 16);
    if (s.family === AddrFamily.V4) {
      const a = src ? s.src4 : s.dst4;
      b[p + 10] = 0xff;
      b[p + 11] = 0xff;
      b[p + 12] = a >>> 24;
      b[p + 13] = a >>> 16;
      b[p + 14] = a >>> 8;
      b[p + 15] = a;
    }
  }
  w.pos = p + 16;
}

/** agent_id .. keyed_by: the columns every row of the stream starts with. */
function identityBytes(agentId: string, iface: string, s: Stream): Buffer {
  const ptp = s.isPtp;
  const w = new RowBinaryWriter(128);
  w.string(agentId);
  w.string(iface);
  w.string(STREAM_KIND_NAMES[s.kind]);
  address(w, s, true);
  address(w, s, false);
  w.u32(ptp ? 0 : s.id);
  w.u8(s.domain);
  w.string(s.clockId);
  w.u16(s.port);
  w.string(ptp ? PTP_TYPE_NAMES[s.id] : '');
  w.string(ptp ? (s.keyedByRequester ? 'requesting' : 'source') : '');
  return Buffer.from(w.finish());
}

const TWO32 = 4294967296;
/** The fixed-size part of a row after the identity (bytes). */
const ROW_TAIL = 258;

/**
 * Epoch ns sec * 1e9 + ns as UInt64 at p, exactly: the value passes 2^53,
 * but sec * 1953125 (1e9 / 2^9) does not, and the rest is 32-bit words.
 */
export function timeAt(v: DataView, p: number, sec: number, ns: number): void {
  const m = sec * 1953125;
  const q = Math.floor(m / 8388608); // sec * 1e9 = q * 2^32 + (m - q * 2^23) * 2^9
  const low = (m - q * 8388608) * 512 + ns;
  v.setUint32(p, low >>> 0, true);
  v.setUint32(p + 4, low >= TWO32 ? q + 1 : q, true);
}

/**
 * The row of a closed window, its window starting at (startSec, startNs).
 * Counts are non-negative integers below 2^53: `x >>> 0` is their low word
 * exactly, `(x / 2^32) >>> 0` the high one. One straight line of stores: a
 * helper per column went past the inlining budget, and a call per column
 * boxed its doubles (~230 ns a row; ~115 ns like this, docs/benchmarks.md).
 */
export function writeStreamHealthRow(out: RowBlockWriter, agentId: string, iface: string, w: StreamWindow, grid: TimeGrid, startSec: number, startNs: number): void {
  const s = w.stream;
  const id = (s.rowIdentity ??= identityBytes(agentId, iface, s));
  out.ensure(id.length + ROW_TAIL);
  const b = out.buf;
  let p = out.pos;
  b.set(id, p);
  p += id.length;
  b[p++] = s.bits;
  const v = out.view;
  timeAt(v, p, startSec, startNs);
  v.setUint32(p + 8, grid.sizeNs >>> 0, true);
  v.setUint32(p + 12, grid.sizeNs < TWO32 ? 0 : (grid.sizeNs / TWO32) >>> 0, true);
  v.setUint32(p + 16, w.packets >>> 0, true);
  v.setUint32(p + 20, w.packets < TWO32 ? 0 : (w.packets / TWO32) >>> 0, true);
  v.setUint32(p + 24, w.lost >>> 0, true);
  v.setUint32(p + 28, w.lost < TWO32 ? 0 : (w.lost / TWO32) >>> 0, true);
  v.setUint32(p + 32, w.duplicates >>> 0, true);
  v.setUint32(p + 36, w.duplicates < TWO32 ? 0 : (w.duplicates / TWO32) >>> 0, true);
  v.setUint32(p + 40, w.outOfOrder >>> 0, true);
  v.setUint32(p + 44, w.outOfOrder < TWO32 ? 0 : (w.outOfOrder / TWO32) >>> 0, true);
  v.setUint32(p + 48, w.restarts >>> 0, true);
  v.setUint32(p + 52, w.restarts < TWO32 ? 0 : (w.restarts / TWO32) >>> 0, true);
  v.setUint32(p + 56, w.gaps >>> 0, true);
  v.setUint32(p + 60, w.gaps < TWO32 ? 0 : (w.gaps / TWO32) >>> 0, true);
  v.setUint32(p + 64, w.maxGap >>> 0, true);
  v.setUint32(p + 68, w.maxGap < TWO32 ? 0 : (w.maxGap / TWO32) >>> 0, true);
  v.setUint32(p + 72, w.silences >>> 0, true);
  v.setUint32(p + 76, w.silences < TWO32 ? 0 : (w.silences / TWO32) >>> 0, true);
  v.setUint32(p + 80, w.firstSeq < 0 ? 0 : w.firstSeq, true);
  v.setUint32(p + 84, w.lastSeq, true);
  timeAt(v, p + 88, w.firstSec, w.firstNs);
  timeAt(v, p + 96, w.lastSec, w.lastNs);
  v.setUint32(p + 104, w.iatCount >>> 0, true);
  v.setUint32(p + 108, w.iatCount < TWO32 ? 0 : (w.iatCount / TWO32) >>> 0, true);
  v.setUint32(p + 112, w.iatSum >>> 0, true);
  v.setUint32(p + 116, w.iatSum < TWO32 ? 0 : (w.iatSum / TWO32) >>> 0, true);
  v.setFloat64(p + 120, w.iatSumSq, true);
  v.setUint32(p + 128, w.iatMin >>> 0, true);
  v.setUint32(p + 132, w.iatMin < TWO32 ? 0 : (w.iatMin / TWO32) >>> 0, true);
  v.setUint32(p + 136, w.iatMax >>> 0, true);
  v.setUint32(p + 140, w.iatMax < TWO32 ? 0 : (w.iatMax / TWO32) >>> 0, true);
  v.setInt8(p + 144, w.logInterval);
  const adv = advertisedIntervalNs(w.logInterval);
  v.setUint32(p + 145, adv >>> 0, true);
  v.setUint32(p + 149, adv < TWO32 ? 0 : (adv / TWO32) >>> 0, true);
  v.setUint32(p + 153, w.offTolerance >>> 0, true);
  v.setUint32(p + 157, w.offTolerance < TWO32 ? 0 : (w.offTolerance / TWO32) >>> 0, true);
  v.setUint32(p + 161, w.answered >>> 0, true);
  v.setUint32(p + 165, w.answered < TWO32 ? 0 : (w.answered / TWO32) >>> 0, true);
  v.setUint32(p + 169, w.unanswered >>> 0, true);
  v.setUint32(p + 173, w.unanswered < TWO32 ? 0 : (w.unanswered / TWO32) >>> 0, true);
  v.setUint32(p + 177, w.followUpMissing >>> 0, true);
  v.setUint32(p + 181, w.followUpMissing < TWO32 ? 0 : (w.followUpMissing / TWO32) >>> 0, true);
  v.setUint32(p + 185, w.unmatched >>> 0, true);
  v.setUint32(p + 189, w.unmatched < TWO32 ? 0 : (w.unmatched / TWO32) >>> 0, true);
  v.setUint32(p + 193, w.respCount >>> 0, true);
  v.setUint32(p + 197, w.respCount < TWO32 ? 0 : (w.respCount / TWO32) >>> 0, true);
  v.setUint32(p + 201, w.respSum >>> 0, true);
  v.setUint32(p + 205, w.respSum < TWO32 ? 0 : (w.respSum / TWO32) >>> 0, true);
  v.setUint32(p + 209, w.respMin >>> 0, true);
  v.setUint32(p + 213, w.respMin < TWO32 ? 0 : (w.respMin / TWO32) >>> 0, true);
  v.setUint32(p + 217, w.respMax >>> 0, true);
  v.setUint32(p + 221, w.respMax < TWO32 ? 0 : (w.respMax / TWO32) >>> 0, true);
  v.setUint32(p + 225, w.corrCount >>> 0, true);
  v.setUint32(p + 229, w.corrCount < TWO32 ? 0 : (w.corrCount / TWO32) >>> 0, true);
  v.setFloat64(p + 233, w.corrSum, true);
  v.setFloat64(p + 241, w.corrMin, true);
  v.setFloat64(p + 249, w.corrMax, true);
  out.pos = p + 257;
  out.endRow();
}
