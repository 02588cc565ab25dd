/**
 * Link-layer headers: Ethernet II (with VLAN tags), Linux cooked v1/v2,
 * BSD null/loopback and raw IP. Each fills the L2 fields and hands the
 * network layer to decodeEthertype.
 */
import type { PacketRecord } from '@streamlens/common';
import { mac48, u16 } from './byte-reads.js';
import { decodeEthertype } from './network-layer.js';
import { setError, setPayload } from './record-fields.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** Linux ARPHRD_NETLINK: the SLL protocol field is a netlink family, not an EtherType. */
const ARPHRD_NETLINK = 824;

export function decodeEthernet(data: Buffer, wire: number, cap: number, rec: PacketRecord): void {
  if (data.length < 14) {
    if (data.length >= 6) rec.eth_dst = mac48(data, 0);
    if (data.length >= 12) rec.eth_src = mac48(data, 6);
    setError(rec, 'eth.truncated');
    setPayload(rec, data, 0, wire, cap);
    return;
  }
  rec.eth_dst = mac48(data, 0);
  rec.eth_src = mac48(data, 6);
  decodeEthertype(u16(data, 12), data, 14, wire, cap, rec);
}

/** LINKTYPE_LINUX_SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
export function decodeLinuxSll(data: Buffer, wire: number, cap: number, rec: PacketRecord): void {
  if (data.length < 16) {
    setError(rec, 'sll.truncated');
    setPayload(rec, data, 0, wire, cap);
    return;
  }
  if (u16(data, 4) === 6) rec.eth_src = mac48(data, 6);
  const proto = u16(data, 14);
  if (u16(data, 2) === ARPHRD_NETLINK) setPayload(rec, data, 16, wire - 16, cap);
  else decodeEthertype(proto, data, 16, wire, cap, rec);
}

/** LINKTYPE_LINUX_SLL2: protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 address bytes. */
export function decodeLinuxSll2(data: Buffer, wire: number, cap: number, rec: PacketRecord): void {
  if (data.length < 20) {
    setError(rec, 'sll2.truncated');
    setPayload(rec, data, 0, wire, cap);
    return;
  }
  if (data[11] === 6) rec.eth_src = mac48(data, 12);
  const proto = u16(data, 0);
  if (u16(data, 8) === ARPHRD_NETLINK) setPayload(rec, data, 20, wire - 20, cap);
  else decodeEthertype(proto, data, 20, wire, cap, rec);
}

/**
 * LINKTYPE_NULL (host byte order of the capturing machine, so either order
 * is accepted: a family never has bits in the upper half) and LINKTYPE_LOOP
 * (network order). AF_INET6 differs per BSD: 24 Net/OpenBSD, 28 FreeBSD,
 * 30 macOS (libpcap and Wireshark accept these three; Linux never writes
 * this link type).
 */
export function decodeNullLoopback(data: Buffer, wire: number, cap: number, rec: PacketRecord, bigEndian: boolean): void {
  if (data.length < 4) {
    setError(rec, 'null.truncated');
    setPayload(rec, data, 0, wire, cap);
    return;
  }
  let family = bigEndian ? data.readUInt32BE(0) : data.readUInt32LE(0);
  if (!bigEndian && family > 0xffff) family = data.readUInt32BE(0);
  if (family === 2) decodeEthertype(ETHERTYPE_IPV4, data, 4, wire, cap, rec);
  else if (family === 24 || family === 28 || family === 30) decodeEthertype(ETHERTYPE_IPV6, data, 4, wire, cap, rec);
  else setPayload(rec, data, 4, wire - 4, cap);
}

/** Raw IP: the version nibble picks IPv4 or IPv6 (`forced` for LINKTYPE_IPV4/IPV6). */
export function decodeRawIp(data: Buffer, wire: number, cap: number, rec: PacketRecord, forced: number): void {
  let ethertype = forced;
  if (ethertype === 0) {
    const version = data.length > 0 ? data[0] >> 4 : 0;
    if (version === 4) ethertype = ETHERTYPE_IPV4;
    else if (version === 6) ethertype = ETHERTYPE_IPV6;
    else {
      setError(rec, 'raw.bad_version');
      setPayload(rec, data, 0, wire, cap);
      return;
    }
  }
  decodeEthertype(ethertype, data, 0, wire, cap, rec);
}
