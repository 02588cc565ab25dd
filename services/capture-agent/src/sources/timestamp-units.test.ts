import { describe, expect, it } from 'vitest';
import { newRawFrame } from './raw-frame.js';
import { setTimestamp, unitsPerSecond } from './timestamp-units.js';
import { Prng } from '../../test-fixtures/prng.js';

describe('pcapng timestamp split', () => {
  it('if_tsresol: decimal and binary exponents', () => {
    expect([6, 9, 0, 3, 0x80 | 10, 0x80 | 30].map(unitsPerSecond)).toEqual([1e6, 1e9, 1, 1e3, 1024, 2 ** 30]);
  });

  it('equals exact BigInt arithmetic over the whole 64-bit tick range, every resolution', () => {
    const rnd = new Prng(99);
    const f = newRawFrame();
    const resolutions = [0, 1, 3, 6, 7, 9, 10, 11, 12, 15, 0x80 | 1, 0x80 | 10, 0x80 | 20, 0x80 | 24, 0x80 | 30, 0x80 | 37, 0x80 | 40];
    for (let i = 0; i < 40_000; i++) {
      const hi = rnd.next() < 0.3 ? rnd.int(0x200000) : rnd.int(2 ** 32);
      const lo = rnd.int(2 ** 32);
      const tsresol = rnd.pick(resolutions);
      const units = unitsPerSecond(tsresol);
      setTimestamp(f, hi, lo, units, 0);
      const ticks = (BigInt(hi) << 32n) | BigInt(lo);
      const u = BigInt(units);
      const sec = ticks / u;
      const ns = ((ticks % u) * 1_000_000_000n) / u;
      // Whole seconds beyond 2^53 (coarse resolutions near the top of the range) are not times a capture holds.
      if (sec > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      if (BigInt(f.tsSec) !== sec || BigInt(f.tsNs) !== ns) {
        throw new Error(`ticks ${ticks} at 1/${units}: got ${f.tsSec}.${f.tsNs}, want ${sec}.${ns}`);
      }
    }
  });

  it('adds if_tsoffset', () => {
    const f = newRawFrame();
    setTimestamp(f, 0, 1_500_000, 1e6, 1_700_000_000);
    expect([f.tsSec, f.tsNs]).toEqual([1_700_000_001, 500_000_000]);
  });
});
