/**
 * Standard protocols on crafted traffic, with tshark as the oracle: every
 * frame is written to a pcap, tshark dissects it, and each protocol field we
 * report is compared with tshark's value for the same frame. The same
 * payloads on non-standard ports check the payload signatures (tshark needs
 * the port there, so those rows assert our own expectation).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPacketRecord, type EnrichedRecord, type PacketRecord } from '@streamlens/common';
import { readCaptureRecords } from '../../../test-support/capture-records.js';
import { tcpFrame, udpFrame, writePcap } from '../../../test-support/frames.js';
import { hasTshark, tsharkFields } from '../../../test-support/tshark.js';
import { classifyTcpApp, classifyUdpApp, TftpTransfers } from './index.js';

// ---- payload builders (from the RFCs, independent of the parsers) ----

function dhcp(op: number, type: number, opts: { yiaddr?: number[]; host?: string; requested?: number[]; server?: number[] } = {}): Buffer {
  const b = Buffer.alloc(240);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  b.writeUInt32BE(0x3903f326, 4);
  if (opts.yiaddr) Buffer.from(opts.yiaddr).copy(b, 16);
  Buffer.from([0x00, 0x0c, 0x29, 0x12, 0x34, 0x56]).copy(b, 28);
  b.writeUInt32BE(0x63825363, 236);
  const o: number[] = [53, 1, type];
  if (opts.requested) o.push(50, 4, ...opts.requested);
  if (opts.server) o.push(54, 4, ...opts.server);
  if (opts.host) o.push(12, opts.host.length, ...Buffer.from(opts.host));
  o.push(255);
  return Buffer.concat([b, Buffer.from(o), Buffer.alloc(8)]);
}

function ntp(mode: number, version: number, stratum: number, ref: number[]): Buffer {
  const b = Buffer.alloc(48);
  b[0] = (version << 3) | mode;
  b[1] = stratum;
  b[2] = 6;
  b[3] = 0xe9;
  Buffer.from(ref).copy(b, 12);
  b.writeUInt32BE(0xe9e8c0a0, 40);
  return b;
}

function ntpControl(): Buffer {
  const b = Buffer.alloc(12);
  b[0] = (2 << 3) | 6;
  b[1] = 2; // read variables
  b.writeUInt16BE(1, 2);
  return b;
}

function ber(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const int = (v: number) => ber(0x02, v < 128 ? Buffer.from([v]) : Buffer.from([(v >> 8) & 0xff, v & 0xff]));
const oid = (bytes: number[]) => ber(0x06, Buffer.from(bytes));
const varbind = (o: number[]) => ber(0x30, Buffer.concat([oid(o), Buffer.from([0x05, 0x00])]));

function snmp(version: number, pduTag: number, requestId: number, varbinds: number): Buffer {
  const vbs = ber(0x30, Buffer.concat(Array.from({ length: varbinds }, (_, i) => varbind([0x2b, 6, 1, 2, 1, 1, i + 1, 0]))));
  const pdu = ber(pduTag, Buffer.concat([int(requestId), int(0), int(0), vbs]));
  return ber(0x30, Buffer.concat([int(version), ber(0x04, Buffer.from('public')), pdu]));
}

function tftpRrq(file: string, mode: string): Buffer {
  return Buffer.concat([Buffer.from([0, 1]), Buffer.from(file), Buffer.from([0]), Buffer.from(mode), Buffer.from([0]),
    Buffer.from('blksize\u00001428\u0000')]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function ext(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(body.length), body]);
}
function tlsRecord(type: number, body: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(body.length), body]);
}
function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

function clientHello(sni: string, alpn: string[]): Buffer {
  const name = Buffer.from(sni);
  const sniExt = ext(0, Buffer.concat([u16(name.length + 3), Buffer.from([0]), u16(name.length), name]));
  const alpnList = Buffer.concat(alpn.map((a) => Buffer.concat([Buffer.from([a.length]), Buffer.from(a)])));
  const alpnExt = ext(16, Buffer.concat([u16(alpnList.length), alpnList]));
  const versions = ext(43, Buffer.from([6, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03]));
  const exts = Buffer.concat([ext(0x0a0a, Buffer.alloc(0)), sniExt, versions, alpnExt]);
  const body = Buffer.concat([u16(0x0303), Buffer.alloc(32, 7), Buffer.from([32]), Buffer.alloc(32, 9),
    u16(4), Buffer.from([0x13, 0x01, 0x13, 0x02]), Buffer.from([1, 0]), u16(exts.length), exts]);
  return tlsRecord(22, handshake(1, body), 0x0301);
}

function serverHello13(): Buffer {
  const exts = Buffer.concat([ext(43, u16(0x0304)), ext(51, Buffer.concat([u16(0x001d), u16(32), Buffer.alloc(32, 1)]))]);
  const body = Buffer.concat([u16(0x0303), Buffer.alloc(32, 3), Buffer.from([32]), Buffer.alloc(32, 9),
    Buffer.from([0x13, 0x01, 0]), u16(exts.length), exts]);
  return tlsRecord(22, handshake(2, body));
}

function dhcpv6Solicit(): Buffer {
  const clientId = Buffer.concat([u16(1), u16(14), u16(1), u16(1), Buffer.from([0x1c, 0x39, 0xcf, 0x88]), Buffer.from([0x08, 0x00, 0x27, 0xfe, 0x8f, 0x95])]);
  return Buffer.concat([Buffer.from([1, 0x10, 0x08, 0x74]), clientId, u16(8), u16(2), u16(0)]);
}

const text = (s: string) => Buffer.from(s, 'latin1');

// ---- the cases ----

interface Case {
  name: string;
  frame: Buffer;
  frameType: string;
  by: 'payload' | 'port';
  app?: Partial<NonNullable<EnrichedRecord['app']>> | null;
  errors?: string[];
  /** tshark field → how our record must relate to its value for this frame. */
  oracle?: { fields: string[]; check: (values: string[], out: EnrichedRecord) => void };
  /** tshark must list this protocol in frame.protocols. */
  tsharkProtocol?: string;
}

