import { describe, expect, it } from 'vitest';
import { v4Hash } from '../flow-key.js';
import { AddrFamily, Stream, streamHash, StreamKind, StreamTable, v4Tail } from './streams.js';
import { SeqVerdict } from './sequence-tracker.js';

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

function v4Stream(kind: StreamKind, src: number, dst: number, id: number): Stream {
  const s = new Stream();
  s.kind = kind;
  s.family = AddrFamily.V4;
  s.src4 = src >>> 0;
  s.dst4 = dst >>> 0;
  s.id = id;
  s.mapKey = v4Tail(kind, id);
  return s;
}

describe('StreamTable IPv4 lookups', () => {
  it('finds each stream by (source, destination, kind, id) through the per-kind last stream, the cache and the map', () => {
    const t = new StreamTable();
    const streams: Stream[] = [];
    // more streams than the cache has slots, addresses above 2^31 (signed in lookups), every kind
    for (let i = 0; i < 300; i++) {
      const s = v4Stream((i % 3) as StreamKind, 0xc0a80000 + (i % 7), 0xef000001 + (i % 5), i);
      t.add(s, 1);
      streams.push(s);
    }
    for (let round = 0; round < 3; round++) {
      for (const s of streams) {
        // twice in a row (the last-stream hit), then interleaved with the other kinds
        expect(t.getV4(s.src4 | 0, s.dst4 | 0, s.mapKey as number)).toBe(s);
        expect(t.getV4(s.src4 | 0, s.dst4 | 0, s.mapKey as number)).toBe(s);
      }
    }
    expect(t.getV4(0xc0a80000 | 0, 0xef000001 | 0, v4Tail(StreamKind.Iena, 9999))).toBeUndefined();
  });

  it('never returns a removed stream, even the one found last', () => {
    const t = new StreamTable();
    const a = v4Stream(StreamKind.Iena, 0x0a000001, 0x0a000002, 7);
    t.add(a, 1);
    expect(t.getV4(0x0a000001, 0x0a000002, v4Tail(StreamKind.Iena, 7))).toBe(a);
    t.remove(a);
    expect(a.gone).toBe(true);
    expect(t.getV4(0x0a000001, 0x0a000002, v4Tail(StreamKind.Iena, 7))).toBeUndefined();
    const b = v4Stream(StreamKind.Iena, 0x0a000001, 0x0a000002, 7);
    t.add(b, 2);
    expect(t.getV4(0x0a000001, 0x0a000002, v4Tail(StreamKind.Iena, 7))).toBe(b);
    expect(t.size).toBe(1);
  });
});

describe('Stream', () => {
  it('carries its sequence state itself', () => {
    const s = new Stream();
    expect(s.track(10, 16, false)).toBe(SeqVerdict.First);
    expect(s.track(12, 16, false)).toBe(SeqVerdict.Gap);
    expect(s.gap).toBe(1);
    expect(s.last).toBe(12);
    expect(s.track(11, 16, false)).toBe(SeqVerdict.Late);
  });
});
