/**
 * Every `npm run bench:*` script compiles: benchmarks are not run by the
 * tests (performance is measured, not asserted), so without this a bench's
 * tsconfig could break unnoticed until someone needs the figures (as the
 * aggregator bench's did when a second bench landed in its folder).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The `tsc -b PROJECT` step of each bench script. */
const projects = [...new Set(Object.entries(scripts)
  .filter(([name]) => name.startsWith('bench:'))
  .map(([name, cmd]) => {
    const m = /^tsc -b (\S+) &&/.exec(cmd);
    if (!m) throw new Error(`${name} does not start with "tsc -b PROJECT &&": ${cmd}`);
    return m[1];
  }))];

describe('benchmark scripts', () => {
  it('has bench scripts to check', () => {
    expect(projects.length).toBeGreaterThanOrEqual(4);
  });

  it.each(projects)('%s compiles', (project) => {
    // tsc prints its diagnostics on stdout; put them in the failure message
    try {
      execFileSync(`${ROOT}node_modules/.bin/tsc`, ['-b', project], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`tsc -b ${project} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }, 240_000);
});
