/**
 * Reassembly of segmented Chapter 10 transfers (protocols.md §2.2.2): a
 * packet cut into slices, each in its own datagram behind a Format 1 (or
 * Format 2) segmented header. Keyed by (flow, channel ID, channel sequence)
 * from the transfer header — c10net writes only chid & 0xFF there, but it
 * does so in every slice, so the key is consistent.
 *
 * How results look on records: the first slice's datagram already carries the
 * packet header it holds (complete = false, data checksum "unchecked"); the
 * continuation datagrams are `CH10-Segment`; the datagram that completes the
 * packet additionally carries the whole packet, decoded and checked like any
 * other (data checksum, body, TMATS, time), with `reassembled = true`, appended
 * to `info.packets` (its frame type stays `CH10-Segment`: frame_types lists
 * the packets that start in a datagram).
 *
 * Bounded: at most `maxOpenTransfers` open transfers and `maxBytes` buffered
 * (the oldest ones are evicted), no packet above
 * `maxPacketBytes` is buffered (a lying length allocates nothing), and a
 * transfer idle for `timeoutMs` of record time is dropped. Slices may arrive
 * out of order after the first; duplicates are ignored; overlaps and overruns
 * abort the transfer. Everything is counted.
 */
import { CH10_TYPE } from './data-types.js';
import { walkPackets, type Ch10Result } from './dissect-chapter10.js';

export interface Ch10ReassemblerOptions {
  /** Open transfers kept at most (default 1024). */
  maxOpenTransfers?: number;
  /** Bytes buffered across open transfers at most (default 64 MiB). */
  maxBytes?: number;
  /** Largest packet buffered (default 16 MiB; Chapter 10 data is ≤ 512 KiB except TMATS). */
  maxPacketBytes?: number;
  /** A transfer with no new slice for this long (record time) is dropped (default 5000 ms). */
  timeoutMs?: number;
}

export interface Ch10ReassemblyStats {
  /** Transfers opened by a first slice. */
  started: number;
  /** Packets completed and decoded. */
  completed: number;
  /** Continuation slices placed into an open transfer. */
  segments: number;
  /** Slices placed at an offset other than the end of the bytes so far (reordered). */
  reordered: number;
  /** Continuation slices with no open transfer (first slice lost, expired, or joined mid-transfer). */
  orphans: number;
  /** Slices already received (ignored). */
  duplicates: number;
  /** Transfers aborted by a slice that overlaps others or runs past the packet length. */
  aborted: number;
  /** Transfers dropped incomplete because the same key started again (a lost last slice). */
  superseded: number;
  /** Transfers dropped incomplete after timeoutMs without a slice. */
  timeouts: number;
  /** Transfers evicted to stay within maxOpenTransfers / maxBytes. */
  evictions: number;
  /** First slices of packets larger than maxPacketBytes (not buffered). */
  tooLarge: number;
  /** Open transfers now. */
  open: number;
  /** Bytes buffered now. */
  bufferedBytes: number;
}

interface Transfer {
  buf: Buffer;
  length: number;
  covered: number;
  /** Received byte ranges as flat [start, end) pairs, sorted, merged when adjacent. */
  ranges: number[];
  lastMs: number;
}

/** More disjoint ranges than this in one transfer is pathological: abort it. */
const MAX_RANGES = 512;

export class Ch10Reassembler {
  private readonly open = new Map<string, Transfer>();
  private readonly maxOpen: number;
  private readonly maxBytes: number;
  private readonly maxPacketBytes: number;
  private readonly timeoutMs: number;
  private buffered = 0;
  private lastExpiryMs = -Infinity;
  private readonly scratchFrameTypes: string[] = [];
  private readonly counts = {
    started: 0, completed: 0, segments: 0, reordered: 0, orphans: 0, duplicates: 0, aborted: 0,
    superseded: 0, timeouts: 0, evictions: 0, tooLarge: 0,
  };

  constructor(options: Ch10ReassemblerOptions = {}) {
    this.maxOpen = options.maxOpenTransfers ?? 1024;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxPacketBytes = options.maxPacketBytes ?? 16 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 5000;
    if (!(this.maxOpen >= 1 && this.maxBytes >= 1 && this.maxPacketBytes >= 24 && this.timeoutMs > 0)) {
      throw new RangeError('Ch10Reassembler: maxOpenTransfers ≥ 1, maxBytes ≥ 1, maxPacketBytes ≥ 24 and timeoutMs > 0 are required');
    }
  }

