/** The streamlens entry point: help, unknown commands, and commands whose issue has not landed. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '@streamlens/cli';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('streamlens CLI', () => {
  it('lists every command in --help', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const c of ['analyze', 'run', 'sql', 'agent', 'dissector', 'aggregator', 'dev', 'migrate']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('rejects an unknown command', () => {
    const r = run('frobnicate');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });

  it.each(COMMANDS.filter((c) => !c.available).map((c) => c.name))('%s says it is not available yet, on stderr, and exits 2', (name) => {
    const r = run(name, 'whatever');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not available yet/);
  });

  it('migrate needs a reachable server and says which', () => {
    const r = run('migrate', '--clickhouse-url', 'http://127.0.0.1:1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^streamlens: /);
  });
});
