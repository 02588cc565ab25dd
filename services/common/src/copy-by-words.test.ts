import { describe, expect, it } from 'vitest';
import { copyByWords } from './copy-by-words.js';

const view = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.length);

describe('copyByWords', () => {
  it('copies exactly n bytes, at any offsets and lengths, touching nothing around them', () => {
    const src = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    for (const from of [0, 1, 2, 3, 17]) {
      for (const at of [0, 1, 2, 3, 9]) {
        for (let n = 0; n <= 40; n++) {
          const dst = Buffer.alloc(64, 0xee);
          copyByWords(src, view(src), from, dst, view(dst), at, n);
          const want = Buffer.alloc(64, 0xee);
          src.copy(want, at, from, from + n);
          expect(dst.equals(want), `from ${from}, at ${at}, n ${n}`).toBe(true);
        }
      }
    }
  });
});
