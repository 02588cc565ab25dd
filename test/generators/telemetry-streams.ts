/**
 * A generated flight-test capture with known stream-health truth, written
 * without any of the aggregator's code: the script below decides every
 * packet's sequence number and time, and records, as it goes, what the
 * documented rules (docs/stream-health.md) say each packet is — in order, a
 * gap of n, a duplicate, a late arrival, a restart after a silence — and
 * which PTP request was answered. The expected rows, events, sightings and
 * alerts follow from those decisions, not from running a tracker.
 *
 * 30 s of capture, one capture point, flows window 1 s:
 *
 * - IENA key 0x2CFA 192.168.28.8 → 235.0.0.1, 100 Hz, sequence from 65000
 *   (wraps at 5.36 s): 3 lost at 2.48 s, a duplicate at 4.2 s, two packets
 *   swapped at 7.30 s and two swapped across the 10 s window boundary, a
 *   2.5 s pause at 14 s that continues the sequence (a silence, no restart),
 *   a 3 s silence at 20 s after which it restarts at 0 (a restart, not
 *   ~64k lost).
 * - IENA key 0x2CFB, same hosts, 50 Hz, stops for good at 18 s.
 * - Chapter 10 recorder 192.168.1.68:62360 → 192.168.1.255:2000: a datagram
 *   every 10 ms with a PCM packet (channel 3, 8-bit sequence wrapping every
 *   2.56 s), a time packet (channel 1) in one datagram a second, TMATS
 *   (channel 0) every second segmented in two datagrams (the setup record
 *   changes at 15 s); the 24-bit transfer sequence starts at 0xFFFF00 (wraps);
 *   a datagram lost at 5 s, one duplicated at 8 s, two swapped at 12 s.
 * - PTP domain 0 over UDP: grandmaster A (Sync 8 Hz two-step drifting by up to
 *   3 % with three intervals off tolerance, one Sync lost whose Follow_Up still
 *   comes, three Follow_Ups missing; Announce 1 Hz with clockClass 6 → 7 at
 *   10 s) until 20 s; grandmaster B (better) from 21 s; slave S sends
 *   Delay_Req at 4 Hz and Pdelay_Req at 1 Hz all along; responses come from
 *   the grandmaster of the moment, two Delay_Reqs and one Pdelay_Resp_Follow_Up
 *   are never answered, and none is between 20 and 21 s.
 */
import {
  ch10Format1, ch10Format1Segment, ch10Packet, ch10TimeBody, ch10TmatsBody, ienaPacket, ienaTimeUs, PTP, ptpMessage, ptpPort, udpFrame,
  type AnnounceBody,
} from './wire-frames.js';

export const TELEMETRY_START_NS = 1_732_000_000_000_000_000n;
export const WINDOW_NS = 1_000_000_000n;
/** The silence threshold the truth assumes (--stream-silence, the default). */
export const SILENCE_NS = 2_000_000_000n;
const S = 1_000_000_000n;
const MS = 1_000_000n;
const US = 1_000n;

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the truth ------------------------------------------------------------------

export interface ExpectedWindow {
  packets: number;
  lost: number;
  duplicates: number;
  out_of_order: number;
  restarts: number;
  gaps: number;
  max_gap: number;
  silences: number;
  first_seq: number;
  last_seq: number;
  first_ts_ns: bigint;
  last_ts_ns: bigint;
  intervals: number[];
  off_tolerance: number;
  log_message_interval: number;
  answered: number;
  unanswered: number;
  follow_up_missing: number;
  unmatched: number;
  responses: number[];
  corrections: number[];
}

export type Role = 'first' | 'next' | 'gap' | 'dup' | 'late' | 'restart';

/** One stream's expected rows, filled by the script. */
export class StreamTruth {
  readonly windows = new Map<bigint, ExpectedWindow>();
  private lastDistinct: bigint | null = null;
  private newest = 0;

  /** `key` as the tests build it from a stream_health row: kind|src|dst|stream_id|domain|clock_id|port|message_type|keyed_by */
  constructor(readonly key: string, readonly bits: number, readonly advertisedNs = 0) {}

