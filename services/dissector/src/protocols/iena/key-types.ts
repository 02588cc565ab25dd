/**
 * The key → type map from the configuration file (`iena-key-types`), e.g.
 *
 *   iena-key-types:
 *     "0x2cfa": D      # hex key
 *     "41789": M       # decimal key
 *     0x001a: N        # YAML also reads bare hex/decimal keys
 *
 * Keys are 16-bit (hex with 0x, or decimal); types are P, D, N, M or Q
 * (case-insensitive). Errors name the bad entry.
 */
import type { IenaType } from './body.js';

const TYPES: ReadonlySet<string> = new Set(['P', 'D', 'N', 'M', 'Q']);

function parseKey(raw: string | number): number | null {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 && raw <= 0xffff ? raw : null;
  const s = raw.trim();
  let v: number;
  if (/^0x[0-9a-f]{1,4}$/i.test(s)) v = Number.parseInt(s.slice(2), 16);
  else if (/^[0-9]{1,5}$/.test(s)) v = Number.parseInt(s, 10);
  else return null;
  return v <= 0xffff ? v : null;
}

function fmtKey(k: number): string {
  return `0x${k.toString(16).padStart(4, '0')}`;
}

/**
 * Parse the key → type section. null/undefined → empty map. Accepts a plain
 * object or a Map. Throws an Error naming the bad key or type.
 */
export function parseIenaKeyTypes(raw: unknown): Map<number, IenaType> {
  const out = new Map<number, IenaType>();
  if (raw === null || raw === undefined) return out;
  let entries: [unknown, unknown][];
  if (raw instanceof Map) entries = [...raw.entries()];
  else if (typeof raw === 'object' && !Array.isArray(raw)) entries = Object.entries(raw as Record<string, unknown>);
  else throw new Error(`iena key types: expected a map of key → type like { "0x2cfa": "D" }, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  for (const [k, t] of entries) {
    const key = typeof k === 'string' || typeof k === 'number' ? parseKey(k) : null;
    if (key === null) throw new Error(`iena key types: key ${JSON.stringify(k)} is not a 16-bit key (write it as hex like "0x2cfa" or decimal like "11514")`);
    if (typeof t !== 'string' || !TYPES.has(t.trim().toUpperCase())) {
      const hint = typeof t === 'string' && t.trim().toUpperCase() === 'I'
        ? ' (no public source defines an IENA "I" type; leave the key out and it is decided per packet)' : '';
      throw new Error(`iena key types: key ${fmtKey(key)} has type ${JSON.stringify(t)}; expected one of P, D, N, M, Q${hint}`);
    }
    const type = t.trim().toUpperCase() as IenaType;
    const before = out.get(key);
    if (before !== undefined && before !== type) {
      throw new Error(`iena key types: key ${fmtKey(key)} is given twice with different types (${before} and ${type})`);
    }
    out.set(key, type);
  }
  return out;
}

/** The same check as a config `validate` hook: the error message, or undefined when valid. */
export function validateIenaKeyTypes(raw: unknown): string | undefined {
  try {
    parseIenaKeyTypes(raw);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