const C = '192.0.2.10';
const S = '198.51.100.20';

const cases: Case[] = [
  {
    name: 'DHCP DISCOVER to 67', frame: udpFrame('0.0.0.0', '255.255.255.255', 68, 67, dhcp(1, 1, { host: 'laptop-7', requested: [192, 0, 2, 77] })),
    frameType: 'DHCP', by: 'payload', tsharkProtocol: 'dhcp',
    app: { protocol: 'dhcp', message: 'DISCOVER', code: 1, detail: 'client=00:0c:29:12:34:56 requested=192.0.2.77 host=laptop-7' },
    oracle: { fields: ['dhcp.option.dhcp', 'dhcp.option.hostname'], check: ([t, h], o) => { expect(o.app?.code).toBe(Number(t)); expect(o.app?.detail).toContain(`host=${h}`); } },
  },
  {
    name: 'DHCP ACK from 67', frame: udpFrame(S, C, 67, 68, dhcp(2, 5, { yiaddr: [192, 0, 2, 77], server: [198, 51, 100, 20] })),
    frameType: 'DHCP', by: 'payload', tsharkProtocol: 'dhcp',
    app: { message: 'ACK', code: 5, detail: 'client=00:0c:29:12:34:56 yiaddr=192.0.2.77 server=198.51.100.20' },
    oracle: { fields: ['dhcp.option.dhcp', 'dhcp.ip.your'], check: ([t, y], o) => { expect(o.app?.code).toBe(Number(t)); expect(o.app?.detail).toContain(`yiaddr=${y}`); } },
  },
  { name: 'DHCP relayed on port 6767 (cookie, not port)', frame: udpFrame(C, S, 6767, 6767, dhcp(1, 3)), frameType: 'DHCP', by: 'payload', app: { message: 'REQUEST' } },
  {
    name: 'NTP client request', frame: udpFrame(C, S, 50123, 123, ntp(3, 4, 0, [0, 0, 0, 0])), frameType: 'NTP', by: 'payload', tsharkProtocol: 'ntp',
    app: { protocol: 'ntp', message: 'client', code: 3, version: 'v4', detail: null },
    oracle: { fields: ['ntp.flags.mode', 'ntp.flags.vn'], check: ([m, v], o) => { expect(o.app?.code).toBe(Number(m)); expect(o.app?.version).toBe(`v${v}`); } },
  },
  {
    name: 'NTP server reply, stratum 2', frame: udpFrame(S, C, 123, 50123, ntp(4, 4, 2, [192, 0, 2, 1])), frameType: 'NTP', by: 'payload', tsharkProtocol: 'ntp',
    app: { message: 'server', code: 4, detail: 'stratum=2 ref=192.0.2.1' },
    oracle: { fields: ['ntp.stratum', 'ntp.refid'], check: ([st], o) => expect(o.app?.detail).toContain(`stratum=${st}`) },
  },
  {
    name: 'NTP stratum 1 GPS', frame: udpFrame(S, C, 123, 123, ntp(4, 3, 1, [0x47, 0x50, 0x53, 0])), frameType: 'NTP', by: 'payload', tsharkProtocol: 'ntp',
    app: { message: 'server', version: 'v3', detail: 'stratum=1 ref=GPS' },
  },
  { name: 'NTP control (mode 6)', frame: udpFrame(C, S, 40000, 123, ntpControl()), frameType: 'NTP', by: 'payload', tsharkProtocol: 'ntp', app: { message: 'control', code: 6, version: 'v2' } },
  { name: 'NTP port with garbage', frame: udpFrame(C, S, 40000, 123, Buffer.from([0xc7, 1, 2])), frameType: 'NTP', by: 'port', app: null, errors: ['ntp.malformed'] },
  { name: 'mode-3-looking 48 bytes off port 123 stay UDP', frame: udpFrame(C, S, 40000, 40001, ntp(3, 4, 0, [0, 0, 0, 0])), frameType: 'UDP', by: 'port' },
  {
    name: 'SNMPv2c GetRequest', frame: udpFrame(C, S, 40000, 161, snmp(1, 0xa0, 4242, 2)), frameType: 'SNMP', by: 'payload', tsharkProtocol: 'snmp',
    app: { protocol: 'snmp', message: 'GetRequest', code: 0, version: 'v2c', detail: 'request-id=4242 varbinds=2' },
    oracle: { fields: ['snmp.data', 'snmp.request_id', 'snmp.version'], check: ([d, id, v], o) => {
      expect(o.app?.code).toBe(Number(d)); expect(o.app?.detail).toContain(`request-id=${id}`); expect(o.app?.version).toBe(v === '1' ? 'v2c' : 'v1');
    } },
  },
  {
    name: 'SNMPv1 Response', frame: udpFrame(S, C, 161, 40000, snmp(0, 0xa2, 77, 1)), frameType: 'SNMP', by: 'payload', tsharkProtocol: 'snmp',
    app: { message: 'Response', code: 2, version: 'v1', detail: 'request-id=77 varbinds=1' },
    oracle: { fields: ['snmp.data'], check: ([d], o) => expect(o.app?.code).toBe(Number(d)) },
  },
  { name: 'SNMP on port 1161 (BER, not port)', frame: udpFrame(C, S, 40000, 1161, snmp(1, 0xa1, 9, 1)), frameType: 'SNMP', by: 'payload', app: { message: 'GetNextRequest' } },
  {
    name: 'TFTP RRQ', frame: udpFrame(C, S, 51000, 69, tftpRrq('pxelinux.0', 'octet')), frameType: 'TFTP', by: 'payload', tsharkProtocol: 'tftp',
    app: { protocol: 'tftp', message: 'RRQ', code: 1, detail: 'pxelinux.0 octet' },
    oracle: { fields: ['tftp.opcode', 'tftp.source_file'], check: ([op, f], o) => { expect(o.app?.code).toBe(Number(op)); expect(o.app?.detail).toBe(`${f} octet`); } },
  },
  { name: 'TFTP DATA between ephemeral ports (transfer remembered)', frame: udpFrame(S, C, 40999, 51000, Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.alloc(512, 0x55)])), frameType: 'TFTP', by: 'payload', app: { message: 'DATA', detail: 'block=1' } },
  { name: 'TFTP ACK back to the server', frame: udpFrame(C, S, 51000, 40999, Buffer.from([0, 4, 0, 1])), frameType: 'TFTP', by: 'payload', app: { message: 'ACK', code: 4 } },
  { name: 'unrelated 4-byte datagram stays UDP', frame: udpFrame(C, S, 52000, 40999, Buffer.from([0, 4, 0, 1])), frameType: 'UDP', by: 'port' },
  {
    name: 'TLS ClientHello to 443', frame: tcpFrame(C, S, 50444, 443, clientHello('www.example.org', ['h2', 'http/1.1'])), frameType: 'HTTPS', by: 'payload', tsharkProtocol: 'tls',
    app: { protocol: 'tls', message: 'ClientHello', code: 1, version: 'TLS 1.3', server_name: 'www.example.org', detail: 'alpn=h2,http/1.1' },
    oracle: { fields: ['tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str'], check: ([t, sni, alpn], o) => {
      expect(o.app?.code).toBe(Number(t)); expect(o.app?.server_name).toBe(sni); expect(o.app?.detail).toBe(`alpn=${alpn}`);
    } },
  },
  {
    name: 'TLS 1.3 ServerHello from 443', frame: tcpFrame(S, C, 443, 50444, serverHello13()), frameType: 'HTTPS', by: 'payload', tsharkProtocol: 'tls',
    app: { message: 'ServerHello', code: 2, version: 'TLS 1.3', server_name: null },
    oracle: { fields: ['tls.handshake.type', 'tls.handshake.extensions.supported_version'], check: ([t, v], o) => { expect(o.app?.code).toBe(Number(t)); expect(Number(v)).toBe(0x0304); } },
  },
  {
    name: 'TLS application data from 443', frame: tcpFrame(S, C, 443, 50444, tlsRecord(23, Buffer.alloc(120, 0xab))), frameType: 'HTTPS', by: 'payload', tsharkProtocol: 'tls',
    app: { message: 'ApplicationData', code: 23, version: 'TLS 1.2' },
    // After a TLS 1.3 ServerHello tshark names the outer type "opaque type".
    oracle: { fields: ['tls.record.opaque_type'], check: ([t], o) => expect(o.app?.code).toBe(Number(t)) },
  },
  { name: 'TLS ClientHello on 8883 is TLS', frame: tcpFrame(C, S, 50445, 8883, clientHello('broker.example.org', ['mqtt'])), frameType: 'TLS', by: 'payload', app: { server_name: 'broker.example.org', detail: 'alpn=mqtt' } },
  { name: 'mid-record segment on 443 is HTTPS by port', frame: tcpFrame(S, C, 443, 50444, Buffer.alloc(700, 0x9c)), frameType: 'HTTPS', by: 'port', app: null, errors: [] },
  {
    name: 'SSH banner', frame: tcpFrame(S, C, 22, 50022, text('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n')), frameType: 'SSH', by: 'payload', tsharkProtocol: 'ssh',
    app: { protocol: 'ssh', message: 'banner', version: '2.0', detail: 'OpenSSH_9.6p1' },
    oracle: { fields: ['ssh.protocol'], check: ([line], o) => expect(line).toBe(`SSH-${o.app?.version}-${o.app?.detail} Ubuntu-3ubuntu13`) },
  },
  { name: 'SSH banner on 2222', frame: tcpFrame(C, S, 50023, 2222, text('SSH-2.0-PuTTY_Release_0.80\r\n')), frameType: 'SSH', by: 'payload', app: { version: '2.0', detail: 'PuTTY_Release_0.80' } },
  {
    name: 'Telnet negotiation', frame: tcpFrame(S, C, 23, 50023, Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20])), frameType: 'TELNET', by: 'payload', tsharkProtocol: 'telnet',
    app: { protocol: 'telnet', message: 'DO TERMINAL-TYPE', code: 253 },
  },
  { name: 'Telnet on 2323', frame: tcpFrame(S, C, 2323, 50024, Buffer.from([0xff, 0xfb, 0x01])), frameType: 'TELNET', by: 'payload', app: { message: 'WILL ECHO' } },
  { name: 'Telnet typed text is TELNET by port', frame: tcpFrame(C, S, 50023, 23, text('ls -l\r\n')), frameType: 'TELNET', by: 'port', app: null },
  {
    name: 'FTP greeting', frame: tcpFrame(S, C, 21, 50021, text('220 (vsFTPd 3.0.5)\r\n')), frameType: 'FTP', by: 'payload', tsharkProtocol: 'ftp',
    app: { protocol: 'ftp', message: '220 (vsFTPd 3.0.5)', code: 220 },
    oracle: { fields: ['ftp.response.code'], check: ([c], o) => expect(o.app?.code).toBe(Number(c)) },
  },
  {
    name: 'FTP USER (verb only, never the argument)', frame: tcpFrame(C, S, 50021, 21, text('USER anonymous\r\n')), frameType: 'FTP', by: 'payload', tsharkProtocol: 'ftp',
    app: { message: 'USER', code: null },
    oracle: { fields: ['ftp.request.command'], check: ([c], o) => expect(o.app?.message).toBe(c) },
  },
  { name: 'FTP PASS never shows the password', frame: tcpFrame(C, S, 50021, 21, text('PASS s3cret\r\n')), frameType: 'FTP', by: 'payload', app: { message: 'PASS' } },
  { name: 'FTP 227 on a non-standard port (FTP-only code)', frame: tcpFrame(S, C, 2121, 50021, text('227 Entering Passive Mode (198,51,100,20,195,80).\r\n')), frameType: 'FTP', by: 'payload', app: { code: 227 } },
  {
    name: 'SMTP greeting', frame: tcpFrame(S, C, 25, 50025, text('220 mail.example.org ESMTP Postfix\r\n')), frameType: 'SMTP', by: 'payload', tsharkProtocol: 'smtp',
    app: { protocol: 'smtp', code: 220, message: '220 mail.example.org ESMTP Postfix' },
    oracle: { fields: ['smtp.response.code'], check: ([c], o) => expect(o.app?.code).toBe(Number(c)) },
  },
  {
    name: 'SMTP EHLO', frame: tcpFrame(C, S, 50025, 25, text('EHLO client.example.org\r\n')), frameType: 'SMTP', by: 'payload', tsharkProtocol: 'smtp',
    app: { message: 'EHLO' },
    oracle: { fields: ['smtp.req.command'], check: ([c], o) => expect(o.app?.message).toBe(c) },
  },
  { name: 'SMTP MAIL FROM on 2526 (only SMTP has MAIL FROM:)', frame: tcpFrame(C, S, 50026, 2526, text('MAIL FROM:<a@example.org>\r\n')), frameType: 'SMTP', by: 'payload', app: { message: 'MAIL' } },
  { name: 'SMTP 354 on submission port', frame: tcpFrame(S, C, 587, 50027, text('354 End data with <CR><LF>.<CR><LF>\r\n')), frameType: 'SMTP', by: 'payload', app: { code: 354 } },
  {
    name: 'POP3 greeting', frame: tcpFrame(S, C, 110, 50110, text('+OK Dovecot ready.\r\n')), frameType: 'POP3', by: 'payload', tsharkProtocol: 'pop',
    app: { protocol: 'pop3', message: '+OK Dovecot ready.' },
    oracle: { fields: ['pop.response.indicator'], check: ([i], o) => expect(o.app?.message.startsWith(i)).toBe(true) },
  },
  {
    name: 'POP3 USER (port settles FTP vs POP3)', frame: tcpFrame(C, S, 50110, 110, text('USER bob\r\n')), frameType: 'POP3', by: 'payload', tsharkProtocol: 'pop',
    app: { message: 'USER' },
    oracle: { fields: ['pop.request.command'], check: ([c], o) => expect(o.app?.message).toBe(c) },
  },
  { name: 'USER on an unknown port is not claimed', frame: tcpFrame(C, S, 50111, 4000, text('USER bob\r\n')), frameType: 'TCP', by: 'port' },
  {
    name: 'IMAP greeting', frame: tcpFrame(S, C, 143, 50143, text('* OK [CAPABILITY IMAP4rev1 LITERAL+ STARTTLS] Dovecot ready.\r\n')), frameType: 'IMAP', by: 'payload', tsharkProtocol: 'imap',
    app: { protocol: 'imap', message: '* OK [CAPABILITY IMAP4rev1 LITERAL+ STARTTLS] Dovecot ready.' },
  },
  {
    name: 'IMAP LOGIN (verb only)', frame: tcpFrame(C, S, 50143, 143, text('a001 LOGIN bob secret\r\n')), frameType: 'IMAP', by: 'payload', tsharkProtocol: 'imap',
    app: { message: 'LOGIN' },
    oracle: { fields: ['imap.request.command'], check: ([c], o) => expect(o.app?.message).toBe(c.toUpperCase()) },
  },
  {
    name: 'IMAP tagged OK', frame: tcpFrame(S, C, 143, 50143, text('a001 OK LOGIN completed\r\n')), frameType: 'IMAP', by: 'payload', tsharkProtocol: 'imap',
    app: { message: 'OK LOGIN completed' },
    oracle: { fields: ['imap.response.status'], check: ([st], o) => expect(o.app?.message.startsWith(st.toUpperCase())).toBe(true) },
  },
  { name: 'IMAP untagged EXISTS on 1143', frame: tcpFrame(S, C, 1143, 50144, text('* 23 EXISTS\r\n')), frameType: 'IMAP', by: 'payload', app: { message: '* 23 EXISTS' } },
  {
    name: 'DHCPv6 SOLICIT', frame: udpFrame('fe80::a00:27ff:fefe:8f95', 'ff02::1:2', 546, 547, dhcpv6Solicit()), frameType: 'DHCPv6', by: 'payload', tsharkProtocol: 'dhcpv6',
    app: { protocol: 'dhcpv6', message: 'SOLICIT', code: 1 },
    oracle: { fields: ['dhcpv6.msgtype'], check: ([t], o) => expect(o.app?.code).toBe(Number(t)) },
  },
  { name: 'HTTP port, body segment', frame: tcpFrame(S, C, 80, 50080, Buffer.alloc(900, 0x41)), frameType: 'HTTP', by: 'port', app: null },
  { name: 'pure ACK on 443 stays TCP', frame: tcpFrame(C, S, 50444, 443, Buffer.alloc(0), { flags: 0x10 }), frameType: 'TCP', by: 'port' },
  { name: 'binary on an unknown TCP port stays TCP', frame: tcpFrame(C, S, 50999, 7777, Buffer.from([0x17, 0x03, 0x09, 0x00, 0x10, 1, 2, 3])), frameType: 'TCP', by: 'port' },
];

