/**
 * Stream health of one capture point within one source partition: every
 * IENA, Chapter 10 and PTP stream's sequence continuity, timing and pairing
 * per flows window (table stream_health), PTP events (ptp_events), TMATS
 * sightings (tmats_sightings) and alert rules (alerts).
 *
 * `ingest` is the per-record hot path (numbers only; no allocation once a
 * stream exists). `close` runs at a seal with the capture point's watermark:
 * it settles PTP requests whose time ran out, declares silent clocks, emits
 * the windows the watermark closed and evaluates the alert rules. Like the
 * flows windows, what it emits depends only on the records and the
 * watermark, not on when the seals happen (docs/stream-health.md).
 */
import { diffNs, type SplitTime, type TimeGrid } from '../event-time.js';
import { int32At, type RowBlockWriter } from '@streamlens/common';
import type { AggPtp, AggRecord } from '../enriched-decoder.js';
import { reduceSeq, SeqVerdict } from './sequence-tracker.js';
import { silenceThreshold, typicalAfter } from './typical-interval.js';
import {
  AddrFamily, isPtpResponse, kindBits, PTP_ANNOUNCE, PTP_DELAY_REQ, PTP_DELAY_RESP, PTP_FOLLOW_UP, PTP_PDELAY_REQ, PTP_PDELAY_RESP,
  PTP_PDELAY_RESP_FOLLOW_UP, PTP_SYNC, compareStreams, Stream, StreamKind, streamKeyText, StreamTable, v4Tail,
} from './streams.js';
import { advertisedIntervalNs, LOG_INTERVAL_NONE, recycleWindow, takeWindow, type StreamWindow } from './stream-window.js';
import { writeStreamHealthRow } from './stream-health-rows.js';
import { PendingRequests, Waiting } from './ptp-pairing.js';
import { PtpEvents, type PtpEventRow } from './ptp-events.js';
import { TmatsSightings, type TmatsSightingRow } from './tmats-sightings.js';
import { AlertEvaluator, type AlertRow } from './alerts/alert-evaluator.js';
import { rulesFor, type AlertRule } from './alerts/alert-rules.js';

export interface StreamHealthParams {
  /** Minimum silence threshold (ns); a stream's own is the larger of this and 8 typical intervals. */
  silenceNs: number;
  /** A PTP interval off the advertised one by more than this fraction counts as off tolerance. */
  ptpTolerance: number;
  /** Time a PTP request waits for its answer (ns; at most the lateness). */
  responseTimeoutNs: number;
  /** Streams held per partition; beyond it the least recently seen are flushed early and forgotten. */
  maxStreams: number;
  rules: readonly AlertRule[];
}

/** Counters the stream-health path bumps (copied into metrics by the service). */
export class HealthCounters {
  streamsCreated = 0;
  streamsExpired = 0;
  streamsEvicted = 0;
  windowsEmitted = 0;
  ptpEvents = 0;
  tmatsRows = 0;
  alertsFired = 0;
  alertsResolved = 0;
  /** IENA / Chapter 10 / PTP records not tracked because their batch was sampled (1 in N > 1). */
  sampledSkipped = 0;
  /** IENA / Chapter 10 records without usable IP addresses (no stream). */
  noAddress = 0;
}

/** What a seal collects. */
export interface HealthOutput {
  /** stream_health rows, written as RowBinary (stream-health-rows.ts). */
  health: RowBlockWriter;
  ptpEvents: PtpEventRow[];
  tmats: TmatsSightingRow[];
  alerts: AlertRow[];
}

const PTP_TWO_STEP = 0x0200;
const MGMT_RESPONSE = 2;
const MGMT_ACKNOWLEDGE = 4;

/** Windows a seal closes (scratch, emptied after each use). */
const closing: StreamWindow[] = [];

function byWindowThenStream(a: StreamWindow, b: StreamWindow): number {
  return a.index - b.index || compareStreams(a.stream, b.stream);
}

