/**
 * HTTP/1.x start line and Host header of a TCP segment that begins with a
 * request method or "HTTP/1.". Text is read as latin1 (one character per
 * byte, never a decoding error). Only the captured bytes are scanned.
 */
import type { HttpInfo, PacketRecord } from '@streamlens/common';
import { setError } from './record-fields.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'].map((m) => Buffer.from(`${m} `, 'latin1'));
const RESPONSE = Buffer.from('HTTP/1.', 'latin1');

/** Methods by first byte, so most segments are rejected with one lookup. */
const BY_FIRST: Buffer[][] = Array.from({ length: 256 }, () => []);
for (const m of METHODS) BY_FIRST[m[0]].push(m);
BY_FIRST[RESPONSE[0]].push(RESPONSE);

function startsWith(p: Buffer, prefix: Buffer): boolean {
  if (p.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (p[i] !== prefix[i]) return false;
  return true;
}

/** The length of the method/"HTTP/1." prefix the segment starts with, or 0. */
function matchPrefix(p: Buffer): number {
  const candidates = BY_FIRST[p[0]];
  for (let i = 0; i < candidates.length; i++) if (startsWith(p, candidates[i])) return candidates[i].length;
  return 0;
}

export function startsLikeHttp(p: Buffer): boolean {
  return p.length > 0 && BY_FIRST[p[0]].length > 0 && matchPrefix(p) > 0;
}

/** startsLikeHttp of the `n` bytes at b[at] (no view made). */
export function startsLikeHttpAt(b: Buffer, at: number, n: number): boolean {
  if (n <= 0) return false;
  const candidates = BY_FIRST[b[at]];
  for (let c = 0; c < candidates.length; c++) {
    const m = candidates[c];
    if (n < m.length) continue;
    let i = 1;
    while (i < m.length && b[at + i] === m[i]) i++;
    if (i === m.length) return true;
  }
  return false;
}

/** Index of the next LF at or after `from`, or -1. */
function lineEnd(p: Buffer, from: number): number {
  return p.indexOf(0x0a, from);
}

/** End of line content (drops a CR before the LF). */
function contentEnd(p: Buffer, from: number, lf: number): number {
  return lf > from && p[lf - 1] === 0x0d ? lf - 1 : lf;
}

export function decodeHttp(p: Buffer, rec: PacketRecord): void {
  const lf = lineEnd(p, 0);
  const stop = lf < 0 ? p.length : contentEnd(p, 0, lf);
  const info: HttpInfo = { is_request: true, method: '', uri: '', version: '', status_code: 0, reason: '', host: '' };
  rec.http = info;
  if (p[0] === RESPONSE[0] && startsWith(p, RESPONSE)) {
    info.is_request = false;
    const sp1 = p.indexOf(0x20, 0);
    if (sp1 < 0 || sp1 > stop) {
      info.version = p.toString('latin1', 0, stop);
      setError(rec, lf < 0 ? 'http.truncated' : 'http.bad_start_line');
      return;
    }
    info.version = p.toString('latin1', 0, sp1);
    let sp2 = p.indexOf(0x20, sp1 + 1);
    if (sp2 < 0 || sp2 > stop) sp2 = stop;
    let code = 0;
    let ok = sp2 - sp1 - 1 === 3;
    for (let i = sp1 + 1; i < sp2 && ok; i++) {
      const d = p[i] - 0x30;
      if (d < 0 || d > 9) ok = false;
      code = code * 10 + d;
    }
    if (!ok) {
      setError(rec, lf < 0 && sp2 === stop ? 'http.truncated' : 'http.bad_start_line');
      return;
    }
    info.status_code = code;
    if (sp2 < stop) info.reason = p.toString('latin1', sp2 + 1, stop);
    if (lf < 0) setError(rec, 'http.truncated');
    return;
  }
  const methodEnd = matchPrefix(p) - 1;
  info.method = p.toString('latin1', 0, methodEnd);
  let sp2 = p.indexOf(0x20, methodEnd + 1);
  if (sp2 < 0 || sp2 > stop) {
    info.uri = p.toString('latin1', methodEnd + 1, stop);
    setError(rec, lf < 0 ? 'http.truncated' : 'http.bad_start_line');
    return;
  }
  info.uri = p.toString('latin1', methodEnd + 1, sp2);
  info.version = p.toString('latin1', sp2 + 1, stop);
  if (lf < 0) {
    setError(rec, 'http.truncated');
    return;
  }
  if (!info.version.startsWith('HTTP/')) {
    setError(rec, 'http.bad_start_line');
    return;
  }
  info.host = findHost(p, lf + 1);
}

/** Value of the first Host header, scanning header lines until the blank line or the captured end. */
function findHost(p: Buffer, from: number): string {
  let pos = from;
  while (pos < p.length) {
    const lf = lineEnd(p, pos);
    const stop = lf < 0 ? p.length : contentEnd(p, pos, lf);
    if (stop === pos) return '';
    if (stop - pos >= 5 && (p[pos] | 0x20) === 0x68 && (p[pos + 1] | 0x20) === 0x6f && (p[pos + 2] | 0x20) === 0x73 &&
        (p[pos + 3] | 0x20) === 0x74 && p[pos + 4] === 0x3a) {
      let a = pos + 5;
      let b = stop;
      while (a < b && (p[a] === 0x20 || p[a] === 0x09)) a++;
      while (b > a && (p[b - 1] === 0x20 || p[b - 1] === 0x09)) b--;
      return p.toString('latin1', a, b);
    }
    if (lf < 0) return '';
    pos = lf + 1;
  }
  return '';
}