function classifyRecord(p: PacketRecord, tftp: TftpTransfers): EnrichedRecord {
  const out: EnrichedRecord = {
    packet: p, frame_type: '', frame_types: [], protocols: [], errors: [], cast: 'unicast', ch10: null, ptp: null, iena: null, app: null, classified_by: '',
  };
  const hit = p.ip_proto === 17 ? classifyUdpApp(p, out, tftp) : classifyTcpApp(p, out);
  if (!hit) {
    out.frame_type = p.ip_proto === 17 ? 'UDP' : 'TCP';
    out.classified_by = 'port';
  }
  return out;
}

describe('standard protocols on crafted traffic (tshark as oracle)', () => {
  let dir: string;
  let records: PacketRecord[];
  let outs: EnrichedRecord[];
  let oracle: Map<number, string[]>;
  const file = () => join(dir, 'standard.pcap');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamlens-standard-'));
    writePcap(file(), cases.map((c) => c.frame));
    records = (await readCaptureRecords(file())).records;
    const tftp = new TftpTransfers(16);
    outs = records.map((r) => classifyRecord(r, tftp));
  });
  afterAll(() => process.env.KEEP_PCAP ? console.log(dir) : rmSync(dir, { recursive: true, force: true }));

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i];
    const out = outs[i];
    expect(out.frame_type).toBe(c.frameType);
    if (c.frameType !== 'UDP' && c.frameType !== 'TCP') expect(out.classified_by).toBe(c.by);
    if (c.app === null) expect(out.app).toBeNull();
    else if (c.app) expect(out.app).toMatchObject(c.app);
    expect(out.errors).toEqual(c.errors ?? []);
  });

  it.runIf(hasTshark())('agrees with tshark on every protocol field and protocol name', () => {
    const fields = [...new Set(cases.flatMap((c) => c.oracle?.fields ?? []))];
    const rows = tsharkFields(file(), ['frame.protocols', ...fields]);
    expect(rows.length).toBe(cases.length);
    let compared = 0;
    cases.forEach((c, i) => {
      if (c.tsharkProtocol) expect(rows[i][0].split(':'), `${c.name}: ${rows[i][0]}`).toContain(c.tsharkProtocol);
      if (c.oracle) {
        const values = c.oracle.fields.map((f) => rows[i][1 + fields.indexOf(f)]);
        expect(values.every((v) => v !== ''), `${c.name}: tshark gave ${JSON.stringify(values)}`).toBe(true);
        c.oracle.check(values, outs[i]);
        compared++;
      }
    });
    expect(compared).toBeGreaterThanOrEqual(20);
  });
});

