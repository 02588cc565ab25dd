/** Random valid values of any Avro type, with edge values, for tests that compare encoders byte for byte. */

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'a', 'SYN,ACK', 'é', '日本語', '😀', 'x😀y', '\ud800', 'a\udc00b', '\ud83d', 'ß'.repeat(21), 'a'.repeat(21), 'a'.repeat(22),
  'é'.repeat(31), 'é'.repeat(32), 'é'.repeat(33), 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), '😀'.repeat(16), '\ud800'.repeat(22), 'z'.repeat(5000)];
const INTS = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)];
const LONGS = [...INTS, 2 ** 31, 2 ** 32, -(2 ** 32), 2 ** 40 + 7, 2 ** 52, -(2 ** 52) - 3, 9007199254740990, -9007199254740990, 1_700_000_000_123_456];
const BIGS = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1_732_000_000_123_456_789n, -(2n ** 31n)];

export interface T { typeName: string; fields?: { name: string; type: T; defaultValue(): unknown }[]; itemsType?: T; valuesType?: T; types?: T[]; symbols?: string[]; size?: number }

/** A random valid value of type `t` (undefined for a defaulted field sometimes). */
export function randomValue(t: T, rnd: () => number, depth = 0): unknown {
  const pick = <X>(xs: X[]) => xs[Math.floor(rnd() * xs.length)];
  switch (t.typeName) {
    case 'null': return null;
    case 'boolean': return rnd() < 0.5;
    case 'int': return rnd() < 0.5 ? pick(INTS) : Math.floor(rnd() * 2 ** 32) - 2 ** 31;
    case 'long': return rnd() < 0.5 ? pick(LONGS) : Math.floor((rnd() - 0.5) * 2 ** 53);
    case 'abstract:long': return pick(BIGS);
    case 'float': return Math.fround((rnd() - 0.5) * 1e6);
    case 'double': return (rnd() - 0.5) * 1e12;
    case 'string': return rnd() < 0.7 ? pick(STRINGS) : Array.from({ length: Math.floor(rnd() * 40) }, () => String.fromCharCode(Math.floor(rnd() * 0x3000))).join('');
    case 'bytes': return Buffer.from(Array.from({ length: rnd() < 0.01 ? 70000 : pick([0, 1, 4, 16, 47, 48, 63, 64, 65, 200]) }, () => Math.floor(rnd() * 256)));
    case 'fixed': return Buffer.from(Array.from({ length: t.size! }, () => Math.floor(rnd() * 256)));
    case 'enum': return pick(t.symbols!);
    case 'array': return depth > 3 ? [] : Array.from({ length: pick([0, 1, 2, 5, rnd() < 0.1 ? 70 : 3]) }, () => randomValue(t.itemsType!, rnd, depth + 1));
    case 'map': return depth > 3 ? {} : Object.fromEntries(Array.from({ length: pick([0, 1, 3]) }, (_, i) => [`k${i}${pick(STRINGS)}`, randomValue(t.valuesType!, rnd, depth + 1)]));
    case 'union:unwrapped': {
      const branches = depth > 3 && t.types!.some((b) => b.typeName === 'null') ? t.types!.filter((b) => b.typeName === 'null') : t.types!;
      return randomValue(pick(branches), rnd, depth + 1);
    }
    case 'record': {
      const o: Record<string, unknown> = {};
      for (const f of t.fields!) {
        if (f.defaultValue() !== undefined && rnd() < 0.1) continue; // left out: the writer uses the default
        o[f.name] = randomValue(f.type, rnd, depth + 1);
      }
      return o;
    }
    default: throw new Error(`random value for ${t.typeName}`);
  }
}
