/**
 * Link-layer headers: Ethernet II (with VLAN tags), Linux cooked v1/v2,
 * BSD null/loopback and raw IP. Each fills the L2 fields and hands the
 * network layer to decodeEthertype.
 */
import type { PacketRecord } from '@streamlens/common';
import { mac48, u16 } from './byte-reads.js';
import type { FrameView } from './frame-view.js';
import { decodeEthertype } from './network-layer.js';
import { setError, setPayload } from './record-fields.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** Linux ARPHRD_NETLINK: the SLL protocol field is a netlink family, not an EtherType. */
const ARPHRD_NETLINK = 824;

function truncated(f: FrameView, rec: PacketRecord, code: 'eth.truncated' | 'sll.truncated' | 'sll2.truncated' | 'null.truncated'): void {
  setError(rec, code);
  setPayload(rec, f, f.start, f.wireEnd - f.start);
}

export function decodeEthernet(f: FrameView, rec: PacketRecord): void {
  const b = f.buf;
  const s = f.start;
  const have = f.end - s;
  if (have < 14) {
    if (have >= 6) rec.eth_dst = mac48(b, s);
    if (have >= 12) rec.eth_src = mac48(b, s + 6);
    truncated(f, rec, 'eth.truncated');
    return;
  }
  rec.eth_dst = mac48(b, s);
  rec.eth_src = mac48(b, s + 6);
  decodeEthertype(u16(b, s + 12), f, s + 14, rec);
}

/** LINKTYPE_LINUX_SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
export function decodeLinuxSll(f: FrameView, rec: PacketRecord): void {
  const b = f.buf;
  const s = f.start;
  if (f.end - s < 16) return truncated(f, rec, 'sll.truncated');
  if (u16(b, s + 4) === 6) rec.eth_src = mac48(b, s + 6);
  if (u16(b, s + 2) === ARPHRD_NETLINK) setPayload(rec, f, s + 16, f.wireEnd - s - 16);
  else decodeEthertype(u16(b, s + 14), f, s + 16, rec);
}

/** LINKTYPE_LINUX_SLL2: protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 address bytes. */
export function decodeLinuxSll2(f: FrameView, rec: PacketRecord): void {
  const b = f.buf;
  const s = f.start;
  if (f.end - s < 20) return truncated(f, rec, 'sll2.truncated');
  if (b[s + 11] === 6) rec.eth_src = mac48(b, s + 12);
  if (u16(b, s + 8) === ARPHRD_NETLINK) setPayload(rec, f, s + 20, f.wireEnd - s - 20);
  else decodeEthertype(u16(b, s), f, s + 20, rec);
}

/**
 * LINKTYPE_NULL (host byte order of the capturing machine, so either order
 * is accepted: a family never has bits in the upper half) and LINKTYPE_LOOP
 * (network order). AF_INET6 differs per BSD: 24 Net/OpenBSD, 28 FreeBSD,
 * 30 macOS (libpcap and Wireshark accept these three; Linux never writes
 * this link type).
 */
export function decodeNullLoopback(f: FrameView, rec: PacketRecord, bigEndian: boolean): void {
  const b = f.buf;
  const s = f.start;
  if (f.end - s < 4) return truncated(f, rec, 'null.truncated');
  let family = bigEndian ? b.readUInt32BE(s) : b.readUInt32LE(s);
  if (!bigEndian && family > 0xffff) family = b.readUInt32BE(s);
  if (family === 2) decodeEthertype(ETHERTYPE_IPV4, f, s + 4, rec);
  else if (family === 24 || family === 28 || family === 30) decodeEthertype(ETHERTYPE_IPV6, f, s + 4, rec);
  else setPayload(rec, f, s + 4, f.wireEnd - s - 4);
}

/** Raw IP: the version nibble picks IPv4 or IPv6 (`forced` for LINKTYPE_IPV4/IPV6). */
export function decodeRawIp(f: FrameView, rec: PacketRecord, forced: number): void {
  let ethertype = forced;
  if (ethertype === 0) {
    const version = f.end > f.start ? f.buf[f.start] >> 4 : 0;
    if (version === 4) ethertype = ETHERTYPE_IPV4;
    else if (version === 6) ethertype = ETHERTYPE_IPV6;
    else {
      setError(rec, 'raw.bad_version');
      setPayload(rec, f, f.start, f.wireEnd - f.start);
      return;
    }
  }
  decodeEthertype(ethertype, f, f.start, rec);
}