describe('standard protocols from the agent decoders and packet fields', () => {
  const rec = (over: Partial<PacketRecord>): PacketRecord => ({ ...emptyPacketRecord(), ip_version: 4, src_ip: Buffer.from([10, 0, 0, 1]), dst_ip: Buffer.from([10, 0, 0, 2]), ...over });

  it('DNS comes from packet.dns and beats any payload test', () => {
    const p = rec({ ip_proto: 17, src_port: 53, dst_port: 40000, payload: Buffer.alloc(40), payload_len: 40,
      dns: { is_response: true, id: 1, opcode: 0, rcode: 3, qname: 'nope.example', qtype: 1, question_count: 1, answer_count: 0, size: 40 } });
    const out = classifyRecord(p, new TftpTransfers(1));
    expect(out.frame_type).toBe('DNS');
    expect(out.app).toMatchObject({ protocol: 'dns', message: 'response', code: 3, detail: 'NXDOMAIN' });
  });

  it('HTTP comes from packet.http', () => {
    const p = rec({ ip_proto: 6, src_port: 50000, dst_port: 8081, payload: text('GET / HTTP/1.1\r\n'), payload_len: 16,
      http: { is_request: true, method: 'GET', uri: '/', version: 'HTTP/1.1', status_code: 0, reason: '', host: 'example.org' } });
    const out = classifyRecord(p, new TftpTransfers(1));
    expect(out.frame_type).toBe('HTTP');
    expect(out.app).toMatchObject({ protocol: 'http', message: 'GET', server_name: 'example.org', version: 'HTTP/1.1', code: null });
  });

  it('an empty datagram on a well-known port is plain UDP', () => {
    const out = classifyRecord(rec({ ip_proto: 17, src_port: 40000, dst_port: 161 }), new TftpTransfers(1));
    expect(out.frame_type).toBe('UDP');
  });

  it('the TFTP memory is bounded', () => {
    const t = new TftpTransfers(2);
    for (let port = 1; port <= 5; port++) t.remember(Buffer.from([10, 0, 0, 1]), port);
    expect(t.size).toBe(2);
    expect(t.evictions).toBe(3);
    expect(t.has(Buffer.from([10, 0, 0, 1]), 5)).toBe(true);
    expect(t.has(Buffer.from([10, 0, 0, 1]), 1)).toBe(false);
  });
});

describe('standard recognisers never throw on damaged input', () => {
  it('every truncation and random corruption of every crafted payload', async () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const tftp = new TftpTransfers(8);
    const payloads = await readCaptureRecordsOf(cases.map((c) => c.frame));
    for (const p of payloads) {
      const full = p.payload;
      for (let n = 0; n <= full.length; n++) {
        const cut = { ...p, payload: full.subarray(0, n) };
        expect(() => classifyRecord(cut, tftp)).not.toThrow();
      }
      for (let k = 0; k < 200; k++) {
        const b = Buffer.from(full);
        for (let j = 0; j < 1 + Math.floor(rand() * 8); j++) if (b.length) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        expect(() => classifyRecord({ ...p, payload: b }, tftp)).not.toThrow();
      }
    }
  });
});

async function readCaptureRecordsOf(frames: Buffer[]): Promise<PacketRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), 'streamlens-standard-fuzz-'));
  try {
    const f = join(dir, 'f.pcap');
    writePcap(f, frames);
    return (await readCaptureRecords(f)).records.filter((r) => r.payload.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

