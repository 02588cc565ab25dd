/**
 * What each `streamlens` service accepts, from its own option declarations:
 * the deploy tests check every flag, environment variable and config file
 * used in deploy/, docker-compose.yml and docs/deploy.md against these, and
 * parse the values with the services' own loader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envName, flagName, loadConfig, type OptionSpecs } from '@streamlens/common';
import { agentOptions, checkAgentConfig } from '@streamlens/capture-agent';
import { dissectorCommandOptions } from '@streamlens/dissector';
import { aggregatorOptions } from '@streamlens/aggregator';
import migrate from '../../services/cli/src/commands/migrate.js';

export const SERVICES = {
  agent: agentOptions,
  dissector: dissectorCommandOptions,
  aggregator: aggregatorOptions,
} satisfies Record<string, OptionSpecs>;

export type ServiceName = keyof typeof SERVICES;

export function isService(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

/** Default metrics port of each service (what probes and healthchecks must reach). */
export function defaultMetricsPort(service: ServiceName): number {
  return SERVICES[service].metricsPort.default;
}

/** Every flag a service accepts: --name, --no-name for booleans, -x short forms, -c/--config, -h/--help. */
export function flagsOf(specs: OptionSpecs): Set<string> {
  const flags = new Set(['--config', '-c', '--help', '-h']);
  for (const [key, s] of Object.entries(specs)) {
    if (s.type === 'object') continue;
    flags.add(`--${flagName(key)}`);
    if (s.type === 'bool') flags.add(`--no-${flagName(key)}`);
    if (s.short) flags.add(`-${s.short}`);
  }
  return flags;
}

/** Every environment variable a service reads: STREAMLENS_* names, aliases, STREAMLENS_CONFIG. */
export function envVarsOf(specs: OptionSpecs): Set<string> {
  const vars = new Set(['STREAMLENS_CONFIG']);
  for (const [key, s] of Object.entries(specs)) {
    const e = envName(key, s);
    if (e) vars.add(e);
    for (const a of s.envAliases ?? []) vars.add(a);
  }
  return vars;
}

/** Config-file keys a service accepts (flag names, object options included). */
export function fileKeysOf(specs: OptionSpecs): Set<string> {
  return new Set(Object.keys(specs).map(flagName));
}

/** Flags of the commands that parse their own arguments (migrate): read from their --help. */
export function migrateFlags(): Set<string> {
  return new Set([...migrate.help().matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]));
}

/** Variables migrate reads (from its --help: "env NAME"). */
export function migrateEnvVars(): Set<string> {
  return new Set([...migrate.help().matchAll(/env ([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
}

/** Variables that are Node's, not ours, and fine to set around any service. */
export const NODE_ENV_VARS = new Set(['NODE_ENV', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);

/**
 * Load a service's configuration exactly as it would start: these flags, this
 * environment and (optionally) this config-file text. Throws the service's own
 * ConfigError on an unknown option or a bad value; the agent's cross-option
 * checks run too. Returns the resolved configuration.
 */
export function loadServiceConfig(
  service: ServiceName, argv: string[], env: Record<string, string> = {}, configText?: string,
): Record<string, unknown> {
  const dir = configText === undefined ? undefined : mkdtempSync(join(tmpdir(), 'streamlens-deploy-config-'));
  try {
    const args = [...argv];
    if (dir) {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, configText!);
      args.push('--config', file);
    }
    if (service === 'agent') {
      const loaded = loadConfig(agentOptions, { argv: args, env });
      checkAgentConfig(loaded);
      return loaded.config;
    }
    return loadConfig(SERVICES[service], { argv: args, env }).config;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Words of a command line without a `--config FILE` / `-c FILE` / `--config=FILE` pair, and the file. */
export function splitConfigArg(args: string[]): { rest: string[]; config?: string } {
  const rest: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--config' || a === '-c') config = args[++i];
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else rest.push(a);
  }
  return { rest, config };
}

/** Flags (words starting with -) of a command line that the service does not declare. */
export function unknownFlags(known: Set<string>, args: string[]): string[] {
  return args.filter((a) => a.startsWith('-') && !/^-\d/.test(a)).map((a) => a.split('=')[0]).filter((f) => !known.has(f));
}
