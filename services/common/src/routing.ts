/**
 * Which partition a record goes to. Records of one stream must reach one
 * consumer so the aggregator can scale out and stay exact, so the routing key
 * is the coarsest grouping any aggregate needs, within one capture point
 * (agent_id, interface):
 *
 *   PTP (EtherType 0x88F7, or UDP port 319/320)  capture point + "ptp": all PTP
 *       of a capture point together, so Sync/Follow_Up and request/response
 *       pairing see both directions and both ports
 *   other IP                                      capture point + the two IP addresses
 *       (host pair, both directions: every 5-tuple flow, IENA key and Chapter
 *       10 channel or transfer stream between two hosts stays together, and
 *       so do requests and their answers, which the dissector pairs: a TFTP
 *       transfer's data between ephemeral ports is recognised from its request)
 *   other non-IP                                  capture point + the two MACs + EtherType
 *
 * The hash is Kafka's murmur2 over those bytes, modulo the partition count.
 * Every frame is routed, so host pairs' hashes are remembered in small
 * direct-mapped caches, one for IPv4 and one for IPv6 (a capture point's
 * traffic comes from a working set of host pairs; murmur2 over the ~25 key
 * bytes was 6 % of the agent's time per frame, and an IPv6 pair, its 32
 * address bytes compared and copied one by one, cost ~1,700 instructions),
 * and the PTP key's, which is constant, once.
 */
import type { PacketRecord } from './records.js';
import { int32At } from './int32-at.js';
import { murmur2, murmur2Blocks, murmur2Seed, murmur2Tail } from './kafka/murmur2.js';

const PTP_ETHERTYPE = 0x88f7;

/** v as four big-endian bytes at b[at]. */
function putInt32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** A 48-bit MAC address (a non-negative double) as six big-endian bytes at b[at]. */
function putMac(b: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  b[at] = hi >>> 8;
  b[at + 1] = hi;
  putInt32(b, at + 2, v - hi * 4294967296);
}

/** What hashFields reads of a frame: its addresses are `addrLen` bytes at buf[srcIpAt] and buf[dstIpAt] (addrLen 0 when not IP). */
export interface RoutingFields {
  readonly ethertype: number;
  readonly ipProto: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly ipVersion: number;
  readonly buf: Buffer;
  readonly srcIpAt: number;
  readonly dstIpAt: number;
  readonly addrLen: number;
  readonly ethSrc: number;
  readonly ethDst: number;
}

/**
 * Slots of the IPv4 host-pair cache by default, 16 bytes each (one cache line
 * per lookup): 16 KiB, as a dissector holds one router per capture point it
 * has seen. The capture agent, with one router per interface, asks for 8192:
 * on its benchmark's mixed capture (4,352 host pairs in the first 263k
 * frames, interleaved) 17 % of lookups miss then, 28 % with 4096, 54 % with 1024.
 */
export const DEFAULT_ROUTE_CACHE_SLOTS = 1024;

export class RecordRouter {
  private readonly scratch = Buffer.alloc(512);
  private readonly prefixLen: number;
  private readonly ptpHash: number;
  /** murmur2's state after the prefix's whole blocks, for the length of an IPv4 key, and where the rest starts. */
  private readonly v4State: number;
  private readonly v4From: number;
  /** Per slot: the host pair (lower address first, as signed big-endian int32s), its hash (-1: empty slot), unused. */
  private readonly v4Cache: Int32Array;
  /** 32 - log2(slots): the slot is the top bits of the pair's mix. */
  private readonly v4Shift: number;
  /** The same for IPv6 keys (their length differs, so does murmur2's seed). */
  private readonly v6State: number;
  /**
   * Per slot (16 int32s, one 64-byte line): the host pair's eight words
   * (lower address first, big-endian, signed), its hash (-1: empty slot), unused.
   */
  private readonly v6Cache: Int32Array;
  private readonly v6Shift: number;

