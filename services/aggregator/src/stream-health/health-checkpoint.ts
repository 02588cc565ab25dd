/**
 * The stream-health part of a partition checkpoint (checkpoint-format.ts,
 * format 2): per capture point every stream with its sequence state, timing
 * and open windows, waiting PTP requests, the PTP clocks, domains and last
 * Announces, open TMATS sightings and the alert rules' states, so that a
 * restore continues exactly where the epoch ended (no gap or restart invented
 * across an aggregator restart, no alert repeated or lost).
 */
import type { ByteReader, ByteWriter } from '../checkpoint-format.js';
import { TimeGrid } from '../event-time.js';
import { AddrFamily, Stream, StreamKind, streamKeyText, v4Tail } from './streams.js';
import { CapturePointHealth, HealthCounters } from './stream-health.js';
import type { StreamWindow } from './stream-window.js';
import { PendingRequests } from './ptp-pairing.js';
import { ClockState, DomainState, type AnnounceFields } from './ptp-events.js';
import { TmatsSighting, type TmatsContent } from './tmats-sightings.js';
import { AlertState, RuleAcc } from './alerts/alert-evaluator.js';

function writeIdentity(w: ByteWriter, s: Stream): void {
  w.u(s.kind);
  w.u(s.family);
  if (s.family === AddrFamily.V4) {
    w.u(s.src4);
    w.u(s.dst4);
  } else if (s.family === AddrFamily.V6) {
    w.raw(s.src6!);
    w.raw(s.dst6!);
  }
  w.u(s.id);
  w.u(s.domain);
  w.s(s.clockId);
  w.u(s.port);
  w.u(s.keyedByRequester ? 1 : 0);
}

function readIdentity(r: ByteReader): Stream {
  const s = new Stream();
  s.kind = r.u() as StreamKind;
  s.family = r.u() as AddrFamily;
  if (s.family === AddrFamily.V4) {
    s.src4 = r.u();
    s.dst4 = r.u();
  } else if (s.family === AddrFamily.V6) {
    s.src6 = r.raw(16);
    s.dst6 = r.raw(16);
  }
  s.id = r.u();
  s.domain = r.u();
  s.clockId = r.s();
  s.port = r.u();
  s.keyedByRequester = r.u() === 1;
  if (s.kind === StreamKind.Ptp) s.mapKey = 0;
  else if (s.family === AddrFamily.V4) s.mapKey = v4Tail(s.kind, s.id);
  else s.mapKey = `${s.kind}|${s.src6!.toString('hex')}|${s.dst6!.toString('hex')}|${s.id}`;
  return s;
}

const WINDOW_INTS = ['packets', 'lost', 'duplicates', 'outOfOrder', 'restarts', 'gaps', 'maxGap', 'silences', 'lastSeq', 'firstSec', 'firstNs',
  'lastSec', 'lastNs', 'iatCount', 'iatSum', 'iatMin', 'iatMax', 'offTolerance', 'answered', 'unanswered', 'followUpMissing', 'unmatched',
  'respCount', 'respSum', 'respMin', 'respMax', 'corrCount'] as const;
const WINDOW_FLOATS = ['iatSumSq', 'corrSum', 'corrMin', 'corrMax'] as const;

function writeWindow(w: ByteWriter, win: StreamWindow): void {
  w.u(win.index);
  for (const k of WINDOW_INTS) w.u(win[k]);
  for (const k of WINDOW_FLOATS) w.f(win[k]);
  w.i(win.firstSeq);
  w.i(win.logInterval);
}

function readWindow(r: ByteReader, h: CapturePointHealth, s: Stream): StreamWindow {
  const win = h.openWindow(s, r.u());
  for (const k of WINDOW_INTS) win[k] = r.u();
  for (const k of WINDOW_FLOATS) win[k] = r.f();
  win.firstSeq = r.i();
  win.logInterval = r.i();
  return win;
}

const ANNOUNCE_INTS = ['gm_priority1', 'gm_priority2', 'gm_clock_class', 'gm_clock_accuracy', 'gm_offset_scaled_log_variance', 'steps_removed',
  'time_source'] as const;

function writeAnnounce(w: ByteWriter, a: AnnounceFields | null): void {
  if (a === null) {
    w.u(0);
    return;
  }
  w.u(1);
  w.s(a.gm_identity);
  for (const k of ANNOUNCE_INTS) w.u(a[k]);
  w.i(a.current_utc_offset);
}

function readAnnounce(r: ByteReader): AnnounceFields | null {
  if (r.u() === 0) return null;
  const a = { gm_identity: r.s() } as AnnounceFields;
  for (const k of ANNOUNCE_INTS) a[k] = r.u();
  a.current_utc_offset = r.i();
  return a;
}

const STRING_LISTS = ['data_source_ids', 'data_source_types', 'channel_types', 'channel_names', 'channel_data_sources', 'channel_recorders'] as const;

