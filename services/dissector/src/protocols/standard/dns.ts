/**
 * DNS and mDNS: the agent already decodes DNS on port 53/5353 (UDP, and TCP
 * with its length prefix) into packet.dns; this turns that into the app
 * summary. message = query/response, code = rcode for responses and qtype for
 * queries, detail = the rcode name of a failed response.
 */
import type { AppInfo, DnsInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

export const DNS_PORTS: ReadonlySet<number> = new Set([53, 5353]);

const RCODES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE',
];

export function dnsApp(dns: DnsInfo): AppInfo {
  if (!dns.is_response) return appInfo('dns', 'query', dns.qtype);
  return appInfo('dns', 'response', dns.rcode, null, null, dns.rcode !== 0 ? RCODES[dns.rcode] ?? `RCODE${dns.rcode}` : null);
}
