/**
 * `streamlens run` through the real CLI: live capture on loopback (traffic the
 * test sends itself), the embedded pipeline, the store and the summary; it
 * stops on SIGINT with exit 0 and every frame stored once.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-run-'));
const root = process.getuid?.() === 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streamlens run', () => {
  it.skipIf(!root)('captures live on lo into the store until SIGINT', async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const run = spawn(process.execPath, [BIN, 'run', '--iface', 'lo', '--filter', `udp port ${port}`, '--data-dir', join(dir, 'store'),
      '--agent-id', 'live', '--flush-interval', '200ms', '--summary-rows', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    run.stdout!.on('data', (d: Buffer) => { out += d; });
    run.stderr!.on('data', (d: Buffer) => { err += d; });
    const deadline = Date.now() + 30_000;
    while (!err.includes('capturing on lo') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain('capturing on lo');
    const sock = createSocket('udp4');
    const N = 200;
    for (let i = 0; i < N; i++) {
      await new Promise<void>((r) => sock.send(Buffer.from(`datagram ${i}`), port, '127.0.0.1', () => r()));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    sock.close();
    await new Promise((r) => setTimeout(r, 500));
    run.kill('SIGINT');
    const code = await new Promise<number | null>((r) => run.once('exit', r));
    expect(code, err).toBe(0);
    expect(out).toContain('StreamLens live run on lo');
    expect(out).toMatch(/UDP\s+│\s+200 │/);
    const q = spawnSync(process.execPath, [BIN, 'sql', '--data-dir', join(dir, 'store'), '--format', 'CSV',
      `SELECT sum(packets), uniqExact(interface), any(dst_port) FROM flows WHERE agent_id = 'live'`], { encoding: 'utf8' });
    expect(q.stdout.trim()).toBe(`${N},1,${port}`);
  }, 60_000);
});
