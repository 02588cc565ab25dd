/**
 * The frame-type vocabulary the dissector emits for everything that is not
 * Chapter 10, PTP or IENA (those families take their names from their own
 * modules' tables). docs/frame-types.md holds the one table of all of them;
 * a test checks the two agree.
 */

/** Standard application protocols, recognised by payload first and port second. */
export const APP_FRAME_TYPES = {
  dns: 'DNS',
  dhcp: 'DHCP',
  dhcpv6: 'DHCPv6',
  ntp: 'NTP',
  snmp: 'SNMP',
  tftp: 'TFTP',
  http: 'HTTP',
  https: 'HTTPS',
  tls: 'TLS',
  ssh: 'SSH',
  telnet: 'TELNET',
  ftp: 'FTP',
  smtp: 'SMTP',
  pop3: 'POP3',
  imap: 'IMAP',
} as const;

/** Decided from the packet's own fields when nothing above matched. */
export const TRANSPORT_FRAME_TYPES = {
  udp: 'UDP',
  tcp: 'TCP',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
  igmp: 'IGMP',
  arp: 'ARP',
  other: 'OTHER',
} as const;

/**
 * Which precedence rule decided a record's frame_type (the record's
 * classified_by field); docs/frame-types.md explains each.
 */
export type ClassifiedBy =
  | 'ethertype' // EtherType 0x88F7: PTP, never falls back
  | 'ptp-port' // UDP 319/320 (or a --ptp-port) and a valid PTP header
  | 'pinned-port' // a --ch10-port / --iena-port tried first and matched
  | 'ch10-header' // validated Chapter 10 header on any UDP port
  | 'ch10-flow' // continuation segment in a flow known as Chapter 10
  | 'iena' // IENA by configured key/port or the size/trailer heuristic
  | 'payload' // standard protocol recognised from the payload
  | 'port' // standard protocol from a well-known port (payload not recognised)
  | 'transport' // UDP/TCP/ICMP/ICMPv6/IGMP/ARP/OTHER from the packet fields
  | 'fallback'; // the dissector failed on this record; generic classification

/** Metric family of a frame type: CH10 / TMATS / PTP / IENA, else the frame type itself. */
export function frameTypeFamily(frameType: string): string {
  if (frameType.startsWith('CH10-')) return 'CH10';
  if (frameType.startsWith('PTP-')) return 'PTP';
  if (frameType.startsWith('IENA-')) return 'IENA';
  return frameType;
}
