/**
 * Instructions a child process executes, counted by valgrind's cachegrind
 * (no cache simulation). On a shared VM whose speed drifts by ±25 % within
 * minutes, two builds or settings compare far better by the work they do:
 * with node's --single-threaded (no concurrent compiler or collector
 * threads) repeated counts of one child agree within about 1 %.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Throws, naming what to install, unless valgrind can be run here (a benchmark's --instructions). */
export function requireValgrind(): void {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('--instructions needs valgrind (Debian: apt-get install valgrind)');
  }
}

export interface CountedRun {
  instructions: number;
  /** The child's last line of output (its JSON result). */
  lastLine: string;
}

/** Run `node nodeArgs...` under cachegrind; resolves with the instructions it executed. */
export function countInstructions(nodeArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CountedRun> {
  const argv = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--single-threaded', ...nodeArgs];
  return new Promise((resolveRun, reject) => {
    const c = spawn('valgrind', argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(err);
      if (code !== 0 || !refs) {
        reject(new Error(`valgrind ${nodeArgs.join(' ')} failed (exit ${code}): ${err.slice(-2000)}`));
        return;
      }
      resolveRun({ instructions: Number(refs[1].replace(/,/g, '')), lastLine: out.trim().split('\n').pop() ?? '' });
    });
  });
}
