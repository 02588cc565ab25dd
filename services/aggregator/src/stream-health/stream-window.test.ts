import { describe, expect, it } from 'vitest';
import { Stream } from './streams.js';
import { recycleWindow, StreamWindow, takeWindow } from './stream-window.js';

/** Every own field but the identity, as a plain object. */
function figures(w: StreamWindow): Record<string, unknown> {
  const { stream: _s, index: _i, ...rest } = w;
  return rest;
}

describe('stream windows', () => {
  it('have every declared figure set by reuse() (a field it forgot would be missing, not zero)', () => {
    const w = new StreamWindow(new Stream(), 3);
    const values = Object.values(figures(w));
    // the declared fields of StreamWindow but stream and index: add one there, count it here
    expect(values).toHaveLength(34);
    for (const v of values) expect(['number', 'boolean']).toContain(typeof v);
    expect(w.firstSeq).toBe(-1);
    expect(w.logInterval).toBe(127);
  });

  it('come back exactly as a new window would be', () => {
    const a = new Stream();
    const used = takeWindow(a, 7);
    // touch every figure: a field reuse() forgot would carry this value into the next window
    for (const k of Object.keys(figures(used))) {
      const v = (used as unknown as Record<string, unknown>)[k];
      (used as unknown as Record<string, unknown>)[k] = typeof v === 'boolean' ? !v : 12345;
    }
    recycleWindow(used);
    const b = new Stream();
    const again = takeWindow(b, 9);
    expect(again).toBe(used); // the recycled object, not a new one
    expect(again.stream).toBe(b);
    expect(again.index).toBe(9);
    expect(figures(again)).toEqual(figures(new StreamWindow(b, 9)));
  });
});
