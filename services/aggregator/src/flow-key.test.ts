import { describe, expect, it } from 'vitest';
import { v4String } from './flow-key.js';

const plain = (a: number) => `::ffff:${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;

describe('v4String', () => {
  it('gives the text of every address, signed or unsigned, whatever its cache slot held before', () => {
    // a sequence that revisits addresses and makes many share a slot of the 4,096-entry cache
    let x = 0x12345678;
    const seen: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      const a = i % 3 === 0 && seen.length ? seen[(x >>> 8) % seen.length] : x;
      seen.push(a);
      expect(v4String(a)).toBe(plain(a));
      expect(v4String(a >>> 0)).toBe(plain(a));
    }
    expect(v4String(0)).toBe('::ffff:0.0.0.0');
    expect(v4String(0xffffffff)).toBe('::ffff:255.255.255.255');
    expect(v4String(0xc0a80132)).toBe('::ffff:192.168.1.50');
  });
});
