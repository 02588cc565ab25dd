/**
 * PTP events of one capture point (table ptp_events): clocks appearing and
 * going silent, the grandmaster of each domain changing, and Announce
 * fields changing (docs/stream-health.md, "PTP events").
 *
 * A clock is a (domain, sourcePortIdentity). It goes silent when no message
 * of it was seen for its silence threshold (the larger of --stream-silence
 * and 8 times its typical interval), measured against the capture point's
 * PTP time (its newest PTP message): every PTP message of a capture point is
 * routed to one partition, so the events do not depend on how traffic is
 * spread over partitions or instances.
 *
 * The grandmaster of a domain is what its Announces name. It changes when an
 * Announce names another one and (a) the port that announced the current
 * grandmaster now names another, or (b) the current grandmaster has not been
 * announced for the announcer's silence threshold, or (c) the new one is
 * better by the BMCA dataset comparison (priority1, clockClass,
 * clockAccuracy, offsetScaledLogVariance, priority2, identity). A worse
 * master announcing beside a live grandmaster (a transient of the best
 * master algorithm) changes nothing.
 */
import { PortIdentityMap } from './port-identity-map.js';
import { diffNs, timeString, addOffset, type SplitTime } from '../event-time.js';
import type { AggPtpAnnounce } from '../enriched-decoder.js';
import { silenceThreshold, typicalAfter } from './typical-interval.js';

export type PtpEventType = 'clock_appeared' | 'clock_silent' | 'gm_seen' | 'gm_change' | 'announce_change';

/** One row of ptp_events. */
export interface PtpEventRow {
  agent_id: string;
  interface: string;
  ts_ns: string;
  domain: number;
  event: PtpEventType;
  clock_id: string;
  port_number: number;
  field: string;
  old_value: string;
  new_value: string;
  detail: string;
  frame_no: number;
}

/** Announce fields compared between consecutive Announces of one port (same grandmaster). */
const ANNOUNCE_FIELDS = [
  ['priority1', 'gm_priority1', false],
  ['priority2', 'gm_priority2', false],
  ['clock_class', 'gm_clock_class', false],
  ['clock_accuracy', 'gm_clock_accuracy', true],
  ['offset_scaled_log_variance', 'gm_offset_scaled_log_variance', true],
  ['steps_removed', 'steps_removed', false],
  ['time_source', 'time_source', true],
  ['current_utc_offset', 'current_utc_offset', false],
] as const;

function fieldText(v: number, hex: boolean): string {
  return hex ? `0x${v.toString(16).toUpperCase().padStart(2, '0')}` : String(v);
}

export class ClockState {
  silent = false;
  lastSec = 0;
  lastNs = 0;
  /** Typical interval between its messages (ns), a moving average. */
  typical = 0;
  /** The last Announce it sent (null before one). */
  announce: AnnounceFields | null = null;

  constructor(readonly domain: number, readonly clockId: string, readonly port: number) {}
}

export interface AnnounceFields {
  gm_identity: string;
  gm_priority1: number;
  gm_priority2: number;
  gm_clock_class: number;
  gm_clock_accuracy: number;
  gm_offset_scaled_log_variance: number;
  steps_removed: number;
  time_source: number;
  current_utc_offset: number;
}

export class DomainState {
  gm = '';
  /** The clock whose Announce made `gm` current. */
  announcer: ClockState | null = null;
  data: AnnounceFields | null = null;
  seenSec = 0;
  seenNs = 0;
  constructor(readonly domain: number) {}
}

/** BMCA dataset comparison (lower is better); negative when a is better. */
export function compareGrandmasters(a: AnnounceFields, b: AnnounceFields): number {
  return a.gm_priority1 - b.gm_priority1 || a.gm_clock_class - b.gm_clock_class || a.gm_clock_accuracy - b.gm_clock_accuracy
    || a.gm_offset_scaled_log_variance - b.gm_offset_scaled_log_variance || a.gm_priority2 - b.gm_priority2
    || (a.gm_identity < b.gm_identity ? -1 : a.gm_identity > b.gm_identity ? 1 : 0);
}

function copyAnnounce(a: AggPtpAnnounce, into: AnnounceFields | null): AnnounceFields {
  const o = into ?? ({} as AnnounceFields);
  o.gm_identity = a.gm_identity;
  o.gm_priority1 = a.gm_priority1;
  o.gm_priority2 = a.gm_priority2;
  o.gm_clock_class = a.gm_clock_class;
  o.gm_clock_accuracy = a.gm_clock_accuracy;
  o.gm_offset_scaled_log_variance = a.gm_offset_scaled_log_variance;
  o.steps_removed = a.steps_removed;
  o.time_source = a.time_source;
  o.current_utc_offset = a.current_utc_offset;
  return o;
}

const at: SplitTime = { sec: 0, ns: 0 };

export class PtpEvents {
  readonly clocks = new PortIdentityMap<ClockState>();
  readonly domains = new Map<number, DomainState>();
  /** Newest PTP message time of the capture point. */
  hasTime = false;
  timeSec = 0;
  timeNs = 0;

  constructor(
    readonly agentId: string,
    readonly iface: string,
    /** The minimum silence threshold (ns). */
    private readonly silenceNs: number,
  ) {}

  clock(domain: number, clockId: string, port: number, create: boolean): ClockState | null {
    let c = this.clocks.get(clockId, domain, port);
    if (c === null && create) this.clocks.add((c = new ClockState(domain, clockId, port)));
    return c;
  }

  threshold(c: ClockState): number {
    return silenceThreshold(c.typical, this.silenceNs);
  }

