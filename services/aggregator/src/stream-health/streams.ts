/**
 * Telemetry and timing streams of one capture point, and the table that
 * finds them without building a string per record.
 *
 *   IENA              src, dst, key                          16-bit sequence
 *   Chapter 10        src, dst, channel id                   8-bit packet sequence
 *   Chapter 10 UDP    src, dst                               transfer sequence (udp_seq_bits)
 *   PTP               domain, port identity, message type    16-bit sequenceId
 *
 * A PTP stream's port identity is the sender's (sourcePortIdentity) for the
 * originating messages and Follow_Up, and the requester's
 * (requestingPortIdentity) for Delay_Resp, Pdelay_Resp and
 * Pdelay_Resp_Follow_Up, which copy the request's sequenceId (protocols.md
 * §3.8): a master's Delay_Resp stream to one slave is that slave's request
 * sequence.
 *
 * IPv4 streams live in one Map keyed by a 52-bit hash of (source,
 * destination, kind and id) with a collision chain; IPv6 streams in a Map of
 * strings; PTP streams under their clock identity (an interned string from
 * the decoder) and port. Every stream is also on a list ordered by the epoch
 * in which it was last touched (eviction and expiry, oldest first).
 */
import { PortIdentityMap } from './port-identity-map.js';
import { v4HashParts, v4String, v6String } from '../flow-key.js';
import { SequenceState } from './sequence-tracker.js';
import type { StreamWindow } from './stream-window.js';
import type { PendingRequests } from './ptp-pairing.js';

export const enum StreamKind {
  Iena = 0,
  Ch10Channel = 1,
  Ch10Transfer = 2,
  Ptp = 3,
}

export const STREAM_KIND_NAMES = ['iena', 'ch10_channel', 'ch10_transfer', 'ptp'] as const;

/** PTP messageType names (index = messageType nibble). */
export const PTP_TYPE_NAMES = [
  'Sync', 'Delay_Req', 'Pdelay_Req', 'Pdelay_Resp', 'Reserved-4', 'Reserved-5', 'Reserved-6', 'Reserved-7',
  'Follow_Up', 'Delay_Resp', 'Pdelay_Resp_Follow_Up', 'Announce', 'Signaling', 'Management', 'Reserved-E', 'Reserved-F',
] as const;

export const PTP_SYNC = 0;
export const PTP_DELAY_REQ = 1;
export const PTP_PDELAY_REQ = 2;
export const PTP_PDELAY_RESP = 3;
export const PTP_FOLLOW_UP = 8;
export const PTP_DELAY_RESP = 9;
export const PTP_PDELAY_RESP_FOLLOW_UP = 10;
export const PTP_ANNOUNCE = 11;

/** Responses carry requestingPortIdentity and are keyed by it. */
export function isPtpResponse(type: number): boolean {
  return type === PTP_DELAY_RESP || type === PTP_PDELAY_RESP || type === PTP_PDELAY_RESP_FOLLOW_UP;
}

export const enum AddrFamily {
  None = 0,
  V4 = 4,
  V6 = 6,
}

/**
 * One stream: its identity, its sequence state (inherited, so that the
 * fields `track` reads sit in the stream object itself) and its timing.
 * Fields are declared in the order V8 lays them out: what every packet
 * reads first (lookup, sequence, times, current window), then what only
 * seals, PTP pairing, alerts and checkpoints read. In the service, whose
 * caches a fetch or an INSERT has just flushed, that layout took 5 % off the
 * CPU per record with stream health on (docs/benchmarks.md).
 */
export class Stream extends SequenceState {
  /** Lookup key inside its table. */
  mapKey: number | string = 0;
  src4 = 0;
  dst4 = 0;
  kind: StreamKind = StreamKind.Iena;
  touchedEpoch = -1;
  cur: StreamWindow | null = null;
  // time of the last packet (silence), of the last distinct one (intervals)
  hasLast = false;
  lastSec = 0;
  lastNs = 0;
  hasIv = false;
  ivSec = 0;
  ivNs = 0;
  /** Typical interval (ns): a moving average of the intervals shorter than the silence threshold. */
  typical = 0;
  chain: Stream | null = null;

  family: AddrFamily = AddrFamily.None;
  src6: Buffer | null = null;
  dst6: Buffer | null = null;
  /** IENA key, Chapter 10 channel id, 0 for the transfer sequence, PTP messageType. */
  id = 0;
  domain = 0;
  clockId = '';
  port = 0;
  keyedByRequester = false;
  /** Identity as text (ordering, alert ids, logs). */
  key = '';
  /** Addresses as text, made once (identity text, labels, alert rows). */
  srcText = '';
  dstText = '';
  /** The identity columns of its stream_health rows as RowBinary, made at its first row. */
  rowIdentity: Buffer | null = null;

  /** Open windows before `cur` (late packets still count in them); allocated on first use, then kept. */
  older: StreamWindow[] | null = null;
  /** Pending PTP requests (Sync, Delay_Req, Pdelay_Req streams). */
  pending: PendingRequests | null = null;
  /** Alert rules selecting this stream (indexes into the rule list); null when none. */
  rules: number[] | null = null;