  window(t: bigint): ExpectedWindow {
    const start = t - (t % WINDOW_NS);
    let w = this.windows.get(start);
    if (!w) {
      this.windows.set(start, (w = {
        packets: 0, lost: 0, duplicates: 0, out_of_order: 0, restarts: 0, gaps: 0, max_gap: 0, silences: 0, first_seq: -1, last_seq: 0,
        first_ts_ns: t, last_ts_ns: t, intervals: [], off_tolerance: 0, log_message_interval: 127, answered: 0, unanswered: 0,
        follow_up_missing: 0, unmatched: 0, responses: [], corrections: [],
      }));
    }
    return w;
  }

  /** A packet of the stream at `t` with sequence `seq`, classified by the script. */
  packet(t: bigint, seq: number, role: Role, o: { gap?: number; silence?: boolean; log?: number; correctionNs?: number } = {}): void {
    const w = this.window(t);
    w.packets++;
    if (t < w.first_ts_ns) w.first_ts_ns = t;
    if (t > w.last_ts_ns) w.last_ts_ns = t;
    if (w.first_seq < 0) w.first_seq = seq;
    if (role === 'gap') {
      w.lost += o.gap!;
      w.gaps++;
      w.max_gap = Math.max(w.max_gap, o.gap!);
    }
    if (role === 'dup') w.duplicates++;
    if (role === 'late') w.out_of_order++;
    if (role === 'restart') w.restarts++;
    if (o.silence) w.silences++;
    if (role === 'first' || role === 'next' || role === 'gap' || role === 'restart') this.newest = seq;
    w.last_seq = this.newest;
    if (role !== 'dup') {
      if (this.lastDistinct !== null && !o.silence) {
        const iat = Number(t - this.lastDistinct);
        w.intervals.push(iat);
        if (this.advertisedNs > 0 && Math.abs(iat - this.advertisedNs) > 0.2 * this.advertisedNs) w.off_tolerance++;
      }
      this.lastDistinct = t;
    }
    if (o.log !== undefined && o.log !== 127) w.log_message_interval = o.log;
    if (o.correctionNs !== undefined) w.corrections.push(o.correctionNs);
  }
}

export interface ExpectedEvent {
  ts_ns: bigint;
  domain: number;
  event: string;
  clock_id: string;
  port_number: number;
  field: string;
  old_value: string;
  new_value: string;
  detail: string;
}

export interface ExpectedSighting {
  window_start_ns: bigint;
  first_ts_ns: bigint;
  packets: number;
  config_changed: number;
  program_name: string;
  channel_ids: number[];
  channel_types: string[];
  data_source_ids: string[];
}

export interface TelemetryCapture {
  agentId: string;
  frames: { tsNs: bigint; data: Buffer }[];
  streams: Map<string, StreamTruth>;
  events: ExpectedEvent[];
  sightings: ExpectedSighting[];
  /** Last capture time. */
  endNs: bigint;
}

// ---- identities -------------------------------------------------------------------

const IENA_SRC = '192.168.28.8';
const IENA_DST = '235.0.0.1';
const REC_SRC = '192.168.1.68';
const REC_DST = '192.168.1.255';
const PTP_MC = '224.0.1.129';
const PDELAY_MC = '224.0.0.107';
export const CLOCK_A = 'aabbccfffe000001';
export const CLOCK_B = 'aabbccfffe000002';
export const CLOCK_S = 'aabbccfffe000003';
const IP = { [CLOCK_A]: '10.0.0.1', [CLOCK_B]: '10.0.0.2', [CLOCK_S]: '10.0.0.3' } as Record<string, string>;

const mapped = (ip: string) => `::ffff:${ip}`;

export function ipStreamKey(kind: string, src: string, dst: string, id: number): string {
  return `${kind}|${mapped(src)}|${mapped(dst)}|${id}|0||0||`;
}

export function ptpStreamKey(labelSrc: string, labelDst: string, domain: number, clock: string, port: number, type: string, keyedBy: 'source' | 'requesting'): string {
  return `ptp|${mapped(labelSrc)}|${mapped(labelDst)}|0|${domain}|${clock}|${port}|${type}|${keyedBy}`;
}

/** The key the tests build from a stream_health (or stream_stats) row. */
export function rowStreamKey(r: Record<string, unknown>): string {
  return [r.kind, r.src_ip, r.dst_ip, r.stream_id, r.domain, r.clock_id, r.port_number, r.message_type, r.keyed_by].map(String).join('|');
}

// ---- the script -----------------------------------------------------------------

