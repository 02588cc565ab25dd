/**
 * Telnet (RFC 854/855): a segment that starts with an IAC option negotiation
 * (IAC WILL/WONT/DO/DONT <option>) or an IAC SB sub-negotiation of a known
 * option is Telnet on any port; the typed text that follows is Telnet by
 * port 23.
 *
 * Summary: message = the first command and option ("DO TERMINAL-TYPE"),
 * code = the command byte (250-254).
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

export const TELNET_PORT = 23;
const IAC = 0xff;
const SB = 250;

const COMMANDS: Record<number, string> = { 250: 'SB', 251: 'WILL', 252: 'WONT', 253: 'DO', 254: 'DONT' };
/** Assigned option names (IANA telnet-options); unlisted codes print as numbers. */
const OPTIONS: Record<number, string> = {
  0: 'BINARY', 1: 'ECHO', 3: 'SUPPRESS-GO-AHEAD', 5: 'STATUS', 6: 'TIMING-MARK', 24: 'TERMINAL-TYPE',
  25: 'END-OF-RECORD', 31: 'NAWS', 32: 'TERMINAL-SPEED', 33: 'REMOTE-FLOW-CONTROL', 34: 'LINEMODE',
  35: 'X-DISPLAY-LOCATION', 36: 'ENVIRON', 37: 'AUTHENTICATION', 38: 'ENCRYPT', 39: 'NEW-ENVIRON',
  40: 'TN3270E', 42: 'CHARSET', 44: 'COM-PORT-OPTION', 47: 'KERMIT', 255: 'EXOPL',
};

/** Options 0-49 are assigned by IANA, plus 138-140 and EXOPL (255). */
function isKnownOption(o: number): boolean {
  return o <= 49 || (o >= 138 && o <= 140) || o === 255;
}

export function isTelnetNegotiation(p: Buffer): boolean {
  return p.length >= 3 && p[0] === IAC && p[1] >= SB && p[1] <= 254 && isKnownOption(p[2]);
}

export function parseTelnet(p: Buffer): AppInfo {
  const cmd = p[1];
  const opt = p[2];
  return appInfo('telnet', `${COMMANDS[cmd]} ${OPTIONS[opt] ?? String(opt)}`, cmd);
}