function writeSighting(w: ByteWriter, s: TmatsSighting): void {
  w.s(s.key);
  w.s(s.src);
  w.s(s.dst);
  w.u(s.srcPort);
  w.u(s.dstPort);
  w.u(s.channelId);
  for (const v of [s.packets, s.configChanged, s.firstSec, s.firstNs, s.lastSec, s.lastNs]) w.u(v);
  const t = s.t;
  w.u(t.irig106_release);
  for (const v of [t.format, t.program_name, t.test_article, t.irig106_edition, t.origination_date]) w.s(v);
  w.u(t.attribute_count);
  for (const k of STRING_LISTS) {
    w.u(t[k].length);
    for (const v of t[k]) w.s(v);
  }
  w.u(t.channel_ids.length);
  for (const v of t.channel_ids) w.i(v);
  w.u(t.channel_enabled.length);
  for (const v of t.channel_enabled) w.u(v);
}

function readSighting(r: ByteReader, index: number): TmatsSighting {
  const key = r.s();
  const src = r.s();
  const dst = r.s();
  const srcPort = r.u();
  const dstPort = r.u();
  const channelId = r.u();
  const nums = [r.u(), r.u(), r.u(), r.u(), r.u(), r.u()];
  const t = { irig106_release: r.u(), format: r.s(), program_name: r.s(), test_article: r.s(), irig106_edition: r.s(), origination_date: r.s(),
    attribute_count: r.u() } as TmatsContent;
  for (const k of STRING_LISTS) {
    const n = r.u();
    t[k] = [];
    for (let i = 0; i < n; i++) t[k].push(r.s());
  }
  const nc = r.u();
  t.channel_ids = [];
  for (let i = 0; i < nc; i++) t.channel_ids.push(r.i());
  const ne = r.u();
  t.channel_enabled = [];
  for (let i = 0; i < ne; i++) t.channel_enabled.push(r.u());
  const s = new TmatsSighting(index, key, src, dst, srcPort, dstPort, channelId, t);
  [s.packets, s.configChanged, s.firstSec, s.firstNs, s.lastSec, s.lastNs] = nums;
  return s;
}

const ACC_INTS = ['packets', 'lost', 'duplicates', 'outOfOrder', 'restarts', 'iatCount', 'iatSum', 'offTolerance', 'followUpMissing',
  'unanswered', 'respCount', 'respSum', 'lastSec', 'lastNs'] as const;

export function writeHealth(w: ByteWriter, h: CapturePointHealth): void {
  // streams, least recently used first
  w.u(h.table.size);
  for (let s = h.table.head; s !== null; s = s.next) {
    writeIdentity(w, s);
    w.u((s.has ? 1 : 0) | (s.hasLast ? 2 : 0) | (s.hasIv ? 4 : 0));
    w.u(s.bits);
    w.u(s.last);
    w.u(s.missLo >>> 0);
    w.u(s.missHi >>> 0);
    w.u(s.span);
    w.u(s.lastSec);
    w.u(s.lastNs);
    w.u(s.ivSec);
    w.u(s.ivNs);
    w.f(s.typical);
    w.u(s.touchedEpoch < 0 ? 0 : s.touchedEpoch);
    const wins: StreamWindow[] = [];
    if (s.cur && !s.cur.done) wins.push(s.cur);
    if (s.older) for (const o of s.older) if (!o.done) wins.push(o);
    w.u(wins.length);
    for (const win of wins) writeWindow(w, win);
    const p = s.pending;
    const n = p === null ? 0 : p.count;
    w.u(n);
    for (let i = 0; i < n; i++) {
      const slot = p!.slot(i);
      w.u(p!.seq[slot]);
      w.u(p!.sec[slot]);
      w.u(p!.ns[slot]);
      w.u(p!.widx[slot]);
      w.u(p!.state[slot]);
    }
  }
  // PTP clocks and domains
  const ptp = h.ptp;
  w.u(ptp.hasTime ? 1 : 0);
  w.u(ptp.timeSec);
  w.u(ptp.timeNs);
  const clocks = [...ptp.clocks.values()];
  w.u(clocks.length);
  for (const c of clocks) {
    w.u(c.domain);
    w.s(c.clockId);
    w.u(c.port);
    w.u(c.silent ? 1 : 0);
    w.u(c.lastSec);
    w.u(c.lastNs);
    w.f(c.typical);
    writeAnnounce(w, c.announce);
  }
  w.u(ptp.domains.size);
  for (const d of ptp.domains.values()) {
    w.u(d.domain);
    w.s(d.gm);
    if (d.announcer) {
      w.u(1);
      w.s(d.announcer.clockId);
      w.u(d.announcer.port);
    } else {
      w.u(0);
    }
    writeAnnounce(w, d.data);
    w.u(d.seenSec);
    w.u(d.seenNs);
  }
  // events found while ingesting are emitted at the seal that precedes a checkpoint
  if (h.events.length) throw new Error('stream-health events pending at a checkpoint');
  // TMATS sightings of open windows
  w.u(h.tmats.windows.size);
  for (const [idx, win] of h.tmats.windows) {
    w.u(idx);
    w.u(win.size);
    for (const s of win.values()) writeSighting(w, s);
  }
  // alert states
  const states = h.alerts ? [...h.alerts.states.values()] : [];
  w.u(states.length);
  for (const st of states) {
    w.s(st.rule.name);
    writeIdentity(w, st.stream);
    w.u((st.firing ? 1 : 0) | (st.hasLast ? 2 : 0));
    w.s(st.alertId);
    w.s(st.firedAt);
    w.u(st.next);
    w.u(st.lastSec);
    w.u(st.lastNs);
    w.u(st.accs.size);
    for (const [idx, a] of st.accs) {
      w.u(idx);
      for (const k of ACC_INTS) w.u(a[k]);
      w.f(a.iatSumSq);
      w.i(a.logInterval);
      w.u(a.hasLast ? 1 : 0);
    }
  }
}

