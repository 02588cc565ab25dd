/**
 * Configuration options, declared once. Each service lists its options with a
 * type, a default and a doc line; from that one declaration come the parser
 * (flags > environment > config file > defaults), the validation with an error
 * naming the bad key and where it came from, the `--help` text and the
 * configuration reference in docs/.
 */

export type OptionType = 'string' | 'int' | 'number' | 'bool' | 'list' | 'duration' | 'size' | 'enum' | 'object';

export interface OptionSpec<T = unknown> {
  type: OptionType;
  doc: string;
  default?: T;
  /** Environment variable (default STREAMLENS_<NAME>; '' for none). */
  env?: string;
  /** Extra environment variables read after `env` (e.g. KAFKA_BROKERS). */
  envAliases?: string[];
  /** Flag may repeat (lists). */
  multiple?: boolean;
  choices?: readonly string[];
  min?: number;
  max?: number;
  required?: boolean;
  /** Never printed (passwords). */
  secret?: boolean;
  /** One-letter flag alias. */
  short?: string;
  /** Extra check after parsing; return an error message or undefined. */
  validate?: (value: T) => string | undefined;
  /** Placeholder in --help (default derived from the type). */
  placeholder?: string;
}

type Input<T> = Omit<OptionSpec<T>, 'type'>;
type Built<T, S> = S & OptionSpec<T>;

/** Builders that carry the TypeScript type of each option's value (and whether it has a default). */
export const opt = {
  string: <S extends Input<string>>(s: S): Built<string, S> => ({ ...s, type: 'string' }),
  int: <S extends Input<number>>(s: S): Built<number, S> => ({ ...s, type: 'int' }),
  number: <S extends Input<number>>(s: S): Built<number, S> => ({ ...s, type: 'number' }),
  bool: <S extends Input<boolean>>(s: S): Built<boolean, S> => ({ ...s, type: 'bool' }),
  /** Repeatable flag, comma-separated in the environment, array in a file. */
  list: <S extends Input<string[]>>(s: S): Built<string[], S> => ({ ...s, type: 'list', multiple: true }),
  /** Milliseconds; accepts 250ms, 5s, 2m, 1h or a bare number of ms. */
  duration: <S extends Input<number>>(s: S): Built<number, S> => ({ ...s, type: 'duration' }),
  /** Bytes; accepts 512, 64k, 16MiB, 2GB. */
  size: <S extends Input<number>>(s: S): Built<number, S> => ({ ...s, type: 'size' }),
  enum: <C extends string, S extends Input<C> & { choices: readonly C[] }>(s: S): Built<C, S> => ({ ...s, type: 'enum' }),
  /** Structured value, from the config file only (maps, rule lists). */
  object: <T, S extends Input<T> = Input<T>>(s: S): Built<T, S> => ({ ...s, type: 'object' }),
};

export type OptionSpecs = Record<string, OptionSpec<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

type ValueOf<S> = S extends OptionSpec<infer T> ? T : never;
type HasDefault<S> = S extends { default: infer D } ? (undefined extends D ? false : true) : S extends { required: true } ? true : false;

/** The parsed configuration type of a set of options. */
export type ConfigOf<S extends OptionSpecs> = {
  [K in keyof S]: HasDefault<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** camelCase option key → kebab-case flag and config-file key. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** camelCase option key → STREAMLENS_UPPER_SNAKE environment variable. */
export function envName(key: string, s: OptionSpec): string | undefined {
  if (s.env === '') return undefined;
  return s.env ?? `STREAMLENS_${flagName(key).replace(/-/g, '_').toUpperCase()}`;
}
