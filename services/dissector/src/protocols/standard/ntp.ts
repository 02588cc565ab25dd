/**
 * NTP (RFC 5905; control mode 6 per RFC 9327; mode 7 is implementation
 * private). Byte 0 holds LI (2 bits), version (3) and mode (3). Modes 1-5
 * carry the 48-byte header (extension fields and a MAC may follow); mode 6
 * has a 12-byte header whose count must fit; mode 7 needs at least 8 bytes.
 *
 * A version nibble and a mode are no payload signature, so NTP is only tried
 * when one of the ports is 123 (and a datagram there that does not validate
 * is NTP by port, with the error `ntp.malformed`).
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { allPrintable, ipv4Text } from './ascii.js';

export const NTP_PORT = 123;

export const NTP_MODES: readonly string[] = [
  'reserved', 'symmetric active', 'symmetric passive', 'client', 'server', 'broadcast', 'control', 'private',
];
const VERSIONS: readonly string[] = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'];

/** The summary, or null when the bytes are not a well-formed NTP message. */
export function parseNtp(p: Buffer): AppInfo | null {
  if (p.length < 8) return null;
  const version = (p[0] >> 3) & 7;
  const mode = p[0] & 7;
  if (version < 1 || version > 4 || mode === 0) return null;
  if (mode === 6) {
    if (p.length < 12) return null;
    const count = p.readUInt16BE(10);
    if (12 + count > p.length) return null;
    const opcode = p[1] & 0x1f;
    return appInfo('ntp', NTP_MODES[6], 6, VERSIONS[version], null, `opcode=${opcode}${p[1] & 0x80 ? ' response' : ''}`);
  }
  if (mode === 7) return appInfo('ntp', NTP_MODES[7], 7, VERSIONS[version]);
  if (p.length < 48) return null;
  const stratum = p[1];
  let detail: string | null = null;
  if (stratum === 0) {
    // Kiss-o'-Death code (RATE, DENY, ...) when the server sends one.
    if (mode === 4 && p[12] !== 0 && allPrintable(p, 12, 16)) detail = `kiss=${p.toString('latin1', 12, 16).trim()}`;
  } else if (stratum === 1) {
    const end = p[15] === 0 ? (p[14] === 0 ? (p[13] === 0 ? 13 : 14) : 15) : 16;
    detail = `stratum=1${end > 12 && allPrintable(p, 12, end) ? ` ref=${p.toString('latin1', 12, end)}` : ''}`;
  } else if (stratum < 16) {
    detail = `stratum=${stratum} ref=${ipv4Text(p, 12)}`;
  } else {
    detail = `stratum=${stratum}`;
  }
  return appInfo('ntp', NTP_MODES[mode], mode, VERSIONS[version], null, detail);
}
