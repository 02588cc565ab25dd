import { describe, expect, it } from 'vitest';
import { Sampler } from './sampling.js';

describe('Sampler', () => {
  it('keeps every frame at rate 1', () => {
    const s = new Sampler(1);
    for (let i = 0; i < 1000; i++) expect(s.keep()).toBe(true);
  });

  it('keeps 1 in N on average, within 5 standard deviations', () => {
    for (const n of [2, 10, 100]) {
      const s = new Sampler(n, 12345);
      const total = 200_000;
      let kept = 0;
      for (let i = 0; i < total; i++) if (s.keep()) kept++;
      const p = 1 / n;
      const sd = Math.sqrt(total * p * (1 - p));
      expect(Math.abs(kept - total * p)).toBeLessThan(5 * sd);
    }
  });

  it('does not alias with periodic traffic: alternating flows are both sampled', () => {
    const s = new Sampler(2, 99);
    const kept = [0, 0];
    for (let i = 0; i < 100_000; i++) if (s.keep()) kept[i % 2]++;
    expect(kept[0]).toBeGreaterThan(20_000);
    expect(kept[1]).toBeGreaterThan(20_000);
  });

  it('refuses a rate that is not a positive integer', () => {
    expect(() => new Sampler(0)).toThrow(/positive integer/);
    expect(() => new Sampler(2.5)).toThrow(/positive integer/);
  });
});
