/**
 * Unicast / multicast / broadcast marking of a frame.
 *
 * The destination IP decides when it is conclusive: IPv4 224.0.0.0/4 and
 * IPv6 ff00::/8 are multicast, IPv4 255.255.255.255 is broadcast. Otherwise
 * the destination MAC decides, because a subnet-directed broadcast
 * (192.168.1.255 in the c10-tools capture) cannot be told from a unicast
 * address without the netmask, but it always travels to ff:ff:ff:ff:ff:ff:
 * all-ones is broadcast, the group bit (I/G, lowest bit of the first octet)
 * is multicast. Frames without a link-layer address (raw IP, cooked captures
 * report 0) are unicast unless the IP address says otherwise.
 */
import type { PacketRecord } from '@streamlens/common';

export type Cast = 'unicast' | 'multicast' | 'broadcast';

const MAC_BROADCAST = 0xffff_ffff_ffff;
const MAC_GROUP_BIT = 0x0100_0000_0000; // I/G bit of the first octet, in the 48-bit integer

export function castOf(p: PacketRecord): Cast {
  const ip = p.dst_ip;
  if (ip && ip.length === 4) {
    const a = ip[0];
    if (a >= 224 && a <= 239) return 'multicast';
    if (a === 255 && ip[1] === 255 && ip[2] === 255 && ip[3] === 255) return 'broadcast';
  } else if (ip && ip.length === 16) {
    if (ip[0] === 0xff) return 'multicast';
  }
  const mac = p.eth_dst;
  if (mac === MAC_BROADCAST) return 'broadcast';
  // 48-bit value: test the group bit without 32-bit bitwise truncation.
  if (mac > 0 && Math.floor(mac / MAC_GROUP_BIT) % 2 === 1) return 'multicast';
  return 'unicast';
}