  private row(sec: number, ns: number, domain: number, event: PtpEventType, clockId: string, port: number,
    field: string, oldValue: string, newValue: string, detail: string, frameNo: number): PtpEventRow {
    return {
      agent_id: this.agentId, interface: this.iface, ts_ns: timeString(sec, ns), domain, event, clock_id: clockId, port_number: port,
      field, old_value: oldValue, new_value: newValue, detail, frame_no: frameNo,
    };
  }

  /** A PTP message from (domain, clockId, port) at (sec, ns). */
  message(domain: number, clockId: string, port: number, sec: number, ns: number, frameNo: number, out: PtpEventRow[]): ClockState {
    if (!this.hasTime || sec > this.timeSec || (sec === this.timeSec && ns > this.timeNs)) {
      this.hasTime = true;
      this.timeSec = sec;
      this.timeNs = ns;
    }
    let c = this.clock(domain, clockId, port, false);
    if (c === null) {
      c = this.clock(domain, clockId, port, true)!;
      c.lastSec = sec;
      c.lastNs = ns;
      out.push(this.row(sec, ns, domain, 'clock_appeared', clockId, port, '', '', '', 'first message', frameNo));
      return c;
    }
    const elapsed = diffNs(sec, ns, c.lastSec, c.lastNs);
    if (elapsed < 0) return c; // stamped before its previous message: nothing to learn
    const thr = this.threshold(c);
    if (c.silent || elapsed >= thr) {
      if (!c.silent) this.silentRow(c, thr, out);
      c.silent = false;
      out.push(this.row(sec, ns, domain, 'clock_appeared', clockId, port, '', '', '',
        `after ${(elapsed / 1e9).toFixed(3)} s of silence`, frameNo));
    }
    c.typical = typicalAfter(c.typical, elapsed);
    c.lastSec = sec;
    c.lastNs = ns;
    return c;
  }

  private silentRow(c: ClockState, thr: number, out: PtpEventRow[]): void {
    addOffset(c.lastSec, c.lastNs, thr, at);
    out.push(this.row(at.sec, at.ns, c.domain, 'clock_silent', c.clockId, c.port, '', timeString(c.lastSec, c.lastNs), '',
      `no message for ${(thr / 1e9).toFixed(3)} s`, 0));
  }

  /** Clocks silent by the capture point's PTP time (at a seal), in a fixed order. */
  sweep(out: PtpEventRow[]): void {
    if (!this.hasTime) return;
    let due: ClockState[] | null = null;
    for (const c of this.clocks.values()) {
      if (!c.silent && diffNs(this.timeSec, this.timeNs, c.lastSec, c.lastNs) >= this.threshold(c)) (due ??= []).push(c);
    }
    if (due === null) return;
    due.sort((a, b) => a.lastSec - b.lastSec || a.lastNs - b.lastNs || a.domain - b.domain
      || (a.clockId < b.clockId ? -1 : a.clockId > b.clockId ? 1 : 0) || a.port - b.port);
    for (const c of due) {
      this.silentRow(c, this.threshold(c), out);
      c.silent = true;
    }
  }

  /** Forget silent clocks not heard from for `timeoutNs` of PTP time (their next message re-appears them). */
  expire(timeoutNs: number): void {
    let gone: ClockState[] | null = null;
    for (const c of this.clocks.values()) {
      if (c.silent && diffNs(this.timeSec, this.timeNs, c.lastSec, c.lastNs) >= timeoutNs) (gone ??= []).push(c);
    }
    if (gone === null) return;
    for (const c of gone) {
      for (const d of this.domains.values()) if (d.announcer === c) d.announcer = null;
      this.clocks.delete(c);
    }
  }

  /** An Announce from clock `c` (after message()). */
  announce(c: ClockState, a: AggPtpAnnounce, sec: number, ns: number, frameNo: number, out: PtpEventRow[]): void {
    const prev = c.announce;
    if (prev !== null && prev.gm_identity === a.gm_identity) {
      for (const [name, key, hex] of ANNOUNCE_FIELDS) {
        const before = prev[key];
        const now = a[key];
        if (before !== now) {
          out.push(this.row(sec, ns, c.domain, 'announce_change', c.clockId, c.port, name, fieldText(before, hex), fieldText(now, hex),
            `grandmaster ${a.gm_identity}`, frameNo));
        }
      }
    }
    c.announce = copyAnnounce(a, prev);
    let d = this.domains.get(c.domain);
    if (!d) this.domains.set(c.domain, (d = new DomainState(c.domain)));
    if (d.data === null) {
      this.setGm(d, c, sec, ns);
      out.push(this.row(sec, ns, c.domain, 'gm_seen', c.clockId, c.port, 'grandmaster', '', a.gm_identity, 'first grandmaster of the domain', frameNo));
      return;
    }
    if (d.gm === a.gm_identity) {
      copyAnnounce(a, d.data);
      d.announcer ??= c;
      d.seenSec = sec;
      d.seenNs = ns;
      return;
    }
    let reason = '';
    if (d.announcer === c) reason = 'announcer switched grandmaster';
    else if (diffNs(sec, ns, d.seenSec, d.seenNs) >= (d.announcer ? this.threshold(d.announcer) : this.silenceNs)) reason = 'previous grandmaster silent';
    else if (compareGrandmasters(c.announce, d.data) < 0) reason = 'better grandmaster';
    if (!reason) return;
    const old = d.gm;
    this.setGm(d, c, sec, ns);
    out.push(this.row(sec, ns, c.domain, 'gm_change', c.clockId, c.port, 'grandmaster', old, a.gm_identity, reason, frameNo));
  }

  private setGm(d: DomainState, c: ClockState, sec: number, ns: number): void {
    d.gm = c.announce!.gm_identity;
    d.announcer = c;
    d.data = copyAnnounce(c.announce as unknown as AggPtpAnnounce, d.data);
    d.seenSec = sec;
    d.seenNs = ns;
  }
}
