/**
 * The local servers cannot outlive whoever started them: kill the parent with
 * SIGKILL (no cleanup code runs) and both servers, and the broker's JVM, go.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('local servers', () => {
  it('stop when the process that started them is killed', async () => {
    const script = `
      const m = await import('@streamlens/local-infra');
      const [k, c] = await Promise.all([m.startKafka(), m.startClickHouse()]);
      console.log(JSON.stringify({ kafka: k.process.pid, clickhouse: c.process.pid }));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout! }).once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`starter exited ${code}`)));
    });
    const { kafka, clickhouse } = JSON.parse(line) as { kafka: number; clickhouse: number };
    const pids = [kafka, clickhouse, ...children(kafka)];
    expect(pids.length).toBeGreaterThanOrEqual(3); // guard shell, JVM, ClickHouse
    expect(pids.every(alive)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);
});