export class CapturePointHealth {
  readonly table = new StreamTable();
  /**
   * Open stream windows, in no order: a capture point has a few per stream (the current one and those
   * the lateness keeps open), so a seal scans them instead of keeping a map of sets by window index.
   */
  readonly open: StreamWindow[] = [];
  /** Request streams that may have requests waiting for an answer (emptied ones leave at the next seal: no churn per request). */
  readonly waiting = new Set<Stream>();
  readonly ptp: PtpEvents;
  readonly tmats = new TmatsSightings();
  readonly alerts: AlertEvaluator | null;
  /** Events found while ingesting, emitted at the next seal. */
  events: PtpEventRow[] = [];
  private lastIat = -1;
  private lastVerdict = SeqVerdict.First;
  /**
   * No record (nor restored state) since the last close, whose watermark,
   * newest time and first open window are these: a close with the same
   * ones has nothing to do (many capture points of a partition are quiet
   * between two seals: -0.5 % instructions a pass on the benchmark).
   */
  private quiet = false;
  private readonly closedAt = { wmSec: NaN, wmNs: NaN, newestSec: NaN, newestNs: NaN, closeIdx: NaN };
  /** The start of the last window emitted (the rows of one seal share a few windows). */
  private startIdx = NaN;
  private readonly start: SplitTime = { sec: 0, ns: 0 };

  constructor(
    readonly agentId: string,
    readonly iface: string,
    readonly grid: TimeGrid,
    readonly hp: StreamHealthParams,
    private readonly counters: HealthCounters,
  ) {
    this.ptp = new PtpEvents(agentId, iface, hp.silenceNs);
    this.alerts = hp.rules.length ? new AlertEvaluator(agentId, iface, hp.rules, grid) : null;
  }

  get openSlots(): number {
    return this.open.length + this.tmats.windows.size;
  }

  /** Account one accepted record at (sec, ns) in flows window `widx`. */
  ingest(rec: AggRecord, sec: number, ns: number, widx: number, epoch: number): void {
    this.quiet = false;
    const iena = rec.iena;
    if (iena) {
      const s = this.ipStream(rec, StreamKind.Iena, iena.key & 0xffff, epoch);
      if (s !== null) this.observe(s, iena.sequence & 0xffff, 16, sec, ns, widx);
    }
    const ch10 = rec.ch10;
    if (ch10) {
      const bits = ch10.udp_seq_bits;
      if (ch10.udp_seq !== null && bits > 0 && bits <= 32) {
        const s = this.ipStream(rec, StreamKind.Ch10Transfer, 0, epoch);
        if (s !== null) this.observe(s, reduceSeq(ch10.udp_seq, bits), bits, sec, ns, widx);
      }
      const packets = ch10.packets;
      for (let i = 0; i < packets.length; i++) {
        const pk = packets[i];
        if (pk.reassembled) continue; // its first slice was counted when it arrived
        const s = this.ipStream(rec, StreamKind.Ch10Channel, pk.channel_id & 0xffff, epoch);
        if (s !== null) this.observe(s, pk.seq & 0xff, 8, sec, ns, widx);
      }
      const t = ch10.tmats;
      if (t && t.complete) this.tmats.add(rec, t, widx, sec, ns);
    }
    const ptp = rec.ptp;
    if (ptp && ptp.version === 2) this.ingestPtp(rec, ptp, sec, ns, widx, epoch);
  }

