/**
 * Resolve a set of options from command-line flags, environment variables,
 * a config file (YAML or JSON, named by --config or STREAMLENS_CONFIG) and
 * defaults, in that order of precedence. Every error names the option and
 * where its bad value came from.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { envName, flagName, type ConfigOf, type OptionSpec, type OptionSpecs } from './options.js';
import { fromFile, fromText } from './parse-values.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** Positional arguments are allowed (returned in `positionals`). */
  allowPositionals?: boolean;
}

export interface Loaded<S extends OptionSpecs> {
  config: ConfigOf<S>;
  positionals: string[];
  /** Where each option's value came from: flag, env, file or default. */
  sources: Record<keyof S, 'flag' | 'env' | 'file' | 'default' | 'unset'>;
  /** The config file read, if any. */
  configFile?: string;
  help: boolean;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path} must hold a mapping of option names to values`);
  return doc as Record<string, unknown>;
}

export function loadConfig<S extends OptionSpecs>(specs: S, opts: LoadOptions): Loaded<S> {
  const env = opts.env ?? process.env;
  const parseOptions: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const [key, s] of Object.entries(specs)) {
    if (s.type === 'object') continue;
    parseOptions[flagName(key)] = {
      type: s.type === 'bool' ? 'boolean' : 'string',
      ...(s.multiple ? { multiple: true } : {}),
      ...(s.short ? { short: s.short } : {}),
    };
    if (s.type === 'bool') parseOptions[`no-${flagName(key)}`] = { type: 'boolean' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: opts.argv, options: parseOptions, strict: true, allowPositionals: opts.allowPositionals ?? false });
  } catch (err) {
    throw new ConfigError((err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const flags = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const configFile = (flags.config as string | undefined) ?? env.STREAMLENS_CONFIG;
  const file = configFile ? readConfigFile(configFile) : {};
  const known = new Set(Object.keys(specs).map(flagName));
  for (const k of Object.keys(file)) {
    if (!known.has(k)) throw new ConfigError(`config file ${configFile}: unknown option "${k}" (known: ${[...known].sort().join(', ')})`);
  }

  const config: Record<string, unknown> = {};
  const sources: Record<string, Loaded<S>['sources'][keyof S]> = {};
  for (const [key, s] of Object.entries(specs) as [string, OptionSpec][]) {
    const flag = flagName(key);
    const attempt = (source: 'flag' | 'env' | 'file', where: string, f: () => unknown) => {
      try {
        const v = f();
        const problem = s.validate?.(v);
        if (problem) throw new Error(problem);
        config[key] = v;
        sources[key] = source;
      } catch (err) {
        throw new ConfigError(`${where}: ${(err as Error).message}`);
      }
    };
    const fv = flags[flag];
    const negated = flags[`no-${flag}`];
    const envVars = [envName(key, s), ...(s.envAliases ?? [])].filter((e): e is string => !!e);
    const envVar = envVars.find((e) => env[e] !== undefined && env[e] !== '');
    if (fv !== undefined || negated !== undefined) {
      attempt('flag', `--${flag}`, () => {
        if (s.type === 'bool') return negated ? false : fv;
        if (Array.isArray(fv)) return fv.flatMap((x) => fromText(x, s) as string[]);
        return fromText(fv as string, s);
      });
    } else if (envVar) {
      attempt('env', `environment ${envVar}`, () => fromText(env[envVar]!, s));
    } else if (flag in file) {
      attempt('file', `config file ${configFile}: ${flag}`, () => fromFile(file[flag], s));
    } else if (s.default !== undefined) {
      config[key] = s.default;
      sources[key] = 'default';
    } else {
      sources[key] = 'unset';
    }
    if (s.required && config[key] === undefined) {
      throw new ConfigError(`--${flag} is required${envVars.length ? ` (or set ${envVars[0]})` : ''}`);
    }
  }
  return {
    config: config as ConfigOf<S>,
    positionals: parsed.positionals,
    sources: sources as Loaded<S>['sources'],
    configFile,
    help: flags.help === true,
  };
}
