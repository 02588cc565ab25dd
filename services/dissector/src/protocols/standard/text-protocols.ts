/**
 * The line-based mail and file-transfer protocols: FTP (RFC 959), SMTP
 * (RFC 5321), POP3 (RFC 1939), IMAP (RFC 9051). A segment counts only when
 * it starts with a complete printable line. The line makes a set of
 * candidate protocols:
 *
 *   "NNN text" / "NNN-text" reply     FTP or SMTP; "SMTP"/"ESMTP" or an enhanced
 *                                     status code (2.1.0) in the text means SMTP,
 *                                     "FTP" means FTP, and codes only one of them
 *                                     uses (354, 334, 235 / 150, 226, 227, 331, ...)
 *   "+OK" / "-ERR"                    POP3
 *   "* <keyword>" untagged response    IMAP
 *   "+ " continuation                 IMAP or POP3 (SASL)
 *   "<VERB> ..." command              the protocols defining that verb (USER is FTP
 *                                     and POP3; EHLO only SMTP; MAIL FROM:/RCPT TO:
 *                                     only SMTP)
 *   "<tag> <IMAP command or OK/NO/BAD>" IMAP
 *
 * One candidate decides; several are settled by the port (21 FTP; 25, 587,
 * 2525 SMTP; 110 POP3; 143 IMAP); otherwise the segment is not
 * claimed by payload and the port fallback applies.
 *
 * Summary: commands give only their verb (never arguments: USER/PASS/LOGIN/AUTH
 * carry credentials); server lines give the line, cut at 120 characters;
 * code = the FTP/SMTP reply code.
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { firstLineEnd, safeText } from './ascii.js';

const FTP = 1;
const SMTP = 2;
const POP3 = 4;
const IMAP = 8;

export type TextProtocol = 'ftp' | 'smtp' | 'pop3' | 'imap';

const MAX_LINE = 512;
const SHOWN = 120;

const VERBS = new Map<string, number>();
function verbs(mask: number, list: string): void {
  for (const v of list.split(' ')) VERBS.set(v, (VERBS.get(v) ?? 0) | mask);
}
verbs(FTP, 'USER PASS ACCT CWD CDUP SMNT QUIT REIN PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO ABOR ' +
  'DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP FEAT OPTS AUTH PBSZ PROT CCC EPSV EPRT MDTM SIZE MLSD MLST ' +
  'XPWD XCWD XMKD XRMD LANG ADAT MIC CONF ENC HOST');
verbs(SMTP, 'HELO EHLO MAIL RCPT DATA RSET VRFY EXPN HELP NOOP QUIT STARTTLS AUTH BDAT ETRN');
verbs(POP3, 'USER PASS APOP STAT LIST RETR DELE NOOP RSET QUIT TOP UIDL CAPA STLS AUTH UTF8');

const IMAP_COMMANDS = new Set((
  'CAPABILITY NOOP LOGOUT STARTTLS AUTHENTICATE LOGIN SELECT EXAMINE CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE ' +
  'LIST LSUB NAMESPACE STATUS APPEND IDLE CHECK CLOSE UNSELECT EXPUNGE SEARCH FETCH STORE COPY MOVE UID ENABLE ID ' +
  'GETQUOTA GETQUOTAROOT SETQUOTA GETACL SETACL MYRIGHTS SORT THREAD COMPRESS OK NO BAD').split(' '));
const IMAP_UNTAGGED = new Set((
  'OK NO BAD PREAUTH BYE CAPABILITY LIST LSUB STATUS SEARCH ESEARCH FLAGS ENABLED NAMESPACE ID QUOTA QUOTAROOT ' +
  'ACL MYRIGHTS SORT THREAD').split(' '));
const IMAP_COUNTED = new Set(['EXISTS', 'RECENT', 'EXPUNGE', 'FETCH']);

const FTP_ONLY_CODES = new Set([110, 120, 125, 150, 212, 213, 215, 225, 226, 227, 228, 229, 230, 232, 234, 257, 331, 332, 350, 425, 426, 430, 532]);
const SMTP_ONLY_CODES = new Set([235, 251, 252, 334, 354, 455, 555]);

const PORT_PROTOCOL = new Map<number, number>([
  [21, FTP], [25, SMTP], [587, SMTP], [2525, SMTP], [110, POP3], [143, IMAP],
]);

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** End of the token starting at `from` (space or line end), or -1 when longer than `max`. */
function tokenEnd(p: Buffer, from: number, end: number, max: number): number {
  for (let i = from; i < end; i++) {
    if (p[i] === 0x20) return i;
    if (i - from >= max) return -1;
  }
  return end - from > max ? -1 : end;
}

/** The token in [from, to) upper-cased when it is letters only (1-12 of them), else null. */
function word(p: Buffer, from: number, to: number): string | null {
  if (to <= from || to - from > 12) return null;
  for (let i = from; i < to; i++) if (!isAlpha(p[i])) return null;
  return p.toString('latin1', from, to).toUpperCase();
}

function containsWord(p: Buffer, from: number, to: number, w: string): boolean {
  return p.toString('latin1', from, to).toUpperCase().includes(w);
}