  private ingestPtp(rec: AggRecord, ptp: AggPtp, sec: number, ns: number, widx: number, epoch: number): void {
    const type = ptp.message_type & 0xf;
    const clock = this.ptp.message(ptp.domain, ptp.source_clock_id, ptp.source_port, sec, ns, rec.packet.frame_no, this.events);
    if (type === PTP_ANNOUNCE && ptp.announce) this.ptp.announce(clock, ptp.announce, sec, ns, rec.packet.frame_no, this.events);
    // Management responses copy the sequenceId of the request they answer: not a sequence of the sender's.
    if (type === 13 && (ptp.management_action === MGMT_RESPONSE || ptp.management_action === MGMT_ACKNOWLEDGE)) return;
    const response = isPtpResponse(type);
    let clockId = ptp.source_clock_id;
    let port = ptp.source_port;
    if (response) {
      if (ptp.requesting_clock_id === null || ptp.requesting_port === null) return;
      clockId = ptp.requesting_clock_id;
      port = ptp.requesting_port;
    }
    const s = this.ptpStream(rec, ptp.domain, clockId, port, type, response, epoch);
    const w = this.observe(s, ptp.sequence_id & 0xffff, 16, sec, ns, widx);
    w.addCorrection(ptp.correction_scaled_ns / 65536);
    const log = ptp.log_message_interval;
    if (log !== LOG_INTERVAL_NONE) {
      w.logInterval = log;
      if (!response && type !== PTP_FOLLOW_UP && this.lastIat >= 0) {
        const adv = advertisedIntervalNs(log);
        if (adv > 0 && Math.abs(this.lastIat - adv) > this.hp.ptpTolerance * adv) w.offTolerance++;
      }
    }
    if (this.lastVerdict === SeqVerdict.Duplicate) return; // a repeated message pairs with nothing
    const seq = ptp.sequence_id & 0xffff;
    switch (type) {
      case PTP_SYNC:
        if (ptp.flags & PTP_TWO_STEP) this.request(s, seq, sec, ns, widx);
        break;
      case PTP_DELAY_REQ:
      case PTP_PDELAY_REQ:
        this.request(s, seq, sec, ns, widx);
        break;
      case PTP_FOLLOW_UP:
        this.answer(this.ptpLookup(ptp.domain, clockId, port, PTP_SYNC), seq, Waiting.Response, false, sec, ns, w);
        break;
      case PTP_DELAY_RESP:
        this.answer(this.ptpLookup(ptp.domain, clockId, port, PTP_DELAY_REQ), seq, Waiting.Response, false, sec, ns, w);
        break;
      case PTP_PDELAY_RESP:
        this.answer(this.ptpLookup(ptp.domain, clockId, port, PTP_PDELAY_REQ), seq, Waiting.Response, (ptp.flags & PTP_TWO_STEP) !== 0, sec, ns, w);
        break;
      case PTP_PDELAY_RESP_FOLLOW_UP:
        this.answer(this.ptpLookup(ptp.domain, clockId, port, PTP_PDELAY_REQ), seq, Waiting.FollowUp, false, sec, ns, w);
        break;
      default:
        break;
    }
  }

  // ---- streams ---------------------------------------------------------------

  private ipStream(rec: AggRecord, kind: StreamKind, id: number, epoch: number): Stream | null {
    const p = rec.packet;
    if (p.ip_version === 0) {
      this.counters.noAddress++;
      return null;
    }
    const sl = p.src_ip.length;
    if (sl === 4 && p.dst_ip.length === 4) {
      const src = int32At(p.src_ip, 0);
      const dst = int32At(p.dst_ip, 0);
      const tail = v4Tail(kind, id);
      let s = this.table.getV4(src, dst, tail);
      if (s === undefined) {
        s = new Stream();
        s.kind = kind;
        s.family = AddrFamily.V4;
        s.src4 = src >>> 0;
        s.dst4 = dst >>> 0;
        s.id = id;
        s.mapKey = tail;
        this.created(s, epoch);
      } else {
        this.table.touch(s, epoch);
      }
      return s;
    }
    if (sl === 16 && p.dst_ip.length === 16) {
      const key = `${kind}|${p.src_ip.toString('hex')}|${p.dst_ip.toString('hex')}|${id}`;
      let s = this.table.getOther(key);
      if (s === undefined) {
        s = new Stream();
        s.kind = kind;
        s.family = AddrFamily.V6;
        s.src6 = Buffer.from(p.src_ip);
        s.dst6 = Buffer.from(p.dst_ip);
        s.id = id;
        s.mapKey = key;
        this.created(s, epoch);
      } else {
        this.table.touch(s, epoch);
      }
      return s;
    }
    this.counters.noAddress++;
    return null;
  }

