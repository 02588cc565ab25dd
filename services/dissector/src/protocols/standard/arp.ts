/**
 * ARP (RFC 826, RARP RFC 903) from the fields the agent decoded:
 * message = operation name, code = operation, detail = "who-has" / "is-at"
 * addresses.
 */
import type { AppInfo, ArpInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

const OPS: Record<number, string> = { 1: 'request', 2: 'reply', 3: 'RARP request', 4: 'RARP reply', 8: 'InARP request', 9: 'InARP reply' };

function ip(b: Buffer): string {
  return b && b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : '?';
}

function mac(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

export function arpApp(arp: ArpInfo): AppInfo {
  const detail = arp.op === 1 ? `who-has ${ip(arp.target_ip)} tell ${ip(arp.sender_ip)}` : arp.op === 2 ? `${ip(arp.sender_ip)} is-at ${mac(arp.sender_mac)}` : null;
  return appInfo('arp', OPS[arp.op] ?? `op ${arp.op}`, arp.op, null, null, detail);
}
