/**
 * The committed launcher gives Node a 64 MiB young-generation semi-space
 * (docs/benchmarks.md, "Young generation") unless NODE_OPTIONS sets one, and
 * still runs as plain JavaScript under `node`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sl-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Preloaded into the launched process: short-lived garbage around a live set larger than the default
// semi-space; V8 grows the new space (two semi-spaces) up to what --max-semi-space-size allows.
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, `
import v8 from 'node:v8';
const keep = [];
let max = 0;
for (let i = 0; i < 2e6; i++) {
  keep.push({ a: i, b: [i] });
  if (keep.length > 200000) keep.length = 0;
  if (i % 50000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
}
process.stderr.write('PROBE ' + JSON.stringify({ options: process.env.NODE_OPTIONS, newSpaceMiB: max / 1048576 }) + '\\n');
`);

interface Launched { version: string; options: string; newSpaceMiB: number }

function run(cmd: string, args: string[], nodeOptions: string): Launched {
  const r = spawnSync(cmd, [...args, '--version'], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`no probe output: ${r.stderr}`);
  return { version: r.stdout.trim(), ...(JSON.parse(line.slice(6)) as { options: string; newSpaceMiB: number }) };
}

describe('launcher', () => {
  it('run as a command (also through a symlink, as installed), gives Node a 64 MiB semi-space', () => {
    const link = join(dir, 'streamlens');
    symlinkSync(BIN, link);
    for (const cmd of [BIN, link]) {
      const r = run(cmd, [], `--import ${probe}`);
      expect(r.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(r.options).toBe(`--max-semi-space-size=64 --import ${probe}`);
      expect(r.newSpaceMiB).toBeGreaterThan(32); // Node 20's default tops out at 2 x 16 MiB
    }
  });

  it('keeps a semi-space size the user set in NODE_OPTIONS', () => {
    const r = run(BIN, [], `--max-semi-space-size=8 --import ${probe}`);
    expect(r.options).toBe(`--max-semi-space-size=8 --import ${probe}`);
    expect(r.newSpaceMiB).toBeLessThanOrEqual(16);
  });

  it('run by node, is plain JavaScript with Node defaults', () => {
    const r = run(process.execPath, [BIN], `--import ${probe}`);
    expect(r.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.options).toBe(`--import ${probe}`);
    expect(r.newSpaceMiB).toBeLessThanOrEqual(32);
  });
});