/** Restore into `h` (an empty state of the capture point); with `h` null the section is read and dropped (stream health now off). */
export function readHealth(r: ByteReader, target: CapturePointHealth | null): void {
  const h = target ?? new CapturePointHealth('', '', new TimeGrid(1e9), { silenceNs: 1, ptpTolerance: 0, responseTimeoutNs: 0, maxStreams: 1, rules: [] }, new HealthCounters());
  const streams = r.u();
  const byKey = new Map<string, Stream>();
  for (let i = 0; i < streams; i++) {
    const s = readIdentity(r);
    const flags = r.u();
    s.has = (flags & 1) !== 0;
    s.hasLast = (flags & 2) !== 0;
    s.hasIv = (flags & 4) !== 0;
    s.bits = r.u();
    s.last = r.u();
    s.missLo = r.u() | 0;
    s.missHi = r.u() | 0;
    s.span = r.u();
    s.lastSec = r.u();
    s.lastNs = r.u();
    s.ivSec = r.u();
    s.ivNs = r.u();
    s.typical = r.f();
    const touched = r.u();
    h.restoreStream(s, touched);
    byKey.set(s.key, s);
    const wins = r.u();
    for (let j = 0; j < wins; j++) {
      const win = readWindow(r, h, s);
      if (j === 0) s.cur = win;
      else (s.older ??= []).push(win);
    }
    const n = r.u();
    if (n > 0) {
      const p = (s.pending = new PendingRequests());
      for (let j = 0; j < n; j++) p.push(r.u(), r.u(), r.u(), r.u(), r.u());
      h.waiting.add(s);
    }
  }
  const ptp = h.ptp;
  ptp.hasTime = r.u() === 1;
  ptp.timeSec = r.u();
  ptp.timeNs = r.u();
  const clocks = r.u();
  for (let i = 0; i < clocks; i++) {
    const c = ptp.clock(r.u(), r.s(), r.u(), true)!;
    c.silent = r.u() === 1;
    c.lastSec = r.u();
    c.lastNs = r.u();
    c.typical = r.f();
    c.announce = readAnnounce(r);
  }
  const domains = r.u();
  for (let i = 0; i < domains; i++) {
    const d = new DomainState(r.u());
    d.gm = r.s();
    if (r.u() === 1) {
      const id = r.s();
      const port = r.u();
      d.announcer = ptp.clock(d.domain, id, port, false) as ClockState | null;
    }
    d.data = readAnnounce(r);
    d.seenSec = r.u();
    d.seenNs = r.u();
    ptp.domains.set(d.domain, d);
  }
  const tw = r.u();
  for (let i = 0; i < tw; i++) {
    const idx = r.u();
    const n = r.u();
    const win = new Map<string, TmatsSighting>();
    for (let j = 0; j < n; j++) {
      const s = readSighting(r, idx);
      win.set(s.key, s);
    }
    h.tmats.windows.set(idx, win);
  }
  const states = r.u();
  for (let i = 0; i < states; i++) {
    const ruleName = r.s();
    const ident = readIdentity(r);
    ident.key = streamKeyText(ident);
    const flags = r.u();
    const alertId = r.s();
    const firedAt = r.s();
    const next = r.u();
    const lastSec = r.u();
    const lastNs = r.u();
    const rule = h.hp.rules.find((x) => x.name === ruleName);
    const nacc = r.u();
    const accs = new Map<number, RuleAcc>();
    for (let j = 0; j < nacc; j++) {
      const idx = r.u();
      const a = new RuleAcc();
      for (const k of ACC_INTS) a[k] = r.u();
      a.iatSumSq = r.f();
      a.logInterval = r.i();
      a.hasLast = r.u() === 1;
      accs.set(idx, a);
    }
    if (!rule || !h.alerts) continue; // the rule is gone from the configuration: its state goes with it
    let stream = byKey.get(ident.key);
    if (!stream) {
      stream = ident;
      stream.gone = true;
    }
    const key = `${rule.index}|${stream.key}`;
    const st = new AlertState(rule, stream, key, next);
    st.firing = (flags & 1) !== 0;
    st.hasLast = (flags & 2) !== 0;
    st.alertId = alertId;
    st.firedAt = firedAt;
    st.lastSec = lastSec;
    st.lastNs = lastNs;
    for (const [idx, a] of accs) st.accs.set(idx, a);
    h.alerts.states.set(key, st);
  }
}
