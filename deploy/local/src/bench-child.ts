/**
 * Measured benchmark passes in child processes of their own: one pass per
 * process (no JIT feedback shared between variants), optionally pinned to a
 * core, with the parent's V8 flags (the `npm run bench:*` scripts give the
 * launcher's young-generation size).
 */
import { spawnSync } from 'node:child_process';

/** `cmd` run on CPU `cpu` through taskset (unchanged when `cpu` is undefined). */
export function pinnedCommand(cmd: string[], cpu: number | undefined): string[] {
  return cpu === undefined ? cmd : ['taskset', '-c', String(cpu), ...cmd];
}

/** Run `script args` in a fresh Node process; its last line of output is the JSON result. */
export function benchChild<T>(script: string, args: string[], cpu: number | undefined): T {
  const cmd = pinnedCommand([process.execPath, ...process.execArgv, script, ...args], cpu);
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
