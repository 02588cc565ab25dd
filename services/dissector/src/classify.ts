/**
 * Classification: which protocol a frame carries, decided in a fixed order
 * (first match wins; docs/frame-types.md is the user-facing statement of it):
 *
 *   1. EtherType 0x88F7 (after VLAN tags)  → PTP-<Type>; an invalid header is
 *      PTP-Unknown with an error, never another protocol.          [ethertype]
 *   For UDP datagrams with payload (non-first IP fragments have none):
 *   0. a port pinned by configuration (--ch10-port, --iena-port) tries its
 *      protocol first.                                             [pinned-port]
 *   2. port 319/320 (or a --ptp-port) and the payload is PTP → PTP-<Type>.  [ptp-port]
 *   3. Chapter 10: a transfer header whose first packet header validates
 *      (sync + checksum), or a bare validated packet, on any port → TMATS /
 *      CH10-<Name>; a continuation segment in a flow already classified as
 *      Chapter 10 → CH10-Segment.                           [ch10-header / ch10-flow]
 *   4./5. IENA by configured key/port, else the size + trailer heuristic
 *      → IENA-<P|D|N|M|Q|Unknown>.                                 [iena]
 *   6. standard protocols, by payload first, then by port.     [payload / port]
 *   7. UDP / TCP / ICMP / ICMPv6 / IGMP / ARP / OTHER from the packet fields. [transport]
 *
 * Specialised protocols therefore win over port guesses: a validated
 * Chapter 10 datagram on port 53 is Chapter 10, whatever the agent's DNS
 * decoder made of it.
 */
import type { EnrichedRecord, PacketRecord } from '@streamlens/common';
import { BoundedMap } from './bounded-map.js';
import { addError, addErrors } from './record-lists.js';
import { flowHash, flowKeyText } from './flow-hash.js';
import { TRANSPORT_FRAME_TYPES, type ClassifiedBy } from './frame-types.js';
import { dissectChapter10, type Ch10Reassembler, type Ch10Result } from './protocols/chapter10/index.js';
import { dissectIena, type IenaConfig } from './protocols/iena/index.js';
import { dissectPtp, isPtpPort } from './protocols/ptp/index.js';
import { arpApp } from './protocols/standard/arp.js';
import { icmpApp } from './protocols/standard/icmp.js';
import { igmpApp } from './protocols/standard/igmp.js';
import { classifyTcpApp, classifyUdpApp, type TftpTransfers } from './protocols/standard/index.js';

export const ETHERTYPE_PTP = 0x88f7;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ARP = 0x0806;
const IP_UDP = 17;
const IP_TCP = 6;
const IP_ICMP = 1;
const IP_ICMPV6 = 58;
const IP_IGMP = 2;

/** Everything classification reads besides the record: configuration and the bounded memories. */
export interface ClassifyContext {
  /** UDP ports pinned to Chapter 10 (tried first; continuation segments accepted without history). */
  ch10Ports: ReadonlySet<number>;
  /** UDP ports beyond 319/320 that carry PTP. */
  ptpPorts: ReadonlySet<number>;
  /** IENA key→type map, pinned IENA ports and the optional sequence memory, as the IENA dissector takes them. */
  iena: IenaConfig;
  /** Flows (flowHash) classified as Chapter 10, for continuation segments, with their key text once the reassembler needed it. */
  ch10Flows: BoundedMap<number, string | null>;
  /** Reassembler of segmented Chapter 10 transfers; null when disabled. */
  reassembler: Ch10Reassembler | null;
  /** Client endpoints of TFTP transfers seen requested; null when disabled. */
  tftp: TftpTransfers | null;
}

const LINK_NAMES: Record<number, string> = { 0: 'null', 1: 'eth', 108: 'loop', 113: 'sll', 276: 'sll2', 12: 'raw', 14: 'raw', 101: 'raw', 228: 'raw', 229: 'raw' };
const ETHERTYPE_NAMES: Record<number, string> = {
  0x8035: 'rarp', 0x8809: 'slow', 0x8847: 'mpls', 0x8848: 'mpls', 0x8863: 'pppoed', 0x8864: 'pppoes', 0x888e: 'eapol',
  0x8892: 'pn_rt', 0x88a4: 'ecat', 0x88b8: 'goose', 0x88ba: 'sv', 0x88cc: 'lldp', 0x88e5: 'macsec', 0x88fb: 'prp',
  0x893a: 'ieee1905', 0x22f0: 'avtp', 0x22ea: 'msrp', 0x88f5: 'mvrp', 0x9000: 'loop',
};
const IP_PROTO_NAMES: Record<number, string> = {
  4: 'ipip', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah', 88: 'eigrp', 89: 'ospf', 103: 'pim', 112: 'vrrp', 115: 'l2tp', 132: 'sctp',
};

