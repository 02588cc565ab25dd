/**
 * Run tshark as an oracle: one row per frame, the requested fields in order,
 * repeated occurrences joined with ';'. tshark is a test dependency
 * (installed by .ci/run); a missing tshark fails the test loudly.
 */
import { execFileSync } from 'node:child_process';

export function tsharkFields(file: string, fields: readonly string[]): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=;'];
  for (const f of ['frame.number', ...fields]) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}
