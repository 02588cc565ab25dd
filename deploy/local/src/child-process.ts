/**
 * Starting a server process that cannot outlive us.
 *
 * Each server is started with its stdin connected to a pipe we hold. The
 * ClickHouse runner ends when its stdin reaches EOF; the Kafka broker is
 * wrapped in a tiny shell guard that terminates it when the pipe closes. If
 * the test run is killed, the kernel closes our end of the pipe and the
 * servers stop on their own: no orphans, whatever happens to the parent.
 * A `detached` start (for `streamlens dev up`) skips the guard and leaves the
 * process running after we exit; it is stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, existsSync } from 'node:fs';

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** True until the process has exited. */
  alive(): boolean;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Ask it to stop (close the stdin guard, then SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr go here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep running after this process exits (no stdin guard). */
  detached?: boolean;
  /** Wrap in the shell guard that kills the process when our pipe closes (processes that do not read stdin). */
  guard?: boolean;
}

// fd 3 keeps our pipe for the watcher: a background job's stdin is /dev/null otherwise.
const GUARD = 'exec 3<&0; "$@" </dev/null 3<&- & c=$!; trap "kill -TERM $c 2>/dev/null" TERM INT; ' +
  '(cat <&3 >/dev/null; kill -TERM $c 2>/dev/null) & exec 3<&-; wait $c; s=$?; wait $c 2>/dev/null; exit $s';

export function startProcess(opts: StartOptions): ServerProcess {
  const out = openSync(opts.logFile, 'a');
  const guarded = opts.guard && !opts.detached;
  const child: ChildProcess = guarded
    ? spawn('/bin/sh', ['-c', GUARD, 'guard', opts.command, ...opts.args], {
        stdio: ['pipe', out, out], env: opts.env ?? process.env, cwd: opts.cwd,
      })
    : spawn(opts.command, opts.args, {
        stdio: [opts.detached ? 'ignore' : 'pipe', out, out], env: opts.env ?? process.env, cwd: opts.cwd,
        detached: opts.detached,
      });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      running = false;
      resolve(`spawn error: ${err.message}`);
    });
  });
  if (opts.detached) child.unref();
  return {
    name: opts.name,
    pid: child.pid,
    logFile: opts.logFile,
    alive: () => running,
    exited,
    async stop(graceMs = 15_000) {
      if (!running) return;
      child.stdin?.end();
      // A detached process leads its own process group: signal the whole group.
      const signal = (sig: NodeJS.Signals) => {
        try {
          if (opts.detached) process.kill(-child.pid!, sig);
          else child.kill(sig);
        } catch { /* already gone */ }
      };
      if (!guarded) signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log)';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

/** Poll `check` until it resolves true; fail early if the process died, or after `timeoutMs`. */
export async function waitReady(
  proc: ServerProcess, check: () => Promise<boolean>, timeoutMs: number, what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!proc.alive()) {
      const code = await proc.exited;
      throw new Error(`${what} exited (${code}) before it was ready. Log ${proc.logFile}:\n${tail(proc.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await proc.stop(2000);
  throw new Error(`${what} not ready after ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}. Log ${proc.logFile}:\n${tail(proc.logFile)}`);
}