  /** `cacheSlots`: slots of the IPv4 host-pair cache (a power of two); the IPv6 one has an eighth of them. */
  constructor(agentId: string, iface: string, cacheSlots = DEFAULT_ROUTE_CACHE_SLOTS) {
    if (!(cacheSlots >= 1 && cacheSlots <= 1 << 20 && (cacheSlots & (cacheSlots - 1)) === 0)) {
      throw new Error(`route cache slots must be a power of two up to 2^20, got ${cacheSlots}`);
    }
    this.v4Cache = new Int32Array(4 * cacheSlots);
    this.v4Shift = 32 - Math.log2(cacheSlots);
    const prefix = Buffer.from(`${agentId}\u0000${iface}\u0000`);
    if (prefix.length > 400) throw new Error('agent id and interface name are too long to route on');
    prefix.copy(this.scratch);
    this.prefixLen = prefix.length;
    this.scratch[this.prefixLen] = 0x50; // 'P'
    this.ptpHash = murmur2(this.scratch, this.prefixLen + 1) & 0x7fffffff;
    this.v4From = this.prefixLen & ~3;
    this.v4State = murmur2Blocks(murmur2Seed(this.prefixLen + 9), this.scratch, 0, this.v4From);
    for (let i = 2; i < this.v4Cache.length; i += 4) this.v4Cache[i] = -1;
    const v6Slots = Math.max(1, cacheSlots >> 3);
    this.v6Cache = new Int32Array(16 * v6Slots);
    this.v6Shift = 32 - Math.log2(v6Slots);
    this.v6State = murmur2Blocks(murmur2Seed(this.prefixLen + 33), this.scratch, 0, this.v4From);
    for (let i = 8; i < this.v6Cache.length; i += 16) this.v6Cache[i] = -1;
  }

  /**
   * murmur2 of the key scratch[0, end) from `state`, the state after the
   * prefix's whole blocks for a key of that length (v4State, v6State).
   */
  private scratchKeyHash(state: number, end: number): number {
    const s = this.scratch;
    const whole = end & ~3;
    return murmur2Tail(murmur2Blocks(state, s, this.v4From, whole), s, whole, end) & 0x7fffffff;
  }

  /**
   * The hash of the IPv6 host pair of the addresses at sb[sa..sa+16) and
   * db[da..da+16) (either order): the lower address first, as Buffer.compare
   * orders them, read and compared as four unsigned 32-bit words each.
   */
  private v6Pair(sb: Uint8Array, sa: number, db: Uint8Array, da: number): number {
    const a0 = int32At(sb, sa);
    const a1 = int32At(sb, sa + 4);
    const a2 = int32At(sb, sa + 8);
    const a3 = int32At(sb, sa + 12);
    const b0 = int32At(db, da);
    const b1 = int32At(db, da + 4);
    const b2 = int32At(db, da + 8);
    const b3 = int32At(db, da + 12);
    let srcFirst = true;
    if (a0 !== b0) srcFirst = (a0 >>> 0) < (b0 >>> 0);
    else if (a1 !== b1) srcFirst = (a1 >>> 0) < (b1 >>> 0);
    else if (a2 !== b2) srcFirst = (a2 >>> 0) < (b2 >>> 0);
    else if (a3 !== b3) srcFirst = (a3 >>> 0) < (b3 >>> 0);
    const l0 = srcFirst ? a0 : b0;
    const l1 = srcFirst ? a1 : b1;
    const l2 = srcFirst ? a2 : b2;
    const l3 = srcFirst ? a3 : b3;
    const h0 = srcFirst ? b0 : a0;
    const h1 = srcFirst ? b1 : a1;
    const h2 = srcFirst ? b2 : a2;
    const h3 = srcFirst ? b3 : a3;
    const c = this.v6Cache;
    const mix = Math.imul(Math.imul(l0 ^ l1 ^ l2 ^ l3, 0x9e3779b1) ^ h0 ^ h1 ^ h2 ^ h3, 0x85ebca6b);
    const at = ((mix >>> this.v6Shift) & ((c.length >> 4) - 1)) << 4;
    const cached = c[at + 8];
    if (cached >= 0 && c[at] === l0 && c[at + 1] === l1 && c[at + 2] === l2 && c[at + 3] === l3
      && c[at + 4] === h0 && c[at + 5] === h1 && c[at + 6] === h2 && c[at + 7] === h3) return cached;
    const s = this.scratch;
    const n = this.prefixLen;
    s[n] = 0x49; // 'I'
    putInt32(s, n + 1, l0);
    putInt32(s, n + 5, l1);
    putInt32(s, n + 9, l2);
    putInt32(s, n + 13, l3);
    putInt32(s, n + 17, h0);
    putInt32(s, n + 21, h1);
    putInt32(s, n + 25, h2);
    putInt32(s, n + 29, h3);
    const h = this.scratchKeyHash(this.v6State, n + 33);
    c[at] = l0;
    c[at + 1] = l1;
    c[at + 2] = l2;
    c[at + 3] = l3;
    c[at + 4] = h0;
    c[at + 5] = h1;
    c[at + 6] = h2;
    c[at + 7] = h3;
    c[at + 8] = h;
    return h;
  }

