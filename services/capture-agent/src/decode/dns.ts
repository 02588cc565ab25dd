/**
 * DNS message summary (RFC 1035 header and first question) for UDP/TCP 53 and
 * mDNS 5353. Names follow compression pointers with loop protection: at most
 * MAX_POINTERS jumps and 255 bytes of name, as RFC 1035 limits names.
 */
import type { DnsInfo, PacketRecord } from '@streamlens/common';
import { u16 } from './byte-reads.js';
import { setError } from './record-fields.js';

const MAX_POINTERS = 32;
const MAX_NAME_BYTES = 255;

export function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353;
}

// Result side channel of readName (avoids allocating a result object per name).
let nameEnd = 0;

/**
 * Parse the message at buf[off .. off+msgLen) (bounded by what was captured);
 * `size` is the message size as sent.
 */
export function decodeDns(buf: Buffer, off: number, msgLen: number, size: number, rec: PacketRecord): void {
  let end = off + msgLen;
  if (end > buf.length) end = buf.length;
  if (end - off < 12) {
    setError(rec, 'dns.truncated');
    return;
  }
  const flags = u16(buf, off + 2);
  const questions = u16(buf, off + 4);
  const info: DnsInfo = {
    is_response: (flags & 0x8000) !== 0,
    id: u16(buf, off),
    opcode: (flags >> 11) & 0x0f,
    rcode: flags & 0x0f,
    qname: '',
    qtype: 0,
    question_count: questions,
    answer_count: u16(buf, off + 6),
    size,
  };
  rec.dns = info;
  if (questions === 0) return;
  const name = readName(buf, off, off + 12, end);
  if (name === null) {
    setError(rec, nameEnd < 0 ? 'dns.truncated' : 'dns.bad_name');
    return;
  }
  info.qname = name;
  if (end - nameEnd < 2) {
    setError(rec, 'dns.truncated');
    return;
  }
  info.qtype = u16(buf, nameEnd);
}

/**
 * The dotted name at `pos` in the message starting at `msg`, or null with
 * nameEnd = -1 (ran past `end`) or 0 (bad label, pointer loop, too long).
 * On success nameEnd is the offset just after the name in the original
 * sequence (after the first pointer, if any).
 */
function readName(buf: Buffer, msg: number, pos: number, end: number): string | null {
  let name = '';
  let bytes = 1;
  let jumps = 0;
  let after = -1;
  for (;;) {
    if (pos >= end) {
      nameEnd = -1;
      return null;
    }
    const len = buf[pos];
    if (len === 0) {
      nameEnd = after >= 0 ? after : pos + 1;
      return name;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) {
        nameEnd = -1;
        return null;
      }
      if (after < 0) after = pos + 2;
      if (++jumps > MAX_POINTERS) {
        nameEnd = 0;
        return null;
      }
      pos = msg + (((len & 0x3f) << 8) | buf[pos + 1]);
      continue;
    }
    if (kind !== 0) {
      nameEnd = 0;
      return null;
    }
    bytes += len + 1;
    if (bytes > MAX_NAME_BYTES) {
      nameEnd = 0;
      return null;
    }
    if (pos + 1 + len > end) {
      nameEnd = -1;
      return null;
    }
    const label = labelText(buf, pos + 1, pos + 1 + len);
    name = name.length === 0 ? label : `${name}.${label}`;
    pos += 1 + len;
  }
}

/**
 * A label as text: printable ASCII as is, UTF-8 runs decoded (mDNS names
 * carry UTF-8), '.' and '\' escaped with a backslash, other control bytes as
 * \DDD (RFC 1035 master-file style), so the dotted form stays unambiguous.
 */
function labelText(buf: Buffer, start: number, stop: number): string {
  let plain = true;
  for (let i = start; i < stop; i++) {
    const c = buf[i];
    if (c < 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return buf.toString('latin1', start, stop);
  let out = '';
  let i = start;
  while (i < stop) {
    const c = buf[i];
    if (c >= 0x80) {
      let j = i + 1;
      while (j < stop && buf[j] >= 0x80) j++;
      out += buf.toString('utf8', i, j);
      i = j;
      continue;
    }
    if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString().padStart(3, '0')}`;
    else out += String.fromCharCode(c);
    i++;
  }
  return out;
}