  prev: Stream | null = null;
  next: Stream | null = null;
  /** Removed from its table (expired or evicted). */
  gone = false;

  get isPtp(): boolean {
    return this.kind === StreamKind.Ptp;
  }
}

export function streamSrcText(s: Stream): string {
  return (s.srcText ||= s.family === AddrFamily.V4 ? v4String(s.src4) : s.family === AddrFamily.V6 ? v6String(s.src6!) : '::');
}

export function streamDstText(s: Stream): string {
  return (s.dstText ||= s.family === AddrFamily.V4 ? v4String(s.dst4) : s.family === AddrFamily.V6 ? v6String(s.dst6!) : '::');
}

/** The identity text of a stream (set once it is filled in). */
export function streamKeyText(s: Stream): string {
  if (s.kind === StreamKind.Ptp) {
    return `ptp|${s.domain}|${s.clockId}|${s.port}|${PTP_TYPE_NAMES[s.id]}|${s.keyedByRequester ? 'req' : 'src'}`;
  }
  return `${STREAM_KIND_NAMES[s.kind]}|${streamSrcText(s)}|${streamDstText(s)}|${s.id}`;
}

/**
 * The canonical order of streams (rows of one window are emitted in it, so a
 * replayed epoch cuts the same insert blocks): by kind, then the identity's
 * numbers, addresses and clock identity. Reads the fields, not the key text:
 * a seal sorts every window it closes, and comparing keys loaded a string per
 * side that was rarely in cache.
 */
export function compareStreams(a: Stream, b: Stream): number {
  if (a === b) return 0;
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.kind === StreamKind.Ptp) {
    if (a.domain !== b.domain) return a.domain - b.domain;
    if (a.clockId !== b.clockId) return a.clockId < b.clockId ? -1 : 1;
    if (a.port !== b.port) return a.port - b.port;
    if (a.id !== b.id) return a.id - b.id;
    return (a.keyedByRequester ? 1 : 0) - (b.keyedByRequester ? 1 : 0);
  }
  if (a.family !== b.family) return a.family - b.family;
  if (a.family === AddrFamily.V4) {
    if (a.src4 !== b.src4) return a.src4 - b.src4;
    if (a.dst4 !== b.dst4) return a.dst4 - b.dst4;
  } else if (a.family === AddrFamily.V6) {
    const c = a.src6!.compare(b.src6!);
    if (c !== 0) return c;
    const d = a.dst6!.compare(b.dst6!);
    if (d !== 0) return d;
  }
  return a.id - b.id;
}

/** Counter width of a kind (the transfer sequence's comes with each record). */
export function kindBits(kind: StreamKind): number {
  return kind === StreamKind.Ch10Channel ? 8 : 16;
}

/** (kind, id) packed below 2^20 for the IPv4 hash. */
export function v4Tail(kind: StreamKind, id: number): number {
  return kind * 65536 + (id & 0xffff);
}

/**
 * flow-key's v4Hash for a tail below 2^32 without its split of 52-bit tails
 * (a floating-point division that cost a stream lookup more than the rest of it).
 */
export function streamHash(src: number, dst: number, tail: number): number {
  return v4HashParts(src, dst, 0, tail);
}

/** The ports of one clock identity: streams by messageType, per (domain, port number). */
export class PtpPortStreams {
  readonly streams: (Stream | null)[] = new Array<Stream | null>(16).fill(null);
  constructor(readonly clockId: string, readonly domain: number, readonly port: number) {}
}

/** Slots of the IPv4 lookup cache (powers of two): it starts small and grows with the streams. */
const CACHE_MIN_SLOTS = 16;
const CACHE_MAX_SLOTS = 1024;

export class StreamTable {
  private readonly v4 = new Map<number, Stream>();
  /**
   * Direct-mapped cache in front of `v4`, by hash: a capture point's telemetry comes from a few hundred
   * streams at most, so nearly every lookup is one array read and three compares instead of a Map probe.
   * Sized at about twice the IPv4 streams (up to CACHE_MAX_SLOTS): a capture point (one per partition it
   * sends to) with a handful of streams does not allocate and promote a large array it never fills.
   */
  private cache: (Stream | null)[] = new Array<Stream | null>(CACHE_MIN_SLOTS).fill(null);
  private cacheMask = CACHE_MIN_SLOTS - 1;
  private v4Count = 0;
  private readonly other = new Map<string, Stream>();
  /**
   * The IPv4 stream found last, per kind (index: the tail's high bits): a capture point's records come in
   * runs (a recorder's transfer and channel sequences every datagram, ~half the IENA packets follow one of
   * the same key), and a hit skips the hash.
   */
  private readonly lastV4: (Stream | null)[] = [null, null, null, null];
  /** PTP streams by port identity. */
  private readonly ptp = new PortIdentityMap<PtpPortStreams>();
  head: Stream | null = null;
  tail: Stream | null = null;
  size = 0;

