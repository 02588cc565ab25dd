/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443, 4861, 3810) from the type and code the
 * agent decoded: message = type name, code = type, detail = "code=N" when the
 * code is not 0.
 */
import type { AppInfo, IcmpInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

const ICMP_TYPES: Record<number, string> = {
  0: 'Echo Reply', 3: 'Destination Unreachable', 4: 'Source Quench', 5: 'Redirect', 8: 'Echo Request',
  9: 'Router Advertisement', 10: 'Router Solicitation', 11: 'Time Exceeded', 12: 'Parameter Problem',
  13: 'Timestamp', 14: 'Timestamp Reply', 17: 'Address Mask Request', 18: 'Address Mask Reply',
  42: 'Extended Echo Request', 43: 'Extended Echo Reply',
};

const ICMPV6_TYPES: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem',
  128: 'Echo Request', 129: 'Echo Reply', 130: 'Multicast Listener Query', 131: 'Multicast Listener Report',
  132: 'Multicast Listener Done', 133: 'Router Solicitation', 134: 'Router Advertisement',
  135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement', 137: 'Redirect', 143: 'Multicast Listener Report v2',
  160: 'Extended Echo Request', 161: 'Extended Echo Reply',
};

export function icmpApp(icmp: IcmpInfo, v6: boolean): AppInfo {
  const names = v6 ? ICMPV6_TYPES : ICMP_TYPES;
  return appInfo(v6 ? 'icmpv6' : 'icmp', names[icmp.type] ?? `Type ${icmp.type}`, icmp.type, null, null,
    icmp.code !== 0 ? `code=${icmp.code}` : null);
}