  /**
   * Feeds one dissected datagram. Does nothing unless it is a segmented
   * transfer; otherwise opens, extends or completes the transfer and, on
   * completion, appends the decoded packet (and its errors, TMATS) to `result`.
   * `flowKey` names the flow (addresses and ports, both directions distinct);
   * `nowMs` is the record's capture time in epoch ms (also the year source for
   * day-of-year time packets).
   */
  accept(flowKey: string, payload: Buffer, result: Ch10Result, nowMs: number): void {
    const info = result.info;
    if (info.seg_offset === null || info.udp_format === 3) return;
    // Expiry scans every open transfer, so it runs at most every timeoutMs / 4 of record time.
    if (nowMs - this.lastExpiryMs >= this.timeoutMs / 4 || nowMs < this.lastExpiryMs) this.expire(nowMs);
    // One string per segmented datagram: flow, then channel ID and channel sequence packed in one number.
    const key = flowKey + '|' + ((info.seg_channel_id as number) * 512 + (info.seg_channel_seq ?? 256));
    const sliceStart = result.dataOffset;
    const sliceLen = payload.length - sliceStart;
    if (info.seg_offset === 0) {
      this.startTransfer(key, payload, sliceStart, sliceLen, result, nowMs);
      return;
    }
    const t = this.open.get(key);
    if (t === undefined) {
      this.counts.orphans++;
      result.errors.push('ch10.segment_orphan');
      return;
    }
    const start = info.seg_offset;
    const end = start + sliceLen;
    if (end > t.length) {
      this.drop(key, t);
      this.counts.aborted++;
      result.errors.push('ch10.segment_overrun');
      return;
    }
    const placed = this.place(t, start, end);
    if (placed === 'duplicate') {
      this.counts.duplicates++;
      return;
    }
    if (placed === 'bad') {
      this.drop(key, t);
      this.counts.aborted++;
      result.errors.push('ch10.segment_overlap');
      return;
    }
    if (placed === 'reordered') this.counts.reordered++;
    payload.copy(t.buf, start, sliceStart, payload.length);
    t.covered += sliceLen;
    t.lastMs = nowMs;
    this.counts.segments++;
    if (t.covered < t.length) return;
    this.drop(key, t);
    this.counts.completed++;
    this.complete(t, result, nowMs);
  }

  private startTransfer(key: string, payload: Buffer, sliceStart: number, sliceLen: number, result: Ch10Result, nowMs: number): void {
    const previous = this.open.get(key);
    if (previous !== undefined) {
      this.drop(key, previous);
      this.counts.superseded++;
    }
    const first = result.info.packets[0];
    // Nothing to reassemble: the header failed, or the whole packet is already here.
    if (first === undefined || !first.header_checksum_ok || first.complete) return;
    const length = first.packet_length;
    if (length % 4 !== 0 || length < 24 || sliceLen > length) return; // already reported by the packet reader
    if (length > this.maxPacketBytes) {
      this.counts.tooLarge++;
      result.errors.push('ch10.segment_too_large');
      return;
    }
    // Evict in start order (Map insertion order): the oldest transfer is the likeliest to be dead.
    while (this.open.size > 0 && (this.open.size >= this.maxOpen || this.buffered + length > this.maxBytes)) {
      const [oldestKey, oldest] = this.open.entries().next().value as [string, Transfer];
      this.drop(oldestKey, oldest);
      this.counts.evictions++;
    }
    const buf = Buffer.allocUnsafe(length);
    payload.copy(buf, 0, sliceStart, payload.length);
    this.open.set(key, { buf, length, covered: sliceLen, ranges: [0, sliceLen], lastMs: nowMs });
    this.buffered += length;
    this.counts.started++;
  }

  /** Records [start, end) as received; 'ok' when it extends the bytes so far in order. */
  private place(t: Transfer, start: number, end: number): 'ok' | 'reordered' | 'duplicate' | 'bad' {
    const r = t.ranges;
    let i = 0;
    while (i < r.length && r[i + 1] <= start) i += 2; // first range ending after start
    if (i < r.length && r[i] < end) {
      // Overlaps range i: a duplicate only if it lies entirely inside it.
      return r[i] <= start && end <= r[i + 1] ? 'duplicate' : 'bad';
    }
    const inOrder = i === r.length && r.length > 0 && r[r.length - 1] === start;
    const joinsPrev = i > 0 && r[i - 1] === start;
    const joinsNext = i < r.length && r[i] === end;
    if (joinsPrev && joinsNext) {
      r[i - 1] = r[i + 1];
      r.splice(i, 2);
    } else if (joinsPrev) {
      r[i - 1] = end;
    } else if (joinsNext) {
      r[i] = start;
    } else {
      if (r.length >= MAX_RANGES * 2) return 'bad';
      r.splice(i, 0, start, end);
    }
    return inOrder ? 'ok' : 'reordered';
  }

  private complete(t: Transfer, result: Ch10Result, nowMs: number): void {
    const info = result.info;
    const before = info.packets.length;
    const hadTmats = info.tmats !== null;
    const frameTypes = this.scratchFrameTypes;
    frameTypes.length = 0;
    walkPackets(t.buf, 0, t.length, info, frameTypes, result.errors, false, true, nowMs);
    for (let i = before; i < info.packets.length; i++) info.packets[i].reassembled = true;
    if (!hadTmats && info.tmats !== null) result.protocols.push('tmats');
    if (result.errors.length > 1) result.errors = result.errors.filter((e, i, a) => a.indexOf(e) === i);
  }

  private drop(key: string, t: Transfer): void {
    this.open.delete(key);
    this.buffered -= t.length;
  }

  /** Drops transfers idle for longer than timeoutMs before `nowMs` (the service may call it when idle too). */
  expire(nowMs: number): void {
    this.lastExpiryMs = nowMs;
    const limit = nowMs - this.timeoutMs;
    for (const [key, t] of this.open) {
      if (t.lastMs >= limit) continue;
      this.drop(key, t);
      this.counts.timeouts++;
    }
  }

  /** Counters and gauges (a snapshot). */
  stats(): Ch10ReassemblyStats {
    return { ...this.counts, open: this.open.size, bufferedBytes: this.buffered };
  }

  /** Forgets every open transfer (e.g. on a partition revoke); not counted as timeouts. */
  clear(): void {
    this.open.clear();
    this.buffered = 0;
  }
}
