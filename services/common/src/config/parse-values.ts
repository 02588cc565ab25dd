/** Parsing of option values from text (flags, environment) and from config files. */
import type { OptionSpec } from './options.js';

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1e6, mib: 1024 ** 2, g: 1024 ** 3, gb: 1e9, gib: 1024 ** 3,
};

export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*$/i.exec(text);
  if (!m) throw new Error(`expected a duration like 250ms, 5s or 2m, got "${text}"`);
  const unit = m[2].toLowerCase() || 'ms';
  const k = DURATION_UNITS[unit];
  if (k === undefined) throw new Error(`unknown duration unit "${m[2]}" in "${text}" (use ns, us, ms, s, m, h, d)`);
  return Number(m[1]) * k;
}

export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) throw new Error(`expected a size like 512, 64k or 16MiB, got "${text}"`);
  const k = SIZE_UNITS[m[2].toLowerCase()];
  if (k === undefined) throw new Error(`unknown size unit "${m[2]}" in "${text}" (use k, KiB, MB, MiB, GB, GiB)`);
  return Math.round(Number(m[1]) * k);
}

function checkRange(n: number, s: OptionSpec): number {
  if (s.min !== undefined && n < s.min) throw new Error(`must be at least ${s.min}, got ${n}`);
  if (s.max !== undefined && n > s.max) throw new Error(`must be at most ${s.max}, got ${n}`);
  return n;
}

/** A value given as text (a flag or an environment variable). */
export function fromText(text: string, s: OptionSpec): unknown {
  switch (s.type) {
    case 'string':
      return text;
    case 'int': {
      const t = text.trim();
      const n = /^[-+]?(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : NaN;
      if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got "${text}"`);
      return checkRange(n, s);
    }
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`expected a number, got "${text}"`);
      return checkRange(n, s);
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off'].includes(t)) return false;
      throw new Error(`expected true or false, got "${text}"`);
    }
    case 'list':
      return text.split(',').map((x) => x.trim()).filter(Boolean);
    case 'duration':
      return checkRange(parseDuration(text), s);
    case 'size':
      return checkRange(parseSize(text), s);
    case 'enum':
      if (!s.choices?.includes(text)) throw new Error(`expected one of ${s.choices?.join(', ')}, got "${text}"`);
      return text;
    case 'object':
      try {
        return JSON.parse(text);
      } catch {
        throw new Error('expected JSON');
      }
  }
}

/** A value from a parsed config file (YAML/JSON types, or text). */
export function fromFile(value: unknown, s: OptionSpec): unknown {
  if (s.type === 'object') return value;
  if (s.type === 'list') {
    if (Array.isArray(value)) return value.map((v) => String(v));
    if (typeof value === 'string') return fromText(value, s);
    throw new Error(`expected a list, got ${JSON.stringify(value)}`);
  }
  if (typeof value === 'string') return fromText(value, s);
  if (s.type === 'bool') {
    if (typeof value === 'boolean') return value;
    throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
  }
  if (typeof value === 'number' && ['int', 'number', 'duration', 'size'].includes(s.type)) {
    if (s.type === 'int' && !Number.isSafeInteger(value)) throw new Error(`expected an integer, got ${value}`);
    return checkRange(value, s);
  }
  throw new Error(`expected ${s.type}, got ${JSON.stringify(value)}`);
}
