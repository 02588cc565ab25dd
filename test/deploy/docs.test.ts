/**
 * The deployment docs against the code: docs/configuration.md is what
 * `npm run docs:config` generates from the option declarations today, and
 * every `streamlens` command line, flag, STREAMLENS_* variable and config-file
 * snippet in docs/deploy.md and docs/troubleshooting.md is one the services
 * accept.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/gen-config-docs.mjs';
import { sqlOptions } from '../../services/cli/src/commands/sql.js';
import {
  envVarsOf, fileKeysOf, flagsOf, isService, loadServiceConfig, migrateFlags, SERVICES, splitConfigArg, unknownFlags,
} from './option-surface.js';
import { COMMANDS } from '@streamlens/cli';
import { splitCommand } from './systemd-unit.js';

const COMMAND_NAMES = new Set(COMMANDS.map((c) => c.name));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the option declarations', () => {
    expect(CONFIGURATION_DOC).toBe(join(ROOT, 'docs/configuration.md'));
    // On a mismatch: run `npm run docs:config` and commit the result.
    expect(read('docs/configuration.md')).toBe(renderConfigurationDoc());
  });

  it('lists every option of every service', () => {
    const doc = read('docs/configuration.md');
    for (const specs of Object.values(SERVICES)) {
      for (const key of fileKeysOf(specs)) expect(doc.includes(`| \`--${key}\` |`) || doc.includes(`| \`${key}\` (file) |`), key).toBe(true);
      for (const env of envVarsOf(specs)) if (env.startsWith('STREAMLENS_') && env !== 'STREAMLENS_CONFIG') expect(doc, env).toContain(`\`${env}\``);
    }
  });
});

/** Fenced code blocks of a markdown file: language and text. */
function codeBlocks(md: string): { lang: string; text: string }[] {
  return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
}

/** `streamlens <command> …` invocations in shell code, continuation lines joined. */
function streamlensCommands(shell: string): string[][] {
  const joined = shell.replace(/\\\n\s*/g, ' ');
  const out: string[][] = [];
  for (const line of joined.split('\n')) {
    for (const m of line.matchAll(/(?:^|[\s;&|(])streamlens\s+([a-z]+)\b([^;&|#]*)/g)) {
      // `streamlens` is also the user, group and path name: only the CLI's commands count.
      if (COMMAND_NAMES.has(m[1])) out.push([m[1], ...splitCommand(m[2].trim())]);
    }
  }
  return out;
}

const ALL_FLAGS = new Set([
  ...Object.values(SERVICES).flatMap((s) => [...flagsOf(s)]), ...migrateFlags(), ...flagsOf(sqlOptions),
]);
const ALL_ENV = new Set(Object.values(SERVICES).flatMap((s) => [...envVarsOf(s)]));
const ALL_KEYS = new Set(Object.values(SERVICES).flatMap((s) => [...fileKeysOf(s)]));
/** Variables docker-compose.yml itself takes (${NAME:-default}). */
const COMPOSE_VARS = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));

describe.each(['docs/deploy.md', 'docs/troubleshooting.md'])('%s', (path) => {
  const md = read(path);
  const blocks = codeBlocks(md);

  it('runs streamlens commands with the options they declare', () => {
    const commands = blocks.filter((b) => b.lang === 'sh').flatMap((b) => streamlensCommands(b.text));
    if (path === 'docs/deploy.md') expect(commands.map((c) => c[0])).toEqual(expect.arrayContaining(['migrate', 'agent', 'sql']));
    for (const [command, ...args] of commands) {
      const words = args.filter((w) => !w.startsWith('"') && w !== '…');
      if (isService(command)) {
        expect(unknownFlags(flagsOf(SERVICES[command]), words), `${path}: streamlens ${command} ${args.join(' ')}`).toEqual([]);
        const { rest, config } = splitConfigArg(words);
        if (!config && !rest.includes('--help') && !rest.some((w) => w.includes('…'))) loadServiceConfig(command, rest, {});
      } else if (command === 'migrate') {
        expect(unknownFlags(migrateFlags(), words), `${path}: streamlens migrate`).toEqual([]);
      } else if (command === 'sql') {
        expect(unknownFlags(flagsOf(sqlOptions), words), `${path}: streamlens sql`).toEqual([]);
      } else {
        // Commands with their own syntax (dev up|down, analyze FILE): named, not checked flag by flag here.
        expect(COMMAND_NAMES, `${path}: streamlens ${command}`).toContain(command);
      }
    }
  });

  it('names only flags and STREAMLENS_* variables that exist', () => {
    const prose = md.replace(/^```[\s\S]*?^```$/gm, '');
    for (const m of prose.matchAll(/`(--[a-z][a-z0-9-]*)/g)) expect(ALL_FLAGS, `${path}: ${m[1]}`).toContain(m[1]);
    for (const m of md.matchAll(/\bSTREAMLENS_[A-Z0-9_]+\b/g)) {
      expect(ALL_ENV.has(m[0]) || COMPOSE_VARS.has(m[0]), `${path}: ${m[0]}`).toBe(true);
    }
  });

  it('shows config-file snippets with keys the services accept', () => {
    for (const b of blocks.filter((x) => x.lang === 'yaml')) {
      const doc = parseYaml(b.text) as Record<string, unknown>;
      for (const key of Object.keys(doc)) expect(ALL_KEYS, `${path}: ${key}`).toContain(key);
      // Each snippet loads for a service that has all its keys.
      const service = (Object.keys(SERVICES) as (keyof typeof SERVICES)[])
        .find((s) => Object.keys(doc).every((k) => fileKeysOf(SERVICES[s]).has(k)));
      expect(service, `${path}: no service takes all of ${Object.keys(doc).join(', ')}`).toBeDefined();
      loadServiceConfig(service!, service === 'agent' ? ['--iface', 'eth1'] : [], {}, b.text);
    }
  });
});
