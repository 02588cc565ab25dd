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
 */
import type { PacketRecord } from './records.js';
import { murmur2 } from './kafka/murmur2.js';

const PTP_ETHERTYPE = 0x88f7;

export class RecordRouter {
  private readonly scratch = Buffer.alloc(512);
  private readonly prefixLen: number;

  constructor(agentId: string, iface: string) {
    const prefix = Buffer.from(`${agentId}\u0000${iface}\u0000`);
    if (prefix.length > 400) throw new Error('agent id and interface name are too long to route on');
    prefix.copy(this.scratch);
    this.prefixLen = prefix.length;
  }

  /** Routing hash of a record (non-negative 31-bit). */
  hash(r: PacketRecord): number {
    const b = this.scratch;
    let n = this.prefixLen;
    if (r.ethertype === PTP_ETHERTYPE || r.src_port === 319 || r.src_port === 320 || r.dst_port === 319 || r.dst_port === 320) {
      // Port 319/320 without UDP would be odd, but TCP never carries PTP: require UDP for IP.
      if (r.ethertype === PTP_ETHERTYPE || r.ip_proto === 17) {
        b[n++] = 0x50; // 'P'
        return murmur2(b, n) & 0x7fffffff;
      }
    }
    if (r.ip_version !== 0) {
      b[n++] = 0x49; // 'I'
      // Lower address first: both directions of a host pair hash alike.
      const srcFirst = Buffer.compare(r.src_ip, r.dst_ip) <= 0;
      n += (srcFirst ? r.src_ip : r.dst_ip).copy(b, n);
      n += (srcFirst ? r.dst_ip : r.src_ip).copy(b, n);
      return murmur2(b, n) & 0x7fffffff;
    }
    b[n++] = 0x45; // 'E'
    const lo = Math.min(r.eth_src, r.eth_dst);
    b.writeUIntBE(lo, n, 6);
    b.writeUIntBE(lo === r.eth_src ? r.eth_dst : r.eth_src, n + 6, 6);
    b.writeUInt16BE(r.ethertype & 0xffff, n + 12);
    return murmur2(b, n + 14) & 0x7fffffff;
  }

  /**
   * hash() of a record given by the fields it reads, its addresses as
   * `addrLen` bytes at b[srcAt] and b[dstAt] (addrLen 0 when not IP): the
   * capture agent routes frames it encodes without a record object.
   */
  hashFields(ethertype: number, ipProto: number, srcPort: number, dstPort: number, ipVersion: number,
    b: Buffer, srcAt: number, dstAt: number, addrLen: number, ethSrc: number, ethDst: number): number {
    const s = this.scratch;
    let n = this.prefixLen;
    if (ethertype === PTP_ETHERTYPE || ((srcPort === 319 || srcPort === 320 || dstPort === 319 || dstPort === 320) && ipProto === 17)) {
      s[n++] = 0x50; // 'P'
      return murmur2(s, n) & 0x7fffffff;
    }
    if (ipVersion !== 0) {
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
    s[n++] = 0x45; // 'E'
    const lo = Math.min(ethSrc, ethDst);
    s.writeUIntBE(lo, n, 6);
    s.writeUIntBE(lo === ethSrc ? ethDst : ethSrc, n + 6, 6);
    s.writeUInt16BE(ethertype & 0xffff, n + 12);
    return murmur2(s, n + 14) & 0x7fffffff;
  }

  partitionOf(r: PacketRecord, partitions: number): number {
    return this.hash(r) % partitions;
  }
}
