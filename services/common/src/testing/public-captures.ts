/**
 * Where tests find the public captures (provenance and licences in
 * test/fixtures/captures/README.md): the repository's copy first, then
 * $STREAMLENS_CAPTURES_DIR, then the team's shared folder. The one file whose
 * licence keeps it out of the repository (the scapy-gptp pcapng) is found only
 * in the latter two; tests that need it skip when it is absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/captures in this repository (same depth from src/ and dist/). */
export const CAPTURES_DIR = fileURLToPath(new URL('../../../../test/fixtures/captures/', import.meta.url));

const SHARED = '/work/shared/captures';

/** Path of a public capture by its path under the captures folder (e.g. "ptp/tcpdump_ptp.pcap"), or null. */
export function publicCapture(relPath: string): string | null {
  const candidates = [join(CAPTURES_DIR, relPath)];
  if (process.env.STREAMLENS_CAPTURES_DIR) candidates.push(join(process.env.STREAMLENS_CAPTURES_DIR, relPath));
  // STREAMLENS_NO_SHARED_CAPTURES=1 runs the tests as a machine without the shared folder would.
  if (process.env.STREAMLENS_NO_SHARED_CAPTURES !== '1') candidates.push(join(SHARED, relPath));
  return candidates.find((p) => existsSync(p)) ?? null;
}
