/**
 * Standard application protocols, step 6 of the precedence in
 * docs/frame-types.md: by payload first, then by port.
 *
 * Payload signatures (any port): DNS/HTTP as decoded by the agent, the DHCP
 * magic cookie, a TFTP read/write request, a complete SNMP BER message, a TLS
 * record header, an SSH banner, a Telnet option negotiation, and FTP/SMTP/
 * POP3/IMAP lines (the port settles lines several of them share). NTP and
 * DHCPv6 have no signature strong enough and are tried only on their ports;
 * TFTP data/ack/error/oack only on port 69 or in a transfer seen requested.
 *
 * Port fallback, for a datagram/segment that carries payload no signature
 * claimed: the well-known port (the lower one when both ports are known)
 * names the protocol. On UDP a datagram is a whole message, so it also gets
 * `<protocol>.malformed`; on TCP it is normal (a segment in the middle of a
 * stream), so there is no error and no app summary.
 */
import type { EnrichedRecord, PacketRecord } from '@streamlens/common';
import { APP_FRAME_TYPES } from '../../frame-types.js';
import { addError } from '../../record-lists.js';
import { isDhcp, parseDhcp } from './dhcp.js';
import { isDhcpv6Port, parseDhcpv6 } from './dhcpv6.js';
import { dnsApp } from './dns.js';
import { httpApp } from './http.js';
import { NTP_PORT, parseNtp } from './ntp.js';
import { parseSnmp } from './snmp.js';
import { isSshBanner, parseSshBanner } from './ssh.js';
import { isTelnetNegotiation, parseTelnet } from './telnet.js';
import { parseTextProtocol } from './text-protocols.js';
import { isTftpRequest, isTftpTransferPacket, parseTftp, TFTP_PORT, type TftpTransfers } from './tftp.js';
import { HTTPS_PORTS, isTlsRecord, parseTls } from './tls.js';

export { TftpTransfers } from './tftp.js';

/** The parts of an enriched record a recogniser fills. */
export type Classification = Pick<EnrichedRecord, 'frame_type' | 'protocols' | 'errors' | 'app' | 'classified_by'>;

type AppKey = keyof typeof APP_FRAME_TYPES;

const UDP_PORTS = new Map<number, AppKey>([
  [53, 'dns'], [5353, 'dns'], [67, 'dhcp'], [68, 'dhcp'], [69, 'tftp'], [123, 'ntp'], [161, 'snmp'], [162, 'snmp'],
  [546, 'dhcpv6'], [547, 'dhcpv6'],
]);
const TCP_PORTS = new Map<number, AppKey>([
  [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [53, 'dns'], [80, 'http'], [110, 'pop3'], [143, 'imap'],
  [443, 'https'], [465, 'tls'], [587, 'smtp'], [636, 'tls'], [853, 'tls'], [993, 'tls'], [995, 'tls'],
  [8000, 'http'], [8080, 'http'], [8443, 'https'],
]);

/** Protocol name for `protocols` and app.protocol (https is TLS on the wire). */
function protocolName(k: AppKey): string {
  return k === 'https' ? 'tls' : k;
}

function byPort(map: ReadonlyMap<number, AppKey>, src: number, dst: number): AppKey | undefined {
  const a = map.get(src);
  const b = map.get(dst);
  if (a !== undefined && b !== undefined) return src <= dst ? a : b;
  return a ?? b;
}

function set(out: Classification, k: AppKey, app: EnrichedRecord['app'], by: 'payload' | 'port'): true {
  out.frame_type = APP_FRAME_TYPES[k];
  out.protocols.push(protocolName(k));
  out.app = app;
  out.classified_by = by;
  return true;
}

/** UDP datagram payloads. */
export function classifyUdpApp(p: PacketRecord, out: Classification, tftp: TftpTransfers | null): boolean {
  const pl = p.payload;
  const sp = p.src_port;
  const dp = p.dst_port;
  if (p.dns) return set(out, 'dns', dnsApp(p.dns), 'payload');
  if (pl.length === 0) return false;
  if (isDhcp(pl)) {
    const r = parseDhcp(pl);
    if (r.error) addError(out, r.error);
    return set(out, 'dhcp', r.app, 'payload');
  }
  if (isTftpRequest(pl)) {
    tftp?.remember(p.src_ip, sp);
    return set(out, 'tftp', parseTftp(pl), 'payload');
  }
  if (pl[0] === 0x30) {
    const snmp = parseSnmp(pl, p.payload_len);
    if (snmp) return set(out, 'snmp', snmp, 'payload');
  }
  if (sp === NTP_PORT || dp === NTP_PORT) {
    const ntp = parseNtp(pl);
    if (ntp) return set(out, 'ntp', ntp, 'payload');
  }
  if (isDhcpv6Port(sp) || isDhcpv6Port(dp)) {
    const d6 = parseDhcpv6(pl);
    if (d6) return set(out, 'dhcpv6', d6, 'payload');
  }
  if (isTftpTransferPacket(pl) &&
      (sp === TFTP_PORT || dp === TFTP_PORT || (tftp !== null && (tftp.has(p.src_ip, sp) || tftp.has(p.dst_ip, dp))))) {
    return set(out, 'tftp', parseTftp(pl), 'payload');
  }
  const k = byPort(UDP_PORTS, sp, dp);
  if (k === undefined) return false;
  // The agent reports its own DNS decode errors; the others are ours to name.
  if (k !== 'dns') addError(out, `${k}.malformed`);
  return set(out, k, null, 'port');
}

/** TCP segment payloads (segments without payload stay TCP). */
export function classifyTcpApp(p: PacketRecord, out: Classification): boolean {
  const pl = p.payload;
  const sp = p.src_port;
  const dp = p.dst_port;
  if (p.dns) return set(out, 'dns', dnsApp(p.dns), 'payload');
  if (p.http) return set(out, 'http', httpApp(p.http), 'payload');
  if (pl.length === 0) return false;
  if (isTlsRecord(pl)) return set(out, HTTPS_PORTS.has(sp) || HTTPS_PORTS.has(dp) ? 'https' : 'tls', parseTls(pl), 'payload');
  if (isSshBanner(pl)) return set(out, 'ssh', parseSshBanner(pl), 'payload');
  if (isTelnetNegotiation(pl)) return set(out, 'telnet', parseTelnet(pl), 'payload');
  const text = parseTextProtocol(pl, sp, dp);
  if (text) return set(out, text.protocol, text.app, 'payload');
  const k = byPort(TCP_PORTS, sp, dp);
  if (k === undefined) return false;
  return set(out, k, null, 'port');
}