  /** `src` and `dst` as signed 32-bit integers (common's int32At: small integers in V8, nothing allocated). */
  getV4(src: number, dst: number, tail: number): Stream | undefined {
    const kind = tail >>> 16;
    let s: Stream | null = this.lastV4[kind];
    if (s !== null && s.mapKey === tail && (s.src4 | 0) === src && (s.dst4 | 0) === dst) return s;
    const h = streamHash(src, dst, tail);
    const slot = h & this.cacheMask;
    s = this.cache[slot];
    if (s === null || s.mapKey !== tail || (s.src4 | 0) !== src || (s.dst4 | 0) !== dst) {
      s = this.v4.get(h) ?? null;
      while (s !== null && (s.mapKey !== tail || (s.src4 | 0) !== src || (s.dst4 | 0) !== dst)) s = s.chain;
      if (s === null) return undefined;
      this.cache[slot] = s;
    }
    this.lastV4[kind] = s;
    return s;
  }

  getOther(key: string): Stream | undefined {
    return this.other.get(key);
  }

  ptpPort(clockId: string, domain: number, port: number, create: boolean): PtpPortStreams | null {
    let e = this.ptp.get(clockId, domain, port);
    if (e === null && create) this.ptp.add((e = new PtpPortStreams(clockId, domain, port)));
    return e;
  }

  /** Add a stream whose identity and mapKey are set; it becomes the most recent. */
  add(s: Stream, epoch: number): void {
    if (s.kind === StreamKind.Ptp) {
      this.ptpPort(s.clockId, s.domain, s.port, true)!.streams[s.id] = s;
    } else if (typeof s.mapKey === 'number') {
      const h = streamHash(s.src4, s.dst4, s.mapKey);
      s.chain = this.v4.get(h) ?? null;
      this.v4.set(h, s);
      if (++this.v4Count > this.cache.length >> 1 && this.cache.length < CACHE_MAX_SLOTS) {
        // a cache: the larger one starts empty and fills on lookups
        this.cache = new Array<Stream | null>(this.cache.length * 4).fill(null);
        this.cacheMask = this.cache.length - 1;
      }
    } else {
      this.other.set(s.mapKey, s);
    }
    this.size++;
    this.append(s);
    s.touchedEpoch = epoch;
  }

  remove(s: Stream): void {
    if (s.kind === StreamKind.Ptp) {
      const e = this.ptp.get(s.clockId, s.domain, s.port);
      if (e !== null && e.streams[s.id] === s) {
        e.streams[s.id] = null;
        if (e.streams.every((x) => x === null)) this.ptp.delete(e);
      }
    } else if (typeof s.mapKey === 'number') {
      const h = streamHash(s.src4, s.dst4, s.mapKey);
      if (this.cache[h & this.cacheMask] === s) this.cache[h & this.cacheMask] = null;
      if (this.lastV4[s.mapKey >>> 16] === s) this.lastV4[s.mapKey >>> 16] = null;
      this.v4Count--;
      const first = this.v4.get(h);
      if (first === s) {
        if (s.chain) this.v4.set(h, s.chain);
        else this.v4.delete(h);
      } else {
        for (let p = first ?? null; p !== null; p = p.chain) {
          if (p.chain === s) {
            p.chain = s.chain;
            break;
          }
        }
      }
      s.chain = null;
    } else {
      this.other.delete(s.mapKey);
    }
    this.size--;
    this.unlink(s);
    s.gone = true;
  }

  /** Mark a stream used in `epoch`: the first use in an epoch moves it to the recent end. */
  touch(s: Stream, epoch: number): void {
    if (s.touchedEpoch === epoch) return;
    s.touchedEpoch = epoch;
    if (this.tail === s) return;
    this.unlink(s);
    this.append(s);
  }

  private append(s: Stream): void {
    s.prev = this.tail;
    s.next = null;
    if (this.tail) this.tail.next = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: Stream): void {
    if (s.prev) s.prev.next = s.next;
    else if (this.head === s) this.head = s.next;
    if (s.next) s.next.prev = s.prev;
    else if (this.tail === s) this.tail = s.prev;
    s.prev = null;
    s.next = null;
  }
}

function humanIp(text: string): string {
  return text.startsWith('::ffff:') ? text.slice(7) : text;
}

/** A short human label: "IENA key 0x2CFA 192.168.28.8 → 235.0.0.1", "PTP Sync 001b19fffe000001/1 domain 0". */
export function streamLabel(s: Stream): string {
  const path = `${humanIp(streamSrcText(s))} → ${humanIp(streamDstText(s))}`;
  switch (s.kind) {
    case StreamKind.Iena: return `IENA key 0x${s.id.toString(16).toUpperCase().padStart(4, '0')} ${path}`;
    case StreamKind.Ch10Channel: return `Ch10 channel ${s.id} ${path}`;
    case StreamKind.Ch10Transfer: return `Ch10 transfer ${path}`;
    default: return `PTP ${PTP_TYPE_NAMES[s.id]} ${s.keyedByRequester ? 'to ' : ''}${s.clockId}/${s.port} domain ${s.domain}`;
  }
}
