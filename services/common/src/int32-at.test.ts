import { describe, expect, it } from 'vitest';
import { int32At } from './int32-at.js';

describe('int32At', () => {
  it('reads a 4-byte address as Buffer#readInt32BE does', () => {
    let x = 0x2468ace0;
    const b = Buffer.alloc(4);
    for (let i = 0; i < 10_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      b.writeInt32BE(x, 0);
      expect(int32At(b, 0)).toBe(b.readInt32BE(0));
    }
    for (const edge of [0, -1, 0x7fffffff, -0x80000000, 0x80, 0x8000]) {
      b.writeInt32BE(edge, 0);
      expect(int32At(b, 0)).toBe(edge);
    }
  });

  it('at an offset', () => {
    const b = Buffer.from([9, 9, 9, 0xc0, 0xa8, 0x01, 0x32, 9]);
    expect(int32At(b, 3)).toBe(b.readInt32BE(3));
  });
});
