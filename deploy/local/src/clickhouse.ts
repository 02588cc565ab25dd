/**
 * A ClickHouse 26 server run from the engine inside the chdb npm package, for
 * tests and `streamlens dev up` on machines without Docker.
 *
 *   fetch  - nothing to download: libchdb.so comes with `npm ci` (chdb's
 *            platform package); we only locate it
 *   start  - chdb-server.py runs clickhouse-local with HTTP and TCP listeners
 *            on free loopback ports and a fresh data dir, in its own process
 *            (one data directory per process)
 *   ready  - `SELECT 1` over HTTP answers while the process is alive
 *   stop   - close its stdin: the query that holds the listeners ends and
 *            the process exits; SIGTERM/SIGKILL if it does not
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { startProcess, waitReady, type ServerProcess } from './child-process.js';

const require = createRequire(import.meta.url);
const RUNNER = fileURLToPath(new URL('../chdb-server.py', import.meta.url));

export interface LocalClickHouse {
  url: string;
  httpPort: number;
  tcpPort: number;
  dataDir: string;
  logFile: string;
  process: ServerProcess;
  stop(): Promise<void>;
}

export interface StartClickHouseOptions {
  dataDir?: string;
  /** Keep running after this process exits (dev up): stdin then comes from a FIFO we leave open. */
  detached?: boolean;
  httpPort?: number;
  tcpPort?: number;
  log?: (msg: string) => void;
  readyTimeoutMs?: number;
}

/** Path of the engine library shipped in chdb's platform package. */
export function libchdbPath(): string {
  try {
    const mod = require('chdb/libchdb') as { libchdbPath(): string };
    return mod.libchdbPath();
  } catch (err) {
    throw new Error(`the chdb package (its libchdb.so runs the local ClickHouse server) is not installed: run npm ci in the repository (${(err as Error).message})`, { cause: err });
  }
}

export async function clickhouseReady(url: string): Promise<boolean> {
  const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT 1')}`, { signal: AbortSignal.timeout(2000) });
  return res.ok && (await res.text()).trim() === '1';
}

export async function startClickHouse(opts: StartClickHouseOptions = {}): Promise<LocalClickHouse> {
  const log = opts.log ?? (() => {});
  const lib = libchdbPath();
  const ownDir = !opts.dataDir;
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'streamlens-clickhouse-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const httpPort = opts.httpPort ?? await freePort();
  const tcpPort = opts.tcpPort ?? await freePort();
  const logFile = join(dir, 'server.log');
  const runner = ['python3', RUNNER, lib, join(dir, 'data'), String(httpPort), String(tcpPort)];
  const proc = startProcess({
    name: 'clickhouse',
    // Detached, nobody holds a pipe to it: an idle `sleep` keeps its stdin open
    // until the process group is stopped.
    command: opts.detached ? '/bin/sh' : runner[0],
    args: opts.detached ? ['-c', 'sleep infinity | "$@"', 'sh', ...runner] : runner.slice(1),
    logFile,
    detached: opts.detached,
  });
  const url = `http://127.0.0.1:${httpPort}`;
  log(`ClickHouse (chdb engine) starting on ${url} (pid ${proc.pid}, data ${dir})`);
  await waitReady(proc, () => clickhouseReady(url), opts.readyTimeoutMs ?? 60_000, `ClickHouse on ${url}`);
  log(`ClickHouse ready on ${url}`);
  return {
    url, httpPort, tcpPort, dataDir: dir, logFile, process: proc,
    async stop() {
      await proc.stop();
      if (ownDir && !opts.detached) rmSync(dir, { recursive: true, force: true });
    },
  };
}