/** eth / vlan… / ipv4|ipv6|arp / udp|tcp|icmp|icmpv6|igmp, outermost first. */
function pushLowerLayers(p: PacketRecord, linkType: number, protocols: string[]): void {
  const link = LINK_NAMES[linkType];
  if (link !== undefined) protocols.push(link);
  for (let i = 0; i < p.vlan_ids.length; i++) protocols.push('vlan');
  const et = p.ethertype;
  if (p.ip_version === 4) protocols.push('ipv4');
  else if (p.ip_version === 6) protocols.push('ipv6');
  else if (et === ETHERTYPE_ARP) protocols.push('arp');
  else if (et < 0x0600 && link === 'eth') protocols.push('llc');
  else if (et !== ETHERTYPE_PTP && et !== ETHERTYPE_IPV4 && et !== ETHERTYPE_IPV6) {
    const name = ETHERTYPE_NAMES[et];
    if (name !== undefined) protocols.push(name);
  }
  if (p.ip_version === 0) return;
  if (p.ip_frag_offset > 0) {
    protocols.push('ip-fragment'); // no L4 header in a non-first fragment
    return;
  }
  switch (p.ip_proto) {
    case IP_UDP: protocols.push('udp'); break;
    case IP_TCP: protocols.push('tcp'); break;
    case IP_ICMP: protocols.push('icmp'); break;
    case IP_ICMPV6: protocols.push('icmpv6'); break;
    case IP_IGMP: protocols.push('igmp'); break;
    default: {
      const name = IP_PROTO_NAMES[p.ip_proto];
      if (name !== undefined) protocols.push(name);
    }
  }
}

function decided(out: EnrichedRecord, frameType: string, by: ClassifiedBy): void {
  out.frame_type = frameType;
  out.classified_by = by;
}

function pushAll(to: string[], from: string[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i]);
}

/** Copies a Chapter 10 result onto the record and remembers the flow. */
function takeCh10(p: PacketRecord, out: EnrichedRecord, r: Ch10Result, ctx: ClassifyContext, hash: number, timeMs: number, by: ClassifiedBy): void {
  let key = ctx.ch10Flows.get(hash) ?? null;
  if (ctx.reassembler !== null && r.info.seg_offset !== null) {
    // The reassembler keys by text; build it once per flow, not once per segment.
    key ??= flowKeyText(p);
    ctx.reassembler.accept(key, p.payload, r, timeMs);
  }
  ctx.ch10Flows.set(hash, key);
  out.ch10 = r.info;
  out.frame_type = r.frameType;
  out.frame_types = r.frameTypes;
  out.classified_by = by;
  pushAll(out.protocols, r.protocols);
  addErrors(out, r.errors);
}

function tryCh10(p: PacketRecord, out: EnrichedRecord, ctx: ClassifyContext, pinned: boolean, timeMs: number, hash: number): boolean {
  const known = ctx.ch10Flows.has(hash);
  const r = dissectChapter10(p.payload, { flowKnownCh10: known, portPinned: pinned, captureTimeMs: timeMs });
  if (r === null) return false;
  // Without pinning, a result with no validated first packet came from flow context.
  const validated = r.info.packets.length > 0 && r.info.packets[0].header_checksum_ok;
  const by: ClassifiedBy = pinned ? 'pinned-port' : validated ? 'ch10-header' : 'ch10-flow';
  takeCh10(p, out, r, ctx, hash, timeMs, by);
  return true;
}

function tryIena(p: PacketRecord, out: EnrichedRecord, ctx: ClassifyContext, by: ClassifiedBy, hash: number): boolean {
  const r = dissectIena(p.payload, p.dst_port, p.src_port, ctx.iena, hash);
  if (r === null) return false;
  out.iena = r.info;
  out.protocols.push('iena');
  addErrors(out, r.errors);
  decided(out, r.frameType, by);
  return true;
}

function tryPtp(p: PacketRecord, out: EnrichedRecord, by: ClassifiedBy): boolean {
  const r = dissectPtp(p.payload, 'udp', p.src_port, p.dst_port);
  if (r === null) return false;
  out.ptp = r.info;
  out.protocols.push('ptp');
  addErrors(out, r.errors);
  decided(out, r.frameType, by);
  return true;
}

