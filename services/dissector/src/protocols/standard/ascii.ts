/**
 * Byte-level tests for the text protocols (SSH banner, FTP/SMTP/POP3/IMAP
 * lines, TFTP names): they look at bytes and build a string only for what
 * goes on the record.
 */

/** Printable ASCII or a tab. */
export function isPrintable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09;
}

/**
 * End of the first line (index of its CR, or of LF when there is no CR)
 * within the first `max` bytes, when every byte before it is printable;
 * -1 when there is no complete printable line there.
 */
export function firstLineEnd(buf: Buffer, max: number): number {
  const n = Math.min(buf.length, max);
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === 0x0a) return i > 0 && buf[i - 1] === 0x0d ? i - 1 : i;
    if (b === 0x0d) {
      if (i + 1 < buf.length && buf[i + 1] === 0x0a) return i;
      return -1;
    }
    if (!isPrintable(b)) return -1;
  }
  return -1;
}

/** Index of the first NUL at or after `from` (before `end`), or -1. */
export function indexOfNul(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === 0) return i;
  return -1;
}

/** Every byte in [from, end) is printable ASCII. */
export function allPrintable(buf: Buffer, from: number, end: number): boolean {
  for (let i = from; i < end; i++) if (!isPrintable(buf[i])) return false;
  return true;
}

/** Text of [from, end), at most `cap` characters, non-printables replaced by '.'. */
export function safeText(buf: Buffer, from: number, end: number, cap: number): string {
  const stop = Math.min(end, from + cap, buf.length);
  if (allPrintable(buf, from, stop)) return buf.toString('latin1', from, stop);
  let s = '';
  for (let i = from; i < stop; i++) s += isPrintable(buf[i]) ? String.fromCharCode(buf[i]) : '.';
  return s;
}

/** Colon-separated lowercase hex of a 48-bit MAC held in 6 bytes at `off`. */
export function macText(buf: Buffer, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + HEX2[buf[off + i]];
  return s;
}

/** Dotted IPv4 address of the 4 bytes at `off`. */
export function ipv4Text(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
