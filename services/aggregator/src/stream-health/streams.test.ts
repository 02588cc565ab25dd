import { describe, expect, it } from 'vitest';
import { v4Hash } from '../flow-key.js';
import { streamHash, v4Tail, StreamKind } from './streams.js';

describe('streamHash', () => {
  it('is flow-key\'s v4Hash for every tail below 2^32, with addresses signed or unsigned', () => {
    let x = 0x13579bdf;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) | 0);
    for (let i = 0; i < 20_000; i++) {
      const src = next();
      const dst = next();
      const tail = i % 2 === 0 ? v4Tail(i % 4 as StreamKind, next() & 0xffff) : next() >>> 0;
      const h = v4Hash(src, dst, tail);
      expect(streamHash(src, dst, tail)).toBe(h);
      expect(streamHash(src >>> 0, dst >>> 0, tail)).toBe(h);
    }
  });
});