function classifyUdp(p: PacketRecord, out: EnrichedRecord, ctx: ClassifyContext, timeMs: number): void {
  const sp = p.src_port;
  const dp = p.dst_port;
  if (p.payload.length > 0) {
    const hash = flowHash(p);
    if (ctx.ch10Ports.size > 0 && (ctx.ch10Ports.has(dp) || ctx.ch10Ports.has(sp)) && tryCh10(p, out, ctx, true, timeMs, hash)) return;
    if (ctx.iena.ports.size > 0 && (ctx.iena.ports.has(dp) || ctx.iena.ports.has(sp)) && tryIena(p, out, ctx, 'pinned-port', hash)) return;
    if ((isPtpPort(sp, dp) || (ctx.ptpPorts.size > 0 && (ctx.ptpPorts.has(sp) || ctx.ptpPorts.has(dp)))) && tryPtp(p, out, 'ptp-port')) return;
    if (tryCh10(p, out, ctx, false, timeMs, hash)) return;
    if (tryIena(p, out, ctx, 'iena', hash)) return;
  }
  if (classifyUdpApp(p, out, ctx.tftp)) return;
  decided(out, TRANSPORT_FRAME_TYPES.udp, 'transport');
}

/** Frame type from the packet's own fields (step 7); also the fallback after an internal error. */
export function classifyTransport(p: PacketRecord, out: EnrichedRecord, by: ClassifiedBy): void {
  if (p.ethertype === ETHERTYPE_ARP) {
    if (p.arp) out.app = arpApp(p.arp);
    return decided(out, TRANSPORT_FRAME_TYPES.arp, by);
  }
  if (p.ip_version !== 0) {
    switch (p.ip_proto) {
      case IP_UDP: return decided(out, TRANSPORT_FRAME_TYPES.udp, by);
      case IP_TCP: return decided(out, TRANSPORT_FRAME_TYPES.tcp, by);
      case IP_ICMP:
        if (p.icmp && p.ip_frag_offset === 0) out.app = icmpApp(p.icmp, false);
        return decided(out, TRANSPORT_FRAME_TYPES.icmp, by);
      case IP_ICMPV6:
        if (p.icmp && p.ip_frag_offset === 0) out.app = icmpApp(p.icmp, true);
        return decided(out, TRANSPORT_FRAME_TYPES.icmpv6, by);
      case IP_IGMP:
        if (p.igmp) out.app = igmpApp(p.igmp);
        return decided(out, TRANSPORT_FRAME_TYPES.igmp, by);
    }
  }
  decided(out, TRANSPORT_FRAME_TYPES.other, by);
}

/**
 * Classify one record: fills frame_type, protocols, errors, the protocol
 * sections and classified_by of `out` (frame_types is set by the caller when
 * no Chapter 10 result replaced it). `timeMs` is the record's capture time.
 */
export function classify(p: PacketRecord, linkType: number, out: EnrichedRecord, ctx: ClassifyContext, timeMs: number): void {
  pushLowerLayers(p, linkType, out.protocols);
  const de = p.decode_error;
  if (de !== null) addError(out, de);
  classifyPayload(p, out, ctx, timeMs);
  // The agent tries DNS on ports 53/5353 whatever the payload; when Chapter 10 or IENA owns
  // the payload, that decoder was reading the wrong protocol: its error stays in
  // packet.decode_error but is not one of this record's errors.
  if (de !== null && (out.ch10 !== null || out.iena !== null) && (de.startsWith('dns.') || de.startsWith('http.'))) {
    out.errors = out.errors.filter((e) => e !== de);
  }
}

function classifyPayload(p: PacketRecord, out: EnrichedRecord, ctx: ClassifyContext, timeMs: number): void {
  if (p.ethertype === ETHERTYPE_PTP && p.ip_version === 0) {
    const r = dissectPtp(p.payload, 'ethernet', 0, 0);
    out.protocols.push('ptp');
    if (r === null) {
      addError(out, 'ptp.bad_version');
      return decided(out, 'PTP-Unknown', 'ethertype');
    }
    out.ptp = r.info;
    addErrors(out, r.errors);
    return decided(out, r.frameType, 'ethertype');
  }
  if (p.ip_version !== 0 && p.ip_frag_offset === 0) {
    if (p.ip_proto === IP_UDP) return classifyUdp(p, out, ctx, timeMs);
    if (p.ip_proto === IP_TCP && classifyTcpApp(p, out)) return;
  }
  classifyTransport(p, out, 'transport');
}
