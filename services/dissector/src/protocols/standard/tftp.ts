/**
 * TFTP (RFC 1350, options RFC 2347). A read or write request (opcode 1/2,
 * a printable file name, NUL, a mode of netascii/octet/mail, NUL, optional
 * option pairs) is a payload signature on any port. DATA (3), ACK (4),
 * ERROR (5) and OACK (6) are too short and plain to be recognised by content
 * alone, and the transfer itself runs between two ephemeral ports; they count
 * as TFTP when one port is 69 or the datagram belongs to a transfer this
 * worker saw requested (TftpTransfers, a bounded memory of client endpoints).
 *
 * Summary: message = opcode name, code = opcode, detail = file name and mode
 * for requests, block number for DATA/ACK, error code and text for ERROR.
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { BoundedMap } from '../../bounded-map.js';
import { allPrintable, indexOfNul, safeText } from './ascii.js';

export const TFTP_PORT = 69;
export const TFTP_OPCODES: readonly string[] = ['', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'];

function isMode(p: Buffer, from: number, to: number): boolean {
  const n = to - from;
  if (n !== 8 && n !== 5 && n !== 4) return false;
  const m = p.toString('latin1', from, to).toLowerCase();
  return m === 'netascii' || m === 'octet' || m === 'mail';
}

/** A read/write request: the strong, any-port signature. */
export function isTftpRequest(p: Buffer): boolean {
  if (p.length < 9 || p[0] !== 0 || (p[1] !== 1 && p[1] !== 2)) return false;
  const nameEnd = indexOfNul(p, 2, p.length);
  if (nameEnd <= 2 || nameEnd - 2 > 512 || !allPrintable(p, 2, nameEnd)) return false;
  const modeEnd = indexOfNul(p, nameEnd + 1, p.length);
  return modeEnd > nameEnd + 1 && isMode(p, nameEnd + 1, modeEnd);
}

/** DATA/ACK/ERROR/OACK whose layout is consistent (for port-69 or known-transfer datagrams). */
export function isTftpTransferPacket(p: Buffer): boolean {
  if (p.length < 4 || p[0] !== 0) return false;
  switch (p[1]) {
    case 3:
      return p.length <= 4 + 65464; // blksize option allows up to 65464 data bytes
    case 4:
      return p.length === 4;
    case 5: {
      if (p.readUInt16BE(2) > 8 || p.length < 5) return false;
      const end = indexOfNul(p, 4, p.length);
      return end >= 4 && allPrintable(p, 4, end);
    }
    case 6: {
      const end = p.length;
      if (p[end - 1] !== 0) return false;
      return allPrintable(p, 2, end - 1) || nulSeparatedPrintable(p, 2, end - 1);
    }
    default:
      return false;
  }
}

function nulSeparatedPrintable(p: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (p[i] !== 0 && !(p[i] >= 0x20 && p[i] <= 0x7e)) return false;
  return true;
}

/** Summary of a datagram that passed isTftpRequest or isTftpTransferPacket. */
export function parseTftp(p: Buffer): AppInfo {
  const op = p[1];
  const name = TFTP_OPCODES[op] ?? `OP-${op}`;
  let detail: string | null = null;
  if (op === 1 || op === 2) {
    const nameEnd = indexOfNul(p, 2, p.length);
    const modeEnd = indexOfNul(p, nameEnd + 1, p.length);
    detail = `${safeText(p, 2, nameEnd, 200)} ${p.toString('latin1', nameEnd + 1, modeEnd).toLowerCase()}`;
  } else if (op === 3 || op === 4) {
    detail = `block=${p.readUInt16BE(2)}`;
  } else if (op === 5) {
    const end = indexOfNul(p, 4, p.length);
    detail = `error=${p.readUInt16BE(2)}${end > 4 ? ` ${safeText(p, 4, end, 120)}` : ''}`;
  }
  return appInfo('tftp', name, op, null, null, detail);
}

/**
 * Client endpoints (address + port) that sent a read/write request, so the
 * transfer's datagrams between ephemeral ports are recognised. Bounded: the
 * least recently used endpoint is forgotten first.
 */
export class TftpTransfers {
  private readonly endpoints: BoundedMap<string, true>;

  constructor(capacity: number) {
    this.endpoints = new BoundedMap(capacity);
  }

  private static key(ip: Buffer, port: number): string {
    return `${ip.toString('hex')}/${port}`;
  }

  remember(ip: Buffer, port: number): void {
    this.endpoints.set(TftpTransfers.key(ip, port), true);
  }

  has(ip: Buffer, port: number): boolean {
    return this.endpoints.size > 0 && this.endpoints.has(TftpTransfers.key(ip, port));
  }

  get size(): number {
    return this.endpoints.size;
  }

  get evictions(): number {
    return this.endpoints.evictions;
  }
}
