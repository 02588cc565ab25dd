/**
 * SNMP v1 / v2c / v3 (RFC 1157, 3416, 3412) in BER. The whole structure must
 * validate (outer SEQUENCE spanning the datagram, version 0/1/3, community or
 * v3 header, a PDU tag A0-A8 ending where the message ends), which makes it a
 * payload signature on any port; UDP 161/162 is the port fallback.
 *
 * The summary never carries the community string (it is a password in v1 and
 * v2c): message = PDU name, version = v1/v2c/v3, code = PDU number (0-8),
 * detail = request id, error status when non-zero, and the varbind count.
 * Encrypted v3 messages report message "encrypted".
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { countChildren, integerValue, newTlv, readTlv, type Tlv } from './ber.js';

export const SNMP_PORTS: ReadonlySet<number> = new Set([161, 162]);

export const SNMP_PDUS: readonly string[] = [
  'GetRequest', 'GetNextRequest', 'Response', 'SetRequest', 'Trap', 'GetBulkRequest', 'InformRequest', 'SNMPv2-Trap', 'Report',
];
const VERSION_NAMES: Record<number, string> = { 0: 'v1', 1: 'v2c', 3: 'v3' };

const SEQUENCE: number = 0x30;
const INTEGER: number = 0x02;
const OCTET_STRING: number = 0x04;

/** Summarise a PDU whose TLV is `pdu`; null when its body is malformed. */
function pduSummary(p: Buffer, pdu: Tlv, version: string, t: Tlv): AppInfo | null {
  const n = pdu.tag & 0x1f;
  let off = pdu.value;
  if (n === 4) {
    // SNMPv1 Trap: enterprise, agent-addr, generic-trap, specific-trap, time-stamp, varbinds.
    for (let i = 0; i < 5; i++) {
      if (!readTlv(p, off, pdu.end, t)) return null;
      off = t.end;
    }
    if (!readTlv(p, off, pdu.end, t) || t.tag !== SEQUENCE || t.end !== pdu.end) return null;
    const varbinds = countChildren(p, t.value, t.end, newTlv());
    if (varbinds < 0) return null;
    return appInfo('snmp', SNMP_PDUS[4], 4, version, null, `varbinds=${varbinds}`);
  }
  if (!readTlv(p, off, pdu.end, t) || t.tag !== INTEGER) return null;
  const requestId = integerValue(p, t);
  if (!readTlv(p, t.end, pdu.end, t) || t.tag !== INTEGER) return null;
  const errorStatus = integerValue(p, t);
  if (!readTlv(p, t.end, pdu.end, t) || t.tag !== INTEGER) return null;
  if (!readTlv(p, t.end, pdu.end, t) || t.tag !== SEQUENCE || t.end !== pdu.end) return null;
  const varbinds = countChildren(p, t.value, t.end, newTlv());
  if (varbinds < 0) return null;
  // In GetBulk the second integer is non-repeaters, not an error status.
  const err = n !== 5 && errorStatus !== 0 ? ` error-status=${errorStatus}` : '';
  return appInfo('snmp', SNMP_PDUS[n], n, version, null, `request-id=${requestId}${err} varbinds=${varbinds}`);
}

function isPduTag(tag: number): boolean {
  return tag >= 0xa0 && tag <= 0xa8;
}

/**
 * The summary, or null when the bytes are not a well-formed SNMP message.
 * `declaredLen` is the datagram's length as sent (the payload may be cut short
 * by the capture); the message must span exactly that.
 */
export function parseSnmp(p: Buffer, declaredLen: number = p.length): AppInfo | null {
  if (p.length < 8 || p[0] !== SEQUENCE) return null;
  const t = newTlv();
  const limit = Math.max(p.length, declaredLen);
  if (!readTlv(p, 0, limit, t) || t.end !== declaredLen) return null;
  const msgEnd = Math.min(t.end, p.length);
  if (!readTlv(p, t.value, msgEnd, t) || t.tag !== INTEGER || t.end - t.value !== 1) return null;
  const version = VERSION_NAMES[p[t.value]];
  if (!version) return null;
  if (version !== 'v3') {
    if (!readTlv(p, t.end, msgEnd, t) || t.tag !== OCTET_STRING) return null;
    if (!readTlv(p, t.end, msgEnd, t) || !isPduTag(t.tag) || t.end !== msgEnd) return null;
    const pdu: Tlv = { tag: t.tag, value: t.value, end: t.end };
    return pduSummary(p, pdu, version, t);
  }
  // v3: msgGlobalData, msgSecurityParameters, msgData (ScopedPDU or encrypted OCTET STRING).
  if (!readTlv(p, t.end, msgEnd, t) || t.tag !== SEQUENCE) return null;
  if (!readTlv(p, t.end, msgEnd, t) || t.tag !== OCTET_STRING) return null;
  if (!readTlv(p, t.end, msgEnd, t) || t.end !== msgEnd) return null;
  if (t.tag === OCTET_STRING) return appInfo('snmp', 'encrypted', null, version);
  if (t.tag !== SEQUENCE) return null;
  const scopedEnd = t.end;
  if (!readTlv(p, t.value, scopedEnd, t) || t.tag !== OCTET_STRING) return null; // contextEngineID
  if (!readTlv(p, t.end, scopedEnd, t) || t.tag !== OCTET_STRING) return null; // contextName
  if (!readTlv(p, t.end, scopedEnd, t) || !isPduTag(t.tag) || t.end !== scopedEnd) return null;
  const pdu: Tlv = { tag: t.tag, value: t.value, end: t.end };
  return pduSummary(p, pdu, version, t);
}
