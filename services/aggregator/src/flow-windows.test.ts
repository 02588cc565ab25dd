import { describe, expect, it } from 'vitest';
import { insertSorted } from './flow-windows.js';

describe('insertSorted (a flow window\'s protocol list)', () => {
  it('keeps the list in the order Array.prototype.sort gives, whatever the arrival order', () => {
    const names = ['udp', 'ip', 'eth', 'ptp', 'chapter10', 'dns', 'UDP', 'tls', 'a', 'é'];
    for (let seed = 1; seed < 50; seed++) {
      const shuffled = [...names].sort((a, b) => ((a.charCodeAt(0) * seed) % 17) - ((b.charCodeAt(0) * seed) % 17) || (a < b ? -1 : 1));
      const list: string[] = [];
      for (const n of shuffled) insertSorted(list, n);
      expect(list).toEqual([...names].sort());
    }
    const one: string[] = [];
    insertSorted(one, 'x');
    expect(one).toEqual(['x']);
  });
});