export function telemetryCapture(o: { agentId?: string; seed?: number } = {}): TelemetryCapture {
  const start = TELEMETRY_START_NS;
  const end = start + 30n * S;
  const rand = prng(o.seed ?? 11);
  const frames: { tsNs: bigint; data: Buffer; order: number }[] = [];
  let order = 0;
  const emit = (tsNs: bigint, data: Buffer) => frames.push({ tsNs, data, order: order++ });
  const streams = new Map<string, StreamTruth>();
  const stream = (key: string, bits: number, adv = 0) => {
    let s = streams.get(key);
    if (!s) streams.set(key, (s = new StreamTruth(key, bits, adv)));
    return s;
  };
  const events: ExpectedEvent[] = [];
  const sightings: ExpectedSighting[] = [];
  const jitter = (maxNs: number) => BigInt(Math.round((rand() * 2 - 1) * maxNs));

  // ---- IENA key 0x2CFA ----
  {
    const truth = stream(ipStreamKey('iena', IENA_SRC, IENA_DST, 0x2cfa), 16);
    const send = (t: bigint, seq: number) => emit(t, udpFrame(IENA_SRC, IENA_DST, 50000, 50000, ienaPacket(0x2cfa, seq, ienaTimeUs(t))));
    let seq = 65000;
    let first = true;
    let silenceNext = false;
    let restartNext = false;
    for (let i = 0; i < 3000; i++) {
      const t = start + 1n * MS + BigInt(i) * 10n * MS + jitter(100_000);
      if (i >= 248 && i <= 250) {
        seq = (seq + 1) & 0xffff; // sent by the source, lost on the way
        continue;
      }
      if (i >= 1400 && i < 1650) {
        silenceNext = true; // paused: the counter does not move
        continue;
      }
      if (i >= 2000 && i < 2300) {
        silenceNext = true;
        restartNext = true;
        continue;
      }
      if (restartNext) {
        seq = 0; // rebooted
        restartNext = false;
        send(t, seq);
        truth.packet(t, seq, 'restart', { silence: true });
        silenceNext = false;
        seq = (seq + 1) & 0xffff;
        continue;
      }
      if (i === 730 || i === 999) {
        // this slot and the next exchange their packets
        const t2 = start + 1n * MS + BigInt(i + 1) * 10n * MS + jitter(100_000);
        const a = seq;
        const b = (seq + 1) & 0xffff;
        send(t, b);
        truth.packet(t, b, 'gap', { gap: 1 });
        send(t2, a);
        truth.packet(t2, a, 'late');
        seq = (seq + 2) & 0xffff;
        i++;
        continue;
      }
      send(t, seq);
      truth.packet(t, seq, first ? 'first' : i === 251 ? 'gap' : 'next', { gap: 3, silence: silenceNext });
      silenceNext = false;
      first = false;
      if (i === 420) {
        send(t + 30n * US, seq);
        truth.packet(t + 30n * US, seq, 'dup');
      }
      seq = (seq + 1) & 0xffff;
    }
  }

  // ---- IENA key 0x2CFB, stops at 18 s ----
  {
    const truth = stream(ipStreamKey('iena', IENA_SRC, IENA_DST, 0x2cfb), 16);
    for (let i = 0; i < 900; i++) {
      const t = start + 5n * MS + BigInt(i) * 20n * MS + jitter(50_000);
      const seq = 100 + i;
      emit(t, udpFrame(IENA_SRC, IENA_DST, 50000, 50000, ienaPacket(0x2cfb, seq, ienaTimeUs(t), 2)));
      truth.packet(t, seq, i === 0 ? 'first' : 'next');
    }
  }

  // ---- Chapter 10 recorder ----
  {
    const transfer = stream(ipStreamKey('ch10_transfer', REC_SRC, REC_DST, 0), 24);
    const ch0 = stream(ipStreamKey('ch10_channel', REC_SRC, REC_DST, 0), 8);
    const ch1 = stream(ipStreamKey('ch10_channel', REC_SRC, REC_DST, 1), 8);
    const ch3 = stream(ipStreamKey('ch10_channel', REC_SRC, REC_DST, 3), 8);
    // datagrams in time order: PCM (+ time) every 10 ms, TMATS in two slices every second
    type Dgram = { t: bigint; kind: 'data' | 'tmats1' | 'tmats2'; time: boolean; k: number };
    const list: Dgram[] = [];
    for (let j = 0; j < 3000; j++) list.push({ t: start + 3n * MS + BigInt(j) * 10n * MS + jitter(50_000), kind: 'data', time: j % 100 === 50, k: j });
    for (let k = 0; k < 30; k++) {
      const t = start + BigInt(k) * S + 257n * MS;
      list.push({ t, kind: 'tmats1', time: false, k }, { t: t + 100n * US, kind: 'tmats2', time: false, k });
    }
    list.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    const rtcOf = (t: bigint) => Number(((t - start) / 100n) % 2n ** 40n);
    const tmatsText = (k: number) => {
      const lines = ['G\\PN:FT-42;', 'G\\TA:XT-7;', 'G\\106:17;', 'G\\OD:11-19-2024;', 'G\\DSI\\N:1;', 'G\\DSI-1:REC-1;', 'G\\DST-1:DRS;',
        'R-1\\ID:REC-1;', `R-1\\N:${k >= 15 ? 3 : 2};`,
        'R-1\\TK1-1:1;', 'R-1\\DSI-1:TIME;', 'R-1\\CDT-1:TIMEIN;', 'R-1\\CHE-1:T;', 'R-1\\CDLN-1:Time;',
        'R-1\\TK1-2:3;', 'R-1\\DSI-2:PCM-1;', 'R-1\\CDT-2:PCMIN;', 'R-1\\CHE-2:T;', 'R-1\\CDLN-2:PCM-1;'];
      if (k >= 15) lines.push('R-1\\TK1-3:5;', 'R-1\\DSI-3:BUS-A;', 'R-1\\CDT-3:1553IN;', 'R-1\\CHE-3:T;', 'R-1\\CDLN-3:Bus-A;');
      for (let c = 0; c < 30; c++) lines.push(`COMMENT:padding line ${c} so that the setup record needs two datagrams;`);
      return lines.join('\r\n') + '\r\n';
    };
    let xfer = 0xffff00;
    let s0 = 0;
    let s1 = 0;
    let s3 = 200;
    const firsts = { x: true, c0: true, c1: true, c3: true };
    const role = (f: keyof typeof firsts): Role => {
      if (firsts[f]) {
        firsts[f] = false;
        return 'first';
      }
      return 'next';
    };
    let tmatsSeq = 0;
    let tmatsPkt: Buffer | null = null;
    for (let n = 0; n < list.length; n++) {
      const d = list[n];
      if (d.kind === 'tmats1') {
        tmatsSeq = s0;
        tmatsPkt = ch10Packet({ channelId: 0, dataType: 0x01, seq: s0, rtc: rtcOf(d.t), body: ch10TmatsBody(tmatsText(d.k), 0x0c, d.k === 15) });
        emit(d.t, udpFrame(REC_SRC, REC_DST, 62360, 2000, ch10Format1Segment(xfer, 0, tmatsSeq, 0, tmatsPkt.subarray(0, 1000))));
        transfer.packet(d.t, xfer, role('x'));
        ch0.packet(d.t, s0, role('c0'));
        s0 = (s0 + 1) & 0xff;
        xfer = (xfer + 1) & 0xffffff;
        continue;
      }
      if (d.kind === 'tmats2') {
        emit(d.t, udpFrame(REC_SRC, REC_DST, 62360, 2000, ch10Format1Segment(xfer, 0, tmatsSeq, 1000, tmatsPkt!.subarray(1000))));
        transfer.packet(d.t, xfer, role('x'));
        xfer = (xfer + 1) & 0xffffff;
        sightings.push({
          window_start_ns: d.t - (d.t % WINDOW_NS), first_ts_ns: d.t, packets: 1, config_changed: d.k === 15 ? 1 : 0, program_name: 'FT-42',
          channel_ids: d.k >= 15 ? [1, 3, 5] : [1, 3], channel_types: d.k >= 15 ? ['TIMEIN', 'PCMIN', '1553IN'] : ['TIMEIN', 'PCMIN'], data_source_ids: ['REC-1'],
        });
        continue;
      }
      const pcm = (seq: number, t: bigint) => ch10Packet({ channelId: 3, dataType: 0x09, seq, rtc: rtcOf(t), body: Buffer.concat([Buffer.from([0, 0, 0x10, 0]), Buffer.alloc(32, seq)]) });
      const datagram = (x: number, seq3: number, t: bigint) => {
        const pk = [pcm(seq3, t)];
        if (d.time) pk.push(ch10Packet({ channelId: 1, dataType: 0x11, seq: s1, rtc: rtcOf(t), body: ch10TimeBody(t) }));
        return udpFrame(REC_SRC, REC_DST, 62360, 2000, ch10Format1(x, ...pk));
      };
      if (d.k === 500) {
        // sent, lost on the way
        xfer = (xfer + 1) & 0xffffff;
        s3 = (s3 + 1) & 0xff;
        continue;
      }
      if (d.k === 1200) {
        // this datagram and the next data datagram arrive swapped
        const e = list[n + 1];
        if (e.kind !== 'data') throw new Error('the swap needs two data datagrams in a row');
        emit(d.t, datagram((xfer + 1) & 0xffffff, (s3 + 1) & 0xff, d.t));
        transfer.packet(d.t, (xfer + 1) & 0xffffff, 'gap', { gap: 1 });
        ch3.packet(d.t, (s3 + 1) & 0xff, 'gap', { gap: 1 });
        emit(e.t, datagram(xfer, s3, e.t));
        transfer.packet(e.t, xfer, 'late');
        ch3.packet(e.t, s3, 'late');
        xfer = (xfer + 2) & 0xffffff;
        s3 = (s3 + 2) & 0xff;
        n++;
        continue;
      }
      const after = d.k === 501;
      emit(d.t, datagram(xfer, s3, d.t));
      transfer.packet(d.t, xfer, after ? 'gap' : role('x'), { gap: 1 });
      ch3.packet(d.t, s3, after ? 'gap' : role('c3'), { gap: 1 });
      if (d.time) {
        ch1.packet(d.t, s1, role('c1'));
        s1 = (s1 + 1) & 0xff;
      }
      if (d.k === 800) {
        emit(d.t + 20n * US, datagram(xfer, s3, d.t));
        transfer.packet(d.t + 20n * US, xfer, 'dup');
        ch3.packet(d.t + 20n * US, s3, 'dup');
      }
      xfer = (xfer + 1) & 0xffffff;
      s3 = (s3 + 1) & 0xff;
    }
  }

  // ---- PTP ----
  {
    const dom = 0;
    const send = (t: bigint, src: string, dst: string, type: number, h: Omit<Parameters<typeof ptpMessage>[0], 'type' | 'domain'>, x: Parameters<typeof ptpMessage>[2] = {}) =>
      emit(t, udpFrame(src, dst, ptpPort(type), ptpPort(type), ptpMessage({ ...h, type, domain: dom }, t, x)));
    const lastOf = new Map<string, bigint>();
    const heard = (clock: string, t: bigint) => { if (!lastOf.has(clock) || t > lastOf.get(clock)!) lastOf.set(clock, t); };
    const ev = (t: bigint, event: string, clock: string, field = '', oldV = '', newV = '', detail = '') =>
      events.push({ ts_ns: t, domain: dom, event, clock_id: clock, port_number: 1, field, old_value: oldV, new_value: newV, detail });

    // grandmaster A: Sync (two-step) and Follow_Up; the last message before 20 s
    const syncA = stream(ptpStreamKey(IP[CLOCK_A], PTP_MC, dom, CLOCK_A, 1, 'Sync', 'source'), 16, 125_000_000);
    const fuA = stream(ptpStreamKey(IP[CLOCK_A], PTP_MC, dom, CLOCK_A, 1, 'Follow_Up', 'source'), 16);
    const syncTimes: bigint[] = [];
    {
      let t = start + 10n * MS;
      let seq = 30000;
      const N = 160;
      for (let k = 0; t < start + 20n * S; k++) {
        const corr = (k % 7) * 100 + 0.5;
        const fuMissing = k === 25 || k === 70 || k === 110;
        if (k !== 60) {
          send(t, IP[CLOCK_A], PTP_MC, PTP.Sync, { flags: 0x0200, correctionNs: corr, clockId: CLOCK_A, port: 1, seq, logInterval: -3 });
          if (k === 0) ev(t, 'clock_appeared', CLOCK_A, '', '', '', 'first message');
          heard(CLOCK_A, t);
          syncA.packet(t, seq, k === 0 ? 'first' : k === 61 ? 'gap' : 'next', { gap: 1, log: -3, correctionNs: corr });
          syncTimes.push(t);
          const w = syncA.window(t);
          if (fuMissing) w.follow_up_missing++;
          else {
            w.answered++;
            w.responses.push(40_000);
          }
        }
        if (!fuMissing) {
          const tf = t + 40n * US;
          send(tf, IP[CLOCK_A], PTP_MC, PTP.Follow_Up, { flags: 0, clockId: CLOCK_A, port: 1, seq, logInterval: -3 });
          heard(CLOCK_A, tf);
          const prevMissing = k === 26 || k === 71 || k === 111;
          fuA.packet(tf, seq, k === 0 ? 'first' : prevMissing ? 'gap' : 'next', { gap: 1, log: -3, correctionNs: 0 });
          if (k === 60) fuA.window(tf).unmatched++;
        }
        seq = (seq + 1) & 0xffff;
        let interval = 125_000_000 * (1 + (0.03 * k) / N) + (rand() * 2 - 1) * 500_000;
        if (k === 40) interval = 160_000_000;
        if (k === 90) interval = 95_000_000;
        t += BigInt(Math.round(interval));
      }
    }
    // Announce: A until 20 s (clockClass 7 from 10 s), B from 21 s
    const annA = stream(ptpStreamKey(IP[CLOCK_A], PTP_MC, dom, CLOCK_A, 1, 'Announce', 'source'), 16, 1_000_000_000);
    const annB = stream(ptpStreamKey(IP[CLOCK_B], PTP_MC, dom, CLOCK_B, 1, 'Announce', 'source'), 16, 1_000_000_000);
    const body = (gm: string, cls: number): AnnounceBody => ({
      utcOffset: 37, priority1: 128, clockClass: cls, clockAccuracy: 0x21, variance: 0x4e5d, priority2: 128, gmIdentity: gm, stepsRemoved: 0, timeSource: 0x20,
    });
    for (let k = 0; k < 20; k++) {
      const t = start + BigInt(k) * S + 20n * MS;
      send(t, IP[CLOCK_A], PTP_MC, PTP.Announce, { flags: 0, clockId: CLOCK_A, port: 1, seq: 500 + k, logInterval: 0 }, { announce: body(CLOCK_A, k >= 10 ? 7 : 6) });
      heard(CLOCK_A, t);
      annA.packet(t, 500 + k, k === 0 ? 'first' : 'next', { log: 0, correctionNs: 0 });
      if (k === 0) ev(t, 'gm_seen', CLOCK_A, 'grandmaster', '', CLOCK_A, 'first grandmaster of the domain');
      if (k === 10) ev(t, 'announce_change', CLOCK_A, 'clock_class', '6', '7', `grandmaster ${CLOCK_A}`);
    }
    for (let k = 0; k < 9; k++) {
      const t = start + BigInt(21 + k) * S;
      send(t, IP[CLOCK_B], PTP_MC, PTP.Announce, { flags: 0, clockId: CLOCK_B, port: 1, seq: 9000 + k, logInterval: 0 }, { announce: body(CLOCK_B, 6) });
      annB.packet(t, 9000 + k, k === 0 ? 'first' : 'next', { log: 0, correctionNs: 0 });
      if (k === 0) {
        ev(t, 'clock_appeared', CLOCK_B, '', '', '', 'first message');
        ev(t, 'gm_change', CLOCK_B, 'grandmaster', CLOCK_A, CLOCK_B, 'better grandmaster');
      }
    }
    // grandmaster B: Sync every 125 ms from 21.010 s
    const syncB = stream(ptpStreamKey(IP[CLOCK_B], PTP_MC, dom, CLOCK_B, 1, 'Sync', 'source'), 16, 125_000_000);
    const fuB = stream(ptpStreamKey(IP[CLOCK_B], PTP_MC, dom, CLOCK_B, 1, 'Follow_Up', 'source'), 16);
    for (let k = 0; start + 21n * S + 10n * MS + BigInt(k) * 125n * MS < end; k++) {
      const t = start + 21n * S + 10n * MS + BigInt(k) * 125n * MS;
      send(t, IP[CLOCK_B], PTP_MC, PTP.Sync, { flags: 0x0200, correctionNs: 0, clockId: CLOCK_B, port: 1, seq: k, logInterval: -3 });
      syncB.packet(t, k, k === 0 ? 'first' : 'next', { log: -3, correctionNs: 0 });
      const w = syncB.window(t);
      w.answered++;
      w.responses.push(40_000);
      send(t + 40n * US, IP[CLOCK_B], PTP_MC, PTP.Follow_Up, { flags: 0, clockId: CLOCK_B, port: 1, seq: k, logInterval: -3 });
      fuB.packet(t + 40n * US, k, k === 0 ? 'first' : 'next', { log: -3, correctionNs: 0 });
    }
    // slave S: Delay_Req every 250 ms, answered by the grandmaster of the moment
    const dreq = stream(ptpStreamKey(IP[CLOCK_S], PTP_MC, dom, CLOCK_S, 1, 'Delay_Req', 'source'), 16);
    const dresp = stream(ptpStreamKey(IP[CLOCK_A], PTP_MC, dom, CLOCK_S, 1, 'Delay_Resp', 'requesting'), 16);
    let respRole: Role = 'first';
    let pendingGap = 0;
    for (let k = 0; k < 120; k++) {
      const t = start + 100n * MS + BigInt(k) * 250n * MS;
      const seq = 7000 + k;
      send(t, IP[CLOCK_S], PTP_MC, PTP.Delay_Req, { flags: 0, clockId: CLOCK_S, port: 1, seq, logInterval: 127 });
      if (k === 0) ev(t, 'clock_appeared', CLOCK_S, '', '', '', 'first message');
      dreq.packet(t, seq, k === 0 ? 'first' : 'next', { log: 127, correctionNs: 0 });
      const master = t < start + 20n * S ? CLOCK_A : t >= start + 21n * S ? CLOCK_B : null;
      if (master === null || k === 30 || k === 55) {
        dreq.window(t).unanswered++;
        pendingGap++;
        continue;
      }
      const tr = t + 150n * US;
      send(tr, IP[master], PTP_MC, PTP.Delay_Resp, { flags: 0, clockId: master, port: 1, seq, logInterval: 0 }, { requesting: { clockId: CLOCK_S, port: 1 } });
      if (master === CLOCK_A) heard(CLOCK_A, tr);
      dresp.packet(tr, seq, pendingGap > 0 ? 'gap' : respRole, { gap: pendingGap, log: 0, correctionNs: 0 });
      respRole = 'next';
      pendingGap = 0;
      const w = dreq.window(t);
      w.answered++;
      w.responses.push(150_000);
    }
    // slave S: Pdelay_Req every second, two-step responses
    const preq = stream(ptpStreamKey(IP[CLOCK_S], PDELAY_MC, dom, CLOCK_S, 1, 'Pdelay_Req', 'source'), 16);
    const presp = stream(ptpStreamKey(IP[CLOCK_A], PDELAY_MC, dom, CLOCK_S, 1, 'Pdelay_Resp', 'requesting'), 16);
    const prfu = stream(ptpStreamKey(IP[CLOCK_A], PDELAY_MC, dom, CLOCK_S, 1, 'Pdelay_Resp_Follow_Up', 'requesting'), 16);
    let respGap = 0;
    let fuGap = 0;
    for (let k = 0; k < 30; k++) {
      const t = start + BigInt(k) * S + 600n * MS;
      send(t, IP[CLOCK_S], PDELAY_MC, PTP.Pdelay_Req, { flags: 0, clockId: CLOCK_S, port: 1, seq: k, logInterval: 127 });
      preq.packet(t, k, k === 0 ? 'first' : 'next', { log: 127, correctionNs: 0 });
      const master = t < start + 20n * S ? CLOCK_A : t >= start + 21n * S ? CLOCK_B : null;
      if (master === null) {
        preq.window(t).unanswered++;
        respGap++;
        fuGap++;
        continue;
      }
      const tr = t + 100n * US;
      send(tr, IP[master], PDELAY_MC, PTP.Pdelay_Resp, { flags: 0x0200, clockId: master, port: 1, seq: k, logInterval: 127 }, { requesting: { clockId: CLOCK_S, port: 1 } });
      if (master === CLOCK_A) heard(CLOCK_A, tr);
      presp.packet(tr, k, k === 0 ? 'first' : respGap ? 'gap' : 'next', { gap: respGap, log: 127, correctionNs: 0 });
      respGap = 0;
      const w = preq.window(t);
      w.answered++;
      w.responses.push(100_000);
      if (k === 5) {
        w.follow_up_missing++;
        fuGap++;
        continue;
      }
      const tf = tr + 30n * US;
      send(tf, IP[master], PDELAY_MC, PTP.Pdelay_Resp_Follow_Up, { flags: 0, clockId: master, port: 1, seq: k, logInterval: 127 }, { requesting: { clockId: CLOCK_S, port: 1 } });
      if (master === CLOCK_A) heard(CLOCK_A, tf);
      prfu.packet(tf, k, k === 0 ? 'first' : fuGap ? 'gap' : 'next', { gap: fuGap, log: 127, correctionNs: 0 });
      fuGap = 0;
    }
    // A went silent: its silence threshold is the minimum one (its typical interval is tens of ms)
    ev(lastOf.get(CLOCK_A)! + SILENCE_NS, 'clock_silent', CLOCK_A, '', String(lastOf.get(CLOCK_A)!), '', `no message for ${(Number(SILENCE_NS) / 1e9).toFixed(3)} s`);
    void syncTimes;
  }

  frames.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : a.order - b.order));
  events.sort((a, b) => (a.ts_ns < b.ts_ns ? -1 : a.ts_ns > b.ts_ns ? 1 : 0));
  return {
    agentId: o.agentId ?? 'tlm-1',
    frames: frames.map((f) => ({ tsNs: f.tsNs, data: f.data })),
    streams,
    events,
    sightings,
    endNs: frames[frames.length - 1].tsNs,
  };
}

