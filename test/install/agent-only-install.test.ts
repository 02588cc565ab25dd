/**
 * An edge host that runs only the capture agent installs without chdb (about
 * 550 MB) and without the embedded or test code: the command in the README,
 * run on a copy of this repository.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tracked(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter(Boolean);
}

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

describe('agent-only install', () => {
  it('installs and runs the agent CLI without chdb', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-agent-only-'));
    try {
      for (const f of tracked()) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
      // The README's command, with the npm cache this machine already has.
      execFileSync('npm', ['ci', '-w', '@streamlens/cli', '--include-workspace-root', '--prefer-offline', '--no-audit', '--no-fund'],
        { cwd: dir, stdio: 'pipe', env: { ...process.env, npm_config_loglevel: 'error' } });
      expect(existsSync(join(dir, 'node_modules', 'chdb'))).toBe(false);
      expect(existsSync(join(dir, 'node_modules', '@chdb'))).toBe(false);
      expect(existsSync(join(dir, 'node_modules', 'vitest'))).toBe(false);
      const help = execFileSync(process.execPath, [join(dir, 'services/cli/bin/streamlens.js'), '--help'], { encoding: 'utf8' });
      expect(help).toContain('agent');
      const size = duBytes(join(dir, 'node_modules'));
      console.log(`agent-only node_modules: ${(size / 1e6).toFixed(1)} MB`);
      expect(size).toBeLessThan(100e6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