  private ptpStream(rec: AggRecord, domain: number, clockId: string, port: number, type: number, byRequester: boolean, epoch: number): Stream {
    const e = this.table.ptpPort(clockId, domain, port, false);
    const have = e === null ? null : e.streams[type];
    if (have) {
      this.table.touch(have, epoch);
      return have;
    }
    const s = new Stream();
    s.kind = StreamKind.Ptp;
    s.id = type;
    s.domain = domain;
    s.clockId = clockId;
    s.port = port;
    s.keyedByRequester = byRequester;
    // addresses are a label for PTP streams (the sender of the first message), not part of the identity
    const p = rec.packet;
    if (p.ip_version !== 0 && p.src_ip.length === 4 && p.dst_ip.length === 4) {
      s.family = AddrFamily.V4;
      s.src4 = p.src_ip.readUInt32BE(0);
      s.dst4 = p.dst_ip.readUInt32BE(0);
    } else if (p.ip_version !== 0 && p.src_ip.length === 16 && p.dst_ip.length === 16) {
      s.family = AddrFamily.V6;
      s.src6 = Buffer.from(p.src_ip);
      s.dst6 = Buffer.from(p.dst_ip);
    }
    this.created(s, epoch);
    return s;
  }

  private ptpLookup(domain: number, clockId: string, port: number, type: number): Stream | null {
    const e = this.table.ptpPort(clockId, domain, port, false);
    return e === null ? null : e.streams[type];
  }

  private created(s: Stream, epoch: number): void {
    s.key = streamKeyText(s);
    if (this.hp.rules.length) s.rules = rulesFor(this.hp.rules, this.agentId, this.iface, s);
    this.table.add(s, epoch);
    this.counters.streamsCreated++;
  }

  /** Restore: add a stream read from a checkpoint. */
  restoreStream(s: Stream, touched: number): void {
    this.quiet = false;
    s.key = streamKeyText(s);
    if (this.hp.rules.length) s.rules = rulesFor(this.hp.rules, this.agentId, this.iface, s);
    this.table.add(s, touched);
  }

  silenceOf(s: Stream): number {
    return silenceThreshold(s.typical, this.hp.silenceNs);
  }

  /** One packet of stream `s` with sequence `seq` (reduced to `bits`). */
  private observe(s: Stream, seq: number, bits: number, sec: number, ns: number, widx: number): StreamWindow {
    let w = s.cur;
    if (w === null || w.index !== widx) w = this.windowFor(s, widx);
    let silent = false;
    if (s.hasLast) silent = diffNs(sec, ns, s.lastSec, s.lastNs) >= this.silenceOf(s);
    const v = s.track(seq, bits, silent);
    switch (v) {
      case SeqVerdict.Gap: {
        const g = s.gap;
        w.lost += g;
        w.gaps++;
        if (g > w.maxGap) w.maxGap = g;
        break;
      }
      case SeqVerdict.Duplicate: w.duplicates++; break;
      case SeqVerdict.Late: w.outOfOrder++; break;
      case SeqVerdict.Straggler:
        // older than the stream's first packet: its gap shows only now (lost - out_of_order stays the net loss)
        w.outOfOrder++;
        w.lost++;
        break;
      case SeqVerdict.Restart: w.restarts++; break;
      default: break;
    }
    if (silent) w.silences++;
    w.addPacket(sec, ns);
    if (w.firstSeq < 0) w.firstSeq = seq;
    w.lastSeq = s.last;
    let iat = -1;
    if (v !== SeqVerdict.Duplicate) {
      let d = -1;
      if (s.hasIv) {
        d = diffNs(sec, ns, s.ivSec, s.ivNs);
        if (d >= 0) {
          // intervals across a silence are not timing samples, but they teach a slow stream its cadence
          if (!silent) {
            iat = d;
            w.addInterval(d);
          }
          s.typical = typicalAfter(s.typical, d);
        }
      }
      if (!s.hasIv || d >= 0) {
        s.hasIv = true;
        s.ivSec = sec;
        s.ivNs = ns;
      }
    }
    if (!s.hasLast || sec > s.lastSec || (sec === s.lastSec && ns > s.lastNs)) {
      s.hasLast = true;
      s.lastSec = sec;
      s.lastNs = ns;
    }
    this.lastIat = iat;
    this.lastVerdict = v;
    return w;
  }

  /** The stream's window with index `idx`, created (and registered as open) when missing. */
  private windowFor(s: Stream, idx: number): StreamWindow {
    const cur = s.cur;
    if (cur !== null && idx < cur.index) {
      const older = s.older;
      if (older) for (const o of older) if (o.index === idx) return o;
      const w = this.openWindow(s, idx);
      (s.older ??= []).push(w);
      return w;
    }
    if (cur !== null) (s.older ??= []).push(cur);
    const w = this.openWindow(s, idx);
    s.cur = w;
    return w;
  }