// ---- reference alert evaluation (the documented rules, over the expected rows) ----

export interface RuleSpec {
  name: string;
  select: { kind?: string; id?: number; message?: string; clock?: string };
  metric: 'loss_rate' | 'silence' | 'off_tolerance_rate' | 'follow_up_missing';
  above: number;
  windowNs: bigint;
}

export interface ExpectedAlert {
  rule: string;
  state: 'firing' | 'resolved';
  stream: string;
  ts_ns: bigint;
}

/**
 * Alerts the rules must raise, evaluated window by window over the expected
 * rows, from the first window a stream sent in to the window holding `endNs`.
 */
export function expectedAlerts(cap: TelemetryCapture, rules: RuleSpec[]): ExpectedAlert[] {
  const out: ExpectedAlert[] = [];
  for (const rule of rules) {
    for (const [key, truth] of cap.streams) {
      const [kind, , , id, , clock, , message] = key.split('|');
      if (rule.select.kind && rule.select.kind !== kind) continue;
      if (rule.select.id !== undefined && (kind === 'ptp' || Number(id) !== rule.select.id)) continue;
      if (rule.select.message && rule.select.message !== message) continue;
      if (rule.select.clock && rule.select.clock !== clock) continue;
      const starts = [...truth.windows.keys()].sort((a, b) => (a < b ? -1 : 1));
      const first = starts[0] - (starts[0] % rule.windowNs);
      const lastWindow = cap.endNs - (cap.endNs % rule.windowNs);
      let firing = false;
      let lastPacket: bigint | null = null;
      for (let ws = first; ws <= lastWindow; ws += rule.windowNs) {
        const rows = starts.filter((s) => s >= ws && s < ws + rule.windowNs).map((s) => truth.windows.get(s)!);
        const packets = rows.reduce((n, r) => n + r.packets, 0);
        for (const r of rows) if (r.packets && (lastPacket === null || r.last_ts_ns > lastPacket)) lastPacket = r.last_ts_ns;
        const we = ws + rule.windowNs;
        let value: number | null = null;
        if (rule.metric === 'silence') value = Number(we - lastPacket!) / 1e9;
        else if (packets > 0) {
          const sum = (f: (r: ExpectedWindow) => number) => rows.reduce((n, r) => n + f(r), 0);
          if (rule.metric === 'loss_rate') {
            const net = Math.max(sum((r) => r.lost) - sum((r) => r.out_of_order), 0);
            const expected = packets - sum((r) => r.duplicates) + net;
            value = expected > 0 ? net / expected : 0;
          } else if (rule.metric === 'off_tolerance_rate') {
            const n = sum((r) => r.intervals.length);
            value = n > 0 ? sum((r) => r.off_tolerance) / n : null;
          } else {
            value = sum((r) => r.follow_up_missing);
          }
        }
        if (value === null) continue;
        const breach = value > rule.above;
        if (breach !== firing) {
          firing = breach;
          out.push({ rule: rule.name, state: breach ? 'firing' : 'resolved', stream: key, ts_ns: we });
        }
      }
    }
  }
  return out.sort((a, b) => (a.ts_ns < b.ts_ns ? -1 : a.ts_ns > b.ts_ns ? 1 : a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.stream < b.stream ? -1 : 1));
}
