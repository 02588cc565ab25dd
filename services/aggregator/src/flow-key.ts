/**
 * Flow keys and the table that finds them without building a string per
 * record.
 *
 * A key is directional and per frame type, within one capture point:
 *   IPv4 / IPv6 flows   frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port
 *                       (MACs 0; ethertype is the IP ethertype)
 *   non-IP frames       frame_type, src MAC, dst MAC, ethertype
 *                       (IPs ::, ip_proto and ports 0) - PTP over Ethernet, ARP, ...
 * A record that claims IP but carries no usable addresses (a truncated
 * header) is keyed as a non-IP frame.
 *
 * IPv4 keys live in one Map keyed by a 52-bit hash of (source, destination,
 * frame type/protocol/ports packed into one safe integer), with a collision
 * chain checked field by field; IPv6 and non-IP keys in a Map of strings. Every key is also on an intrusive list ordered by the
 * epoch in which it was last touched, which makes eviction of the oldest keys
 * O(1) and deterministic.
 */
import { ipv6Text } from '@streamlens/common';
import type { IatRunning } from './inter-arrival.js';
import type { WindowAgg } from './flow-windows.js';

export const enum Family {
  L2 = 0,
  V4 = 4,
  V6 = 6,
}

export class FlowKey implements IatRunning {
  // identity
  family: Family = Family.L2;
  frameType = '';
  src4 = 0;
  dst4 = 0;
  src6: Buffer | null = null;
  dst6: Buffer | null = null;
  proto = 0;
  sport = 0;
  dport = 0;
  smac = 0;
  dmac = 0;
  ethertype = 0;
  /** Lookup key inside its table (packed number for IPv4, string otherwise). */
  mapKey: number | string = 0;
  /** Next IPv4 key with the same table hash (collision chain). */
  chain: FlowKey | null = null;
  /** Source address in the capture point's local networks (netflow "out"). */
  srcLocal = false;
  // inter-arrival continuity: time of the last packet
  hasLast = false;
  lastSec = 0;
  lastNs = 0;
  // running inter-arrival statistics (Welford)
  n = 0;
  mean = 0;
  m2 = 0;
  // open windows: the newest, and any older ones still open (late records)
  cur: WindowAgg | null = null;
  older: WindowAgg[] | null = null;
  // recency list
  prev: FlowKey | null = null;
  next: FlowKey | null = null;
  touchedEpoch = -1;
}

/** Frame-type strings to small ids (only used inside packed IPv4 keys). */
export class FrameTypeIds {
  private readonly ids = new Map<string, number>();
  /** Returns -1 once 4096 distinct frame types exist (the key then falls back to a string). */
  id(ft: string): number {
    let id = this.ids.get(ft);
    if (id === undefined) {
      if (this.ids.size >= 4096) return -1;
      id = this.ids.size;
      this.ids.set(ft, id);
    }
    return id;
  }
}

/** ((ft * 256 + proto) * 65536 + sport) * 65536 + dport: 52 bits, exact in a double. */
export function packV4Tail(ftId: number, proto: number, sport: number, dport: number): number {
  return ((ftId * 256 + (proto & 0xff)) * 65536 + (sport & 0xffff)) * 65536 + (dport & 0xffff);
}

/**
 * Texts of recent IPv4 addresses, direct-mapped: the same destinations recur
 * in every netflow bucket and flow row of a seal, and building the text
 * allocated a string per address per row.
 */
const V4_TEXT_BITS = 12;
const v4TextKeys = new Int32Array(1 << V4_TEXT_BITS);
const v4Texts: string[] = new Array<string>(1 << V4_TEXT_BITS).fill('');

/** An IPv4 address (unsigned or signed 32-bit) as ClickHouse prints it in an IPv6 column. */
export function v4String(a: number): string {
  const k = a | 0;
  const slot = Math.imul(k, 0x9e3779b1) >>> (32 - V4_TEXT_BITS);
  const have = v4Texts[slot];
  if (have !== '' && v4TextKeys[slot] === k) return have;
  const text = `::ffff:${k >>> 24}.${(k >>> 16) & 0xff}.${(k >>> 8) & 0xff}.${k & 0xff}`;
  v4TextKeys[slot] = k;
  v4Texts[slot] = text;
  return text;
}

/** IPv6 text as ClickHouse prints it (RFC 5952; an IPv4-mapped address as ::ffff:a.b.c.d). */
export function v6String(b: Buffer): string {
  return ipv6Text(b, 0);
}

export function srcIpString(k: FlowKey): string {
  return k.family === Family.V4 ? v4String(k.src4) : k.family === Family.V6 ? v6String(k.src6!) : '::';
}

export function dstIpString(k: FlowKey): string {
  return k.family === Family.V4 ? v4String(k.dst4) : k.family === Family.V6 ? v6String(k.dst6!) : '::';
}

