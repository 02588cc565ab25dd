/**
 * SSH identification string (RFC 4253 §4.2): "SSH-protoversion-softwareversion
 * [SP comments] CR LF", at the start of each side's stream. It is a payload
 * signature on any port; the binary packets that follow are SSH by port 22.
 *
 * Summary: message "banner", version = protoversion (2.0, 1.99),
 * detail = software version (comments dropped).
 */
import type { AppInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';
import { firstLineEnd, safeText } from './ascii.js';

export const SSH_PORT = 22;
const MAX_BANNER = 255;

/** The segment starts with an SSH identification line. */
export function isSshBanner(p: Buffer): boolean {
  return p.length >= 8 && p[0] === 0x53 && p[1] === 0x53 && p[2] === 0x48 && p[3] === 0x2d && firstLineEnd(p, MAX_BANNER) > 5;
}

export function parseSshBanner(p: Buffer): AppInfo {
  const end = firstLineEnd(p, MAX_BANNER);
  let dash = -1;
  for (let i = 4; i < end; i++) {
    if (p[i] === 0x2d) {
      dash = i;
      break;
    }
  }
  const version = safeText(p, 4, dash > 0 ? dash : end, 16);
  let detail: string | null = null;
  if (dash > 0) {
    let stop = end;
    for (let i = dash + 1; i < end; i++) {
      if (p[i] === 0x20) {
        stop = i;
        break;
      }
    }
    if (stop > dash + 1) detail = safeText(p, dash + 1, stop, 100);
  }
  return appInfo('ssh', 'banner', null, version, null, detail);
}
