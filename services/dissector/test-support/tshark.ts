/** tshark as a test oracle: one row of field values per frame. */
import { execFileSync, spawnSync } from 'node:child_process';

export function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `tshark -r file -T fields -e f1 -e f2 ...`: for every frame, the values of
 * each field (occurrences joined with ','; '' when absent).
 */
export function tsharkFields(file: string, fields: string[], extraArgs: string[] = []): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', [...args, ...extraArgs], { encoding: 'utf8', maxBuffer: 256 << 20 });
  // A capture cut mid-packet makes tshark exit non-zero after printing every complete frame.
  if (r.status !== 0 && !(r.stdout && /cut short|appears to have been cut/.test(r.stderr))) {
    throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  }
  const out = r.stdout;
  return out.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').map((l) => l.split('\t'));
}