  /** The non-IP key: the two MAC addresses (lower first) and the EtherType, after the prefix. */
  private l2Key(ethSrc: number, ethDst: number, ethertype: number): number {
    const s = this.scratch;
    const n = this.prefixLen;
    s[n] = 0x45; // 'E'
    const lo = Math.min(ethSrc, ethDst);
    putMac(s, n + 1, lo);
    putMac(s, n + 7, lo === ethSrc ? ethDst : ethSrc);
    s[n + 13] = (ethertype >> 8) & 0xff;
    s[n + 14] = ethertype & 0xff;
    return murmur2(s, n + 15) & 0x7fffffff;
  }

  /** The hash of the IPv4 host pair of addresses `a` and `b` (big-endian int32s, either order). */
  private v4Pair(a: number, b: number): number {
    let lo = a;
    let hi = b;
    if ((a >>> 0) > (b >>> 0)) {
      lo = b;
      hi = a;
    }
    const c = this.v4Cache;
    // (a shift by 32 is a shift by 0 in JavaScript: one slot keeps the mix's low bits instead, masked off)
    const at = ((Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> this.v4Shift) & ((c.length >> 2) - 1)) << 2;
    const cached = c[at + 2];
    if (cached >= 0 && c[at] === lo && c[at + 1] === hi) return cached;
    const s = this.scratch;
    const n = this.prefixLen;
    s[n] = 0x49; // 'I'
    putInt32(s, n + 1, lo);
    putInt32(s, n + 5, hi);
    const h = this.scratchKeyHash(this.v4State, n + 9);
    c[at] = lo;
    c[at + 1] = hi;
    c[at + 2] = h;
    return h;
  }

  /** Routing hash of a record (non-negative 31-bit). */
  hash(r: PacketRecord): number {
    const b = this.scratch;
    let n = this.prefixLen;
    if (r.ethertype === PTP_ETHERTYPE || r.src_port === 319 || r.src_port === 320 || r.dst_port === 319 || r.dst_port === 320) {
      // Port 319/320 without UDP would be odd, but TCP never carries PTP: require UDP for IP.
      if (r.ethertype === PTP_ETHERTYPE || r.ip_proto === 17) return this.ptpHash;
    }
    if (r.ip_version !== 0) {
      const s = r.src_ip;
      const d = r.dst_ip;
      if (s.length === 4 && d.length === 4) return this.v4Pair(int32At(s, 0), int32At(d, 0));
      if (s.length === 16 && d.length === 16) return this.v6Pair(s, 0, d, 0);
      b[n++] = 0x49; // 'I'
      // Lower address first: both directions of a host pair hash alike.
      const srcFirst = Buffer.compare(r.src_ip, r.dst_ip) <= 0;
      n += (srcFirst ? r.src_ip : r.dst_ip).copy(b, n);
      n += (srcFirst ? r.dst_ip : r.src_ip).copy(b, n);
      return murmur2(b, n) & 0x7fffffff;
    }
    return this.l2Key(r.eth_src, r.eth_dst, r.ethertype);
  }

  /**
   * hash() of a frame given by the fields it reads (the capture agent routes
   * frames it encodes without a record object: its FrameScan). Read from an
   * object rather than passed as arguments: the MAC addresses are 48-bit
   * doubles, which a call that is not inlined would box on every frame.
   */
  hashFields(f: RoutingFields): number {
    const s = this.scratch;
    let n = this.prefixLen;
    const ethertype = f.ethertype;
    const srcPort = f.srcPort;
    const dstPort = f.dstPort;
    if (ethertype === PTP_ETHERTYPE || ((srcPort === 319 || srcPort === 320 || dstPort === 319 || dstPort === 320) && f.ipProto === 17)) return this.ptpHash;
    if (f.ipVersion !== 0) {
      const b = f.buf;
      const srcAt = f.srcIpAt;
      const dstAt = f.dstIpAt;
      const addrLen = f.addrLen;
      if (addrLen === 4) return this.v4Pair(int32At(b, srcAt), int32At(b, dstAt));
      if (addrLen === 16) return this.v6Pair(b, srcAt, b, dstAt);
      s[n++] = 0x49; // 'I'
      let i = 0;
      while (i < addrLen && b[srcAt + i] === b[dstAt + i]) i++;
      const srcFirst = i === addrLen || b[srcAt + i] < b[dstAt + i];
      const lo = srcFirst ? srcAt : dstAt;
      const hi = srcFirst ? dstAt : srcAt;
      for (let k = 0; k < addrLen; k++) s[n + k] = b[lo + k];
      n += addrLen;
      for (let k = 0; k < addrLen; k++) s[n + k] = b[hi + k];
      n += addrLen;
      return murmur2(s, n) & 0x7fffffff;
    }
    return this.l2Key(f.ethSrc, f.ethDst, ethertype);
  }

  partitionOf(r: PacketRecord, partitions: number): number {
    return this.hash(r) % partitions;
  }
}