function cmp(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on keys of one capture point (row order inside an epoch's inserts). */
export function compareKeys(a: FlowKey, b: FlowKey): number {
  return cmp(a.family, b.family) || cmp(a.frameType, b.frameType)
    || (a.family === Family.V4 ? cmp(a.src4, b.src4) || cmp(a.dst4, b.dst4)
      : a.family === Family.V6 ? Buffer.compare(a.src6!, b.src6!) || Buffer.compare(a.dst6!, b.dst6!) : 0)
    || cmp(a.proto, b.proto) || cmp(a.sport, b.sport) || cmp(a.dport, b.dport)
    || cmp(a.smac, b.smac) || cmp(a.dmac, b.dmac) || cmp(a.ethertype, b.ethertype);
}

/** String lookup key of an IPv6 or non-IP key (and of IPv4 keys past 4096 frame types). */
export function stringKey(k: FlowKey): string {
  if (k.family === Family.L2) return `E|${k.frameType}|${k.smac}|${k.dmac}|${k.ethertype}`;
  const src = k.family === Family.V4 ? String(k.src4) : k.src6!.toString('hex');
  const dst = k.family === Family.V4 ? String(k.dst4) : k.dst6!.toString('hex');
  return `${k.family}|${k.frameType}|${src}|${dst}|${k.proto}|${k.sport}|${k.dport}`;
}

/**
 * 32-bit table hash of an IPv4 key (collisions are resolved by the chain). A
 * signed 32-bit result stays a small integer in V8: Map lookups with it
 * neither allocate a heap number nor hash one.
 */
export function v4Hash(src: number, dst: number, tail: number): number {
  // by division, not `tail % 2^32`: on a double (tails above 2^31) `%` is a C call (fmod) in V8
  const hi = Math.floor(tail / 4294967296); // 20 bits
  return v4HashParts(src, dst, hi, tail - hi * 4294967296);
}

/** v4Hash of a tail given as its high (above 2^32) and low 32 bits: integer operations only. */
export function v4HashParts(src: number, dst: number, hi: number, lo: number): number {
  const a = Math.imul(src ^ Math.imul(dst, 0x85ebca6b), 0x9e3779b1) ^ Math.imul(lo ^ (dst >>> 13), 0xc2b2ae35);
  const b = Math.imul(a ^ (a >>> 16), 0x27d4eb2f) ^ Math.imul(hi ^ src, 0x165667b1);
  return b ^ (b >>> 15);
}

/** The keys of one capture point. */
export class FlowTable {
  private readonly v4 = new Map<number, FlowKey>();
  private readonly other = new Map<string, FlowKey>();
  head: FlowKey | null = null;
  tail: FlowKey | null = null;
  size = 0;

  /** `src` and `dst` as signed 32-bit integers (readInt32: small integers in V8, nothing allocated). */
  getV4(src: number, dst: number, tail: number): FlowKey | undefined {
    let k: FlowKey | null = this.v4.get(v4Hash(src, dst, tail)) ?? null;
    while (k !== null) {
      if (k.mapKey === tail && (k.src4 | 0) === src && (k.dst4 | 0) === dst) return k;
      k = k.chain;
    }
    return undefined;
  }

  getOther(key: string): FlowKey | undefined {
    return this.other.get(key);
  }

  /** Add a key whose mapKey and identity are set; it becomes the most recent. */
  add(k: FlowKey, epoch: number): void {
    if (typeof k.mapKey === 'number') {
      const h = v4Hash(k.src4, k.dst4, k.mapKey);
      k.chain = this.v4.get(h) ?? null;
      this.v4.set(h, k);
    } else {
      this.other.set(k.mapKey, k);
    }
    this.size++;
    this.append(k);
    k.touchedEpoch = epoch;
  }

  remove(k: FlowKey): void {
    if (typeof k.mapKey === 'number') {
      const h = v4Hash(k.src4, k.dst4, k.mapKey);
      const first = this.v4.get(h);
      if (first === k) {
        if (k.chain) this.v4.set(h, k.chain);
        else this.v4.delete(h);
      } else {
        for (let p = first ?? null; p !== null; p = p.chain) {
          if (p.chain === k) {
            p.chain = k.chain;
            break;
          }
        }
      }
      k.chain = null;
    } else {
      this.other.delete(k.mapKey);
    }
    this.size--;
    this.unlink(k);
  }

  /** Mark a key used in `epoch`: the first use in an epoch moves it to the recent end. */
  touch(k: FlowKey, epoch: number): void {
    if (k.touchedEpoch === epoch) return;
    k.touchedEpoch = epoch;
    if (this.tail === k) return;
    this.unlink(k);
    this.append(k);
  }

  private append(k: FlowKey): void {
    k.prev = this.tail;
    k.next = null;
    if (this.tail) this.tail.next = k;
    else this.head = k;
    this.tail = k;
  }

  private unlink(k: FlowKey): void {
    if (k.prev) k.prev.next = k.next;
    else if (this.head === k) this.head = k.next;
    if (k.next) k.next.prev = k.prev;
    else if (this.tail === k) this.tail = k.prev;
    k.prev = null;
    k.next = null;
  }
}