  /** Create a window and register it (also used by checkpoint restore). */
  openWindow(s: Stream, idx: number): StreamWindow {
    this.quiet = false;
    const w = takeWindow(s, idx);
    this.open.push(w);
    return w;
  }

  /** An open window of the stream by index (null when it is closed). */
  private openWindowAt(s: Stream, idx: number): StreamWindow | null {
    if (s.cur !== null && s.cur.index === idx) return s.cur;
    if (s.older) for (const o of s.older) if (o.index === idx) return o;
    return null;
  }

  // ---- PTP pairing -----------------------------------------------------------

  private request(s: Stream, seq: number, sec: number, ns: number, widx: number): void {
    let q = s.pending;
    if (q === null) q = s.pending = new PendingRequests();
    this.expireWaiting(s, q, sec, ns, -Infinity);
    if (q.full) this.settle(s, q, 0);
    q.push(seq, sec, ns, widx, Waiting.Response);
    this.waiting.add(s);
  }

  private answer(req: Stream | null, seq: number, want: Waiting, twoStepResponse: boolean, sec: number, ns: number, w: StreamWindow): void {
    const q = req === null ? null : req.pending;
    if (q === null || q.count === 0) {
      w.unmatched++;
      return;
    }
    this.expireWaiting(req!, q, sec, ns, -Infinity);
    const i = q.find(seq, want);
    if (i < 0) {
      w.unmatched++;
      return;
    }
    const slot = q.slot(i);
    if (want === Waiting.Response) {
      const rw = this.openWindowAt(req!, q.widx[slot]) ?? req!.cur;
      if (rw !== null) {
        rw.answered++;
        const rt = diffNs(sec, ns, q.sec[slot], q.ns[slot]);
        if (rt >= 0) rw.addResponse(rt);
      }
      if (twoStepResponse) {
        q.state[slot] = Waiting.FollowUp;
        return;
      }
    }
    q.removeAt(i);
  }

  /**
   * Settle the waiting requests whose time ran out by (sec, ns) (a response
   * later than the timeout does not count) or whose window is closing
   * (index below `closeIdx`): they count as unanswered in their window.
   */
  private expireWaiting(s: Stream, q: PendingRequests, sec: number, ns: number, closeIdx: number): void {
    const timeout = this.hp.responseTimeoutNs;
    while (q.count > 0) {
      const slot = q.head;
      if (q.widx[slot] >= closeIdx && diffNs(sec, ns, q.sec[slot], q.ns[slot]) <= timeout) break;
      this.settle(s, q, 0);
    }
  }

  /** Count the i-th waiting request as unanswered and drop it. */
  private settle(s: Stream, q: PendingRequests, i: number): void {
    const slot = q.slot(i);
    const w = this.openWindowAt(s, q.widx[slot]) ?? s.cur;
    if (w !== null) {
      // a Sync waits for its Follow_Up, a two-step Pdelay_Resp for its follow-up; requests for a response
      if (q.state[slot] === Waiting.FollowUp || s.id === PTP_SYNC) w.followUpMissing++;
      else w.unanswered++;
    }
    q.removeAt(i);
  }

  // ---- seal ------------------------------------------------------------------

