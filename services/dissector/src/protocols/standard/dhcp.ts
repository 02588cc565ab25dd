/**
 * DHCP / BOOTP (RFC 2131, 2132): the 236-byte BOOTP header, the magic cookie
 * 63 82 53 63 at offset 236, then options. The cookie makes this a payload
 * signature on any port; UDP 67/68 is the port fallback.
 *
 * Summary: message = the option 53 type name (BOOTREQUEST/BOOTREPLY when the
 * option is absent, i.e. plain BOOTP), code = option 53, detail = client MAC,
 * assigned address (yiaddr), requested address (option 50), server id (54)
 * and host name (12).
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { ipv4Text, macText, safeText } from './ascii.js';

const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
const FILE_OFFSET = 108;
const SNAME_OFFSET = 44;

export const DHCP_MESSAGE_TYPES: readonly string[] = [
  '', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM', 'FORCERENEW',
  'LEASEQUERY', 'LEASEUNASSIGNED', 'LEASEUNKNOWN', 'LEASEACTIVE', 'BULKLEASEQUERY', 'LEASEQUERYDONE',
  'ACTIVELEASEQUERY', 'LEASEQUERYSTATUS', 'TLS',
];

/** BOOTP op 1/2 and the DHCP magic cookie. */
export function isDhcp(payload: Buffer): boolean {
  return (
    payload.length >= OPTIONS_OFFSET &&
    (payload[0] === 1 || payload[0] === 2) &&
    payload[COOKIE_OFFSET] === 0x63 &&
    payload[COOKIE_OFFSET + 1] === 0x82 &&
    payload[COOKIE_OFFSET + 2] === 0x53 &&
    payload[COOKIE_OFFSET + 3] === 0x63
  );
}

interface DhcpOptions {
  type: number;
  hostName: string | null;
  requested: string | null;
  server: string | null;
  overload: number;
  bad: boolean;
}

/** Walk one options area; stops at END (255), at the area's end, or on a length that runs past it. */
function walkOptions(p: Buffer, start: number, end: number, o: DhcpOptions): void {
  let i = start;
  while (i < end) {
    const code = p[i];
    if (code === 255) return;
    if (code === 0) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      o.bad = true;
      return;
    }
    const len = p[i + 1];
    const v = i + 2;
    if (v + len > end) {
      o.bad = true;
      return;
    }
    if (code === 53 && len >= 1) o.type = p[v];
    else if (code === 12 && len >= 1) o.hostName = safeText(p, v, v + len, 64);
    else if (code === 50 && len === 4) o.requested = ipv4Text(p, v);
    else if (code === 54 && len === 4) o.server = ipv4Text(p, v);
    else if (code === 52 && len === 1) o.overload = p[v];
    i = v + len;
  }
}

/** Summary of a DHCP message; call after isDhcp(). The second value is an error code or null. */
export function parseDhcp(payload: Buffer): { app: AppInfo; error: string | null } {
  const p = payload;
  const o: DhcpOptions = { type: 0, hostName: null, requested: null, server: null, overload: 0, bad: false };
  walkOptions(p, OPTIONS_OFFSET, p.length, o);
  // Option overload (52): more options in the file and/or sname fields.
  if (o.overload & 1) walkOptions(p, FILE_OFFSET, COOKIE_OFFSET, o);
  if (o.overload & 2) walkOptions(p, SNAME_OFFSET, FILE_OFFSET, o);

  const message = o.type === 0 ? (p[0] === 1 ? 'BOOTREQUEST' : 'BOOTREPLY') : DHCP_MESSAGE_TYPES[o.type] ?? `TYPE-${o.type}`;
  let detail = '';
  if (p[1] === 1 && p[2] === 6) detail = `client=${macText(p, 28)}`;
  if (p[16] | p[17] | p[18] | p[19]) detail += `${detail ? ' ' : ''}yiaddr=${ipv4Text(p, 16)}`;
  if (o.requested) detail += `${detail ? ' ' : ''}requested=${o.requested}`;
  if (o.server) detail += `${detail ? ' ' : ''}server=${o.server}`;
  if (o.hostName) detail += `${detail ? ' ' : ''}host=${o.hostName}`;
  return {
    app: appInfo('dhcp', message, o.type === 0 ? null : o.type, null, null, detail || null),
    error: o.bad ? 'dhcp.bad_options' : null,
  };
}