function pick(mask: number, srcPort: number, dstPort: number): number {
  if ((mask & (mask - 1)) === 0) return mask;
  const a = (PORT_PROTOCOL.get(dstPort) ?? 0) & mask;
  if (a) return a;
  return (PORT_PROTOCOL.get(srcPort) ?? 0) & mask;
}

function name(bit: number): TextProtocol {
  return bit === FTP ? 'ftp' : bit === SMTP ? 'smtp' : bit === POP3 ? 'pop3' : 'imap';
}

export interface TextMatch {
  protocol: TextProtocol;
  app: AppInfo;
}

/** Recognise a TCP segment of FTP/SMTP/POP3/IMAP control traffic; null when it is none or ambiguous. */
export function parseTextProtocol(p: Buffer, srcPort: number, dstPort: number): TextMatch | null {
  if (p.length < 2) return null;
  const b0 = p[0];
  if (!isAlpha(b0) && !isDigit(b0) && b0 !== 0x2b && b0 !== 0x2d && b0 !== 0x2a) return null;
  const end = firstLineEnd(p, MAX_LINE);
  if (end < 1) return null;

  // Replies: three digits, then space, dash or the line end.
  if (end >= 3 && isDigit(b0) && isDigit(p[1]) && isDigit(p[2]) && (end === 3 || p[3] === 0x20 || p[3] === 0x2d)) {
    const code = (b0 - 0x30) * 100 + (p[1] - 0x30) * 10 + (p[2] - 0x30);
    if (code < 100 || code > 599) return null;
    let mask = FTP | SMTP;
    if (containsWord(p, 4, end, 'SMTP')) mask = SMTP;
    else if (containsWord(p, 4, end, 'FTP')) mask = FTP;
    else if (end >= 9 && isDigit(p[4]) && p[5] === 0x2e && isDigit(p[6])) mask = SMTP; // enhanced status 2.1.0
    else if (FTP_ONLY_CODES.has(code)) mask = FTP;
    else if (SMTP_ONLY_CODES.has(code)) mask = SMTP;
    const bit = pick(mask, srcPort, dstPort);
    if (!bit) return null;
    return { protocol: name(bit), app: appInfo(name(bit), safeText(p, 0, end, SHOWN), code) };
  }
  // POP3 status.
  if ((b0 === 0x2b && end >= 3 && p[1] === 0x4f && p[2] === 0x4b) || (b0 === 0x2d && end >= 4 && p[1] === 0x45 && p[2] === 0x52 && p[3] === 0x52)) {
    return { protocol: 'pop3', app: appInfo('pop3', safeText(p, 0, end, SHOWN)) };
  }
  // Continuation request: IMAP, or a POP3 SASL challenge.
  if (b0 === 0x2b && (end === 1 || p[1] === 0x20)) {
    const bit = pick(IMAP | POP3, srcPort, dstPort);
    if (!bit) return null;
    return { protocol: name(bit), app: appInfo(name(bit), '+') };
  }
  // IMAP untagged response.
  if (b0 === 0x2a) {
    if (end < 3 || p[1] !== 0x20) return null;
    const t1 = tokenEnd(p, 2, end, 16);
    if (t1 < 0) return null;
    const first = word(p, 2, t1);
    let ok = first !== null && IMAP_UNTAGGED.has(first);
    if (!ok && t1 > 2 && isDigit(p[2]) && t1 < end) {
      const t2 = tokenEnd(p, t1 + 1, end, 12);
      const second = t2 > 0 ? word(p, t1 + 1, t2) : null;
      ok = second !== null && IMAP_COUNTED.has(second);
    }
    return ok ? { protocol: 'imap', app: appInfo('imap', safeText(p, 0, end, SHOWN)) } : null;
  }
  // A command verb of FTP/SMTP/POP3.
  const t1 = tokenEnd(p, 0, end, 32);
  if (t1 < 1) return null;
  const verb = word(p, 0, t1);
  if (verb !== null) {
    let mask = VERBS.get(verb) ?? 0;
    if (verb === 'MAIL' || verb === 'RCPT') {
      mask = containsWord(p, t1, Math.min(end, t1 + 6), verb === 'MAIL' ? ' FROM:' : ' TO:') ? SMTP : 0;
    }
    if (mask) {
      const bit = pick(mask, srcPort, dstPort);
      if (!bit) return null;
      return { protocol: name(bit), app: appInfo(name(bit), verb) };
    }
  }
  // IMAP tagged command or response: "<tag> <COMMAND|OK|NO|BAD> ...".
  if (t1 < end && t1 <= 32) {
    for (let i = 0; i < t1; i++) {
      const b = p[i];
      if (!isAlpha(b) && !isDigit(b) && b !== 0x2e && b !== 0x5f && b !== 0x2d) return null;
    }
    const t2 = tokenEnd(p, t1 + 1, end, 16);
    const cmd = t2 > 0 ? word(p, t1 + 1, t2) : null;
    if (cmd !== null && IMAP_COMMANDS.has(cmd)) {
      const response = cmd === 'OK' || cmd === 'NO' || cmd === 'BAD';
      return { protocol: 'imap', app: appInfo('imap', response ? safeText(p, t1 + 1, end, SHOWN) : cmd) };
    }
  }
  return null;
}
