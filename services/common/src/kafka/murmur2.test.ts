import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor } from './murmur2.js';

describe('murmur2', () => {
  it('matches the Java client (Kafka UtilsTest vectors)', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, h] of cases) expect(murmur2(Buffer.from(s))).toBe(h);
  });

  it('hashes only the given length of a scratch buffer', () => {
    const scratch = Buffer.from('foobarXXXX');
    expect(murmur2(scratch, 6)).toBe(murmur2(Buffer.from('foobar')));
    expect(partitionFor(Buffer.from('foobar'), 7)).toBe(((-790332482 & 0x7fffffff) % 7));
  });
});