  /**
   * At a seal: `wm` is the capture point's watermark, `newest` its newest
   * record time; `closeIdx` the first flows window still open (Infinity:
   * close everything, end of input). `final`: evaluate the alert rules'
   * last, partial windows too.
   */
  close(wmSec: number, wmNs: number, newestSec: number, newestNs: number, closeIdx: number, final: boolean, flowTimeoutNs: number, out: HealthOutput): void {
    const at = this.closedAt;
    if (this.quiet && !final && closeIdx === at.closeIdx && wmSec === at.wmSec && wmNs === at.wmNs && newestSec === at.newestSec
      && newestNs === at.newestNs) return;
    for (const s of this.waiting) {
      this.expireWaiting(s, s.pending!, newestSec, newestNs, closeIdx);
      if (s.pending!.count === 0) this.waiting.delete(s); // deleting the current entry of a Set iteration is safe
    }
    if (this.events.length) {
      for (const e of this.events) out.ptpEvents.push(e);
      this.counters.ptpEvents += this.events.length;
      this.events = [];
    }
    const before = out.ptpEvents.length;
    this.ptp.sweep(out.ptpEvents);
    this.counters.ptpEvents += out.ptpEvents.length - before;

    const open = this.open;
    let kept = 0;
    for (let i = 0; i < open.length; i++) {
      const w = open[i];
      if (w.index < closeIdx) closing.push(w);
      else open[kept++] = w;
    }
    if (kept !== open.length) open.length = kept;
    if (closing.length > 0) {
      closing.sort(byWindowThenStream);
      for (let i = 0; i < closing.length; i++) this.emit(closing[i], out);
      closing.length = 0;
    }
    const tm = out.tmats.length;
    this.tmats.close(closeIdx, this.agentId, this.iface, this.grid, out.tmats);
    this.counters.tmatsRows += out.tmats.length - tm;

    if (this.alerts !== null) {
      const a = out.alerts.length;
      this.alerts.evaluate(wmSec, wmNs, out.alerts, final ? newestSec : -1, newestNs);
      for (let i = a; i < out.alerts.length; i++) {
        if (out.alerts[i].state === 'firing') this.counters.alertsFired++;
        else this.counters.alertsResolved++;
      }
    }
    this.expireSilent(newestSec, newestNs, flowTimeoutNs);
    this.quiet = true;
    at.wmSec = wmSec;
    at.wmNs = wmNs;
    at.newestSec = newestSec;
    at.newestNs = newestNs;
    at.closeIdx = closeIdx;
  }

  private emit(w: StreamWindow, out: HealthOutput): void {
    if (w.index !== this.startIdx) {
      this.startIdx = w.index;
      this.grid.start(w.index, this.start);
    }
    writeStreamHealthRow(out.health, this.agentId, this.iface, w, this.grid, this.start.sec, this.start.ns);
    this.alerts?.feed(w);
    this.detach(w);
    this.counters.windowsEmitted++;
  }

  /** After its row is built: off its stream, and kept for reuse (nothing else holds an emitted window). */
  private detach(w: StreamWindow): void {
    w.done = true;
    const s = w.stream;
    if (s.cur === w) s.cur = null;
    else if (s.older !== null) {
      // removed in place (splice would allocate the removed part); the emptied list stays for the next windows
      const older = s.older;
      const i = older.indexOf(w);
      if (i >= 0) {
        for (let j = i + 1; j < older.length; j++) older[j - 1] = older[j];
        older.pop();
      }
    }
    recycleWindow(w);
  }

  /** Streams silent for the flow timeout (and with nothing open), oldest first. */
  private expireSilent(newestSec: number, newestNs: number, timeoutNs: number): void {
    let s = this.table.head;
    while (s !== null) {
      if (s.cur !== null || (s.older !== null && s.older.length > 0) || (s.pending !== null && s.pending.count > 0)
        || diffNs(newestSec, newestNs, s.lastSec, s.lastNs) < timeoutNs) break;
      const next = s.next;
      this.table.remove(s);
      this.counters.streamsExpired++;
      s = next;
    }
    this.ptp.expire(timeoutNs);
  }

  /** Flush the least recently used stream now (memory cap): its requests are settled, its windows emitted. */
  evictOldest(out: HealthOutput): boolean {
    const s = this.table.head;
    if (s === null) return false;
    if (s.pending !== null) {
      while (s.pending.count > 0) this.settle(s, s.pending, 0);
      this.waiting.delete(s);
    }
    const open: StreamWindow[] = [];
    if (s.cur) open.push(s.cur);
    if (s.older) open.push(...s.older);
    open.sort((a, b) => a.index - b.index);
    const all = this.open;
    let kept = 0;
    for (let i = 0; i < all.length; i++) if (all[i].stream !== s) all[kept++] = all[i];
    all.length = kept;
    for (const w of open) this.emit(w, out);
    this.table.remove(s);
    this.counters.streamsEvicted++;
    return true;
  }
}
