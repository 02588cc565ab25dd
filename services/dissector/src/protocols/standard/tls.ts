/**
 * TLS records (RFC 5246, 8446) over TCP. A segment that starts with a record
 * header (content type 20-24, version 3.0-3.4, length 1..2^14+2048) is TLS on
 * any port; a segment in the middle of a record is TLS only by port.
 *
 * Frame type (decided in one place, docs/frame-types.md): `HTTPS` when either
 * port is 443 or 8443, `TLS` on any other port. The port, not the payload,
 * decides so that every segment of one connection gets the same frame type
 * (ALPN is visible only in the hellos, and not at all in a TLS 1.3 server's).
 *
 * Summary of the first record in the segment: message = handshake message
 * name (ClientHello, ServerHello, Certificate, ...; EncryptedHandshake once
 * the handshake is encrypted) or the record kind (ApplicationData, Alert,
 * ChangeCipherSpec, Heartbeat); code = handshake type, else content type;
 * version = negotiated/offered version (supported_versions wins over the
 * legacy fields); server_name = SNI of a ClientHello; detail = ALPN list.
 * A ClientHello cut by the segment boundary yields what the segment holds.
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { allPrintable } from './ascii.js';

export const HTTPS_PORTS: ReadonlySet<number> = new Set([443, 8443]);

const MAX_RECORD = 16384 + 2048;
const CONTENT_TYPES: Record<number, string> = {
  20: 'ChangeCipherSpec', 21: 'Alert', 22: 'Handshake', 23: 'ApplicationData', 24: 'Heartbeat',
};
const HANDSHAKE_TYPES: Record<number, string> = {
  0: 'HelloRequest', 1: 'ClientHello', 2: 'ServerHello', 3: 'HelloVerifyRequest', 4: 'NewSessionTicket',
  5: 'EndOfEarlyData', 8: 'EncryptedExtensions', 11: 'Certificate', 12: 'ServerKeyExchange',
  13: 'CertificateRequest', 14: 'ServerHelloDone', 15: 'CertificateVerify', 16: 'ClientKeyExchange',
  20: 'Finished', 22: 'CertificateStatus', 24: 'KeyUpdate', 25: 'CompressedCertificate', 254: 'MessageHash',
};

export function tlsVersionName(v: number): string | null {
  switch (v) {
    case 0x0300: return 'SSL 3.0';
    case 0x0301: return 'TLS 1.0';
    case 0x0302: return 'TLS 1.1';
    case 0x0303: return 'TLS 1.2';
    case 0x0304: return 'TLS 1.3';
    default: return null;
  }
}

function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

/** The segment starts with a plausible TLS record header. */
export function isTlsRecord(p: Buffer): boolean {
  if (p.length < 5) return false;
  const type = p[0];
  if (type < 20 || type > 24 || p[1] !== 3 || p[2] > 4) return false;
  const len = p.readUInt16BE(3);
  if (len === 0 || len > MAX_RECORD) return false;
  if (type === 22 && p.length >= 6 && len >= 4) {
    // A plaintext hello must fit its record; an encrypted handshake has no such structure.
    const hs = p[5];
    if ((hs === 1 || hs === 2) && p.length >= 9 && p.readUIntBE(6, 3) + 4 > len) return false;
  }
  return true;
}

interface HelloFields {
  version: number;
  sni: string | null;
  alpn: string | null;
}

/** Walk a ClientHello/ServerHello body from `off` (after the 4-byte handshake header) to `end`. */
function readHello(p: Buffer, off: number, end: number, client: boolean, out: HelloFields): void {
  if (off + 34 > end) return;
  out.version = p.readUInt16BE(off);
  let i = off + 34; // legacy_version + random
  if (i + 1 > end) return;
  i += 1 + p[i]; // session id
  if (client) {
    if (i + 2 > end) return;
    i += 2 + p.readUInt16BE(i); // cipher suites
    if (i + 1 > end) return;
    i += 1 + p[i]; // compression methods
  } else {
    i += 3; // cipher suite + compression method
  }
  if (i + 2 > end) return;
  const extEnd = Math.min(end, i + 2 + p.readUInt16BE(i));
  i += 2;
  while (i + 4 <= extEnd) {
    const type = p.readUInt16BE(i);
    const len = p.readUInt16BE(i + 2);
    const v = i + 4;
    const vEnd = v + len;
    if (vEnd > extEnd) return; // cut by the segment: keep what was read
    if (type === 0 && client && len >= 5) {
      // server_name: list length, name type 0 (host_name), name length, name
      const nameLen = p.readUInt16BE(v + 3);
      if (p[v + 2] === 0 && v + 5 + nameLen <= vEnd && nameLen > 0 && allPrintable(p, v + 5, v + 5 + nameLen)) {
        out.sni = p.toString('latin1', v + 5, v + 5 + nameLen);
      }
    } else if (type === 16 && len >= 2) {
      let alpn = '';
      for (let j = v + 2; j < vEnd; ) {
        const n = p[j];
        if (j + 1 + n > vEnd || !allPrintable(p, j + 1, j + 1 + n)) break;
        alpn += (alpn ? ',' : '') + p.toString('latin1', j + 1, j + 1 + n);
        j += 1 + n;
      }
      if (alpn) out.alpn = alpn;
    } else if (type === 43) {
      if (client && len >= 3) {
        let best = 0;
        for (let j = v + 1; j + 2 <= Math.min(vEnd, v + 1 + p[v]); j += 2) {
          const ver = p.readUInt16BE(j);
          if (!isGrease(ver) && ver > best && ver <= 0x0304) best = ver;
        }
        if (best) out.version = best;
      } else if (!client && len === 2) {
        out.version = p.readUInt16BE(v);
      }
    }
    i = vEnd;
  }
}

/** Summary of the first record of a segment that passed isTlsRecord. */
export function parseTls(p: Buffer): AppInfo {
  const type = p[0];
  const recordVersion = p.readUInt16BE(1);
  const len = p.readUInt16BE(3);
  if (type !== 22 || p.length < 9 || len < 4) {
    return appInfo('tls', CONTENT_TYPES[type], type, tlsVersionName(recordVersion));
  }
  const hs = p[5];
  const hsLen = p.readUIntBE(6, 3);
  const name = HANDSHAKE_TYPES[hs];
  // After ChangeCipherSpec (TLS 1.2) the Finished message is encrypted: its first byte is noise.
  if (!name || hsLen + 4 > len) return appInfo('tls', 'EncryptedHandshake', 22, tlsVersionName(recordVersion));
  if (hs !== 1 && hs !== 2) return appInfo('tls', name, hs, tlsVersionName(recordVersion));
  const fields: HelloFields = { version: recordVersion, sni: null, alpn: null };
  const end = Math.min(p.length, 5 + len, 9 + hsLen);
  readHello(p, 9, end, hs === 1, fields);
  return appInfo('tls', name, hs, tlsVersionName(fields.version), fields.sni, fields.alpn ? `alpn=${fields.alpn}` : null);
}
