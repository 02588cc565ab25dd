/**
 * DHCPv6 (RFC 8415) on UDP 546/547: msg-type (1 byte), then either a 3-byte
 * transaction id and options, or for RELAY-FORW/RELAY-REPL a hop count, the
 * link and peer addresses (16 bytes each) and options. Options are
 * (code u16, length u16, value); the walk must end exactly at the datagram's
 * end. Only tried on those ports: one byte of type is no payload signature.
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

export const DHCPV6_MESSAGE_TYPES: readonly string[] = [
  '', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'CONFIRM', 'RENEW', 'REBIND', 'REPLY', 'RELEASE', 'DECLINE',
  'RECONFIGURE', 'INFORMATION-REQUEST', 'RELAY-FORW', 'RELAY-REPL', 'LEASEQUERY', 'LEASEQUERY-REPLY',
  'LEASEQUERY-DONE', 'LEASEQUERY-DATA', 'RECONFIGURE-REQUEST', 'RECONFIGURE-REPLY', 'DHCPV4-QUERY',
  'DHCPV4-RESPONSE', 'ACTIVELEASEQUERY', 'STARTTLS', 'BNDUPD', 'BNDREPLY', 'POOLREQ', 'POOLRESP',
  'UPDREQ', 'UPDREQALL', 'UPDDONE', 'CONNECT', 'CONNECTREPLY', 'DISCONNECT', 'STATE', 'CONTACT',
];

export function isDhcpv6Port(port: number): boolean {
  return port === 546 || port === 547;
}

/** The summary, or null when the bytes are not a well-formed DHCPv6 message. */
export function parseDhcpv6(p: Buffer): AppInfo | null {
  if (p.length < 4) return null;
  const type = p[0];
  if (type === 0 || type >= DHCPV6_MESSAGE_TYPES.length) return null;
  let i = type === 12 || type === 13 ? 34 : 4;
  if (p.length < i) return null;
  while (i < p.length) {
    if (i + 4 > p.length) return null;
    const len = p.readUInt16BE(i + 2);
    i += 4 + len;
  }
  if (i !== p.length) return null;
  return appInfo('dhcpv6', DHCPV6_MESSAGE_TYPES[type], type);
}
