import { describe, expect, it } from 'vitest';
import { reduceSeq, REORDER_WINDOW, SequenceState, SeqVerdict } from './sequence-tracker.js';


/** Feed sequences (no silences unless marked with a negative number: -n = n after a silence). */
function run(bits: number, seqs: number[]): { verdicts: SeqVerdict[]; lost: number; late: number; dup: number; restarts: number; straggler: number } {
  const s = new SequenceState();
  const verdicts: SeqVerdict[] = [];
  let lost = 0;
  let late = 0;
  let dup = 0;
  let restarts = 0;
  let straggler = 0;
  for (const x of seqs) {
    const silent = Object.is(x, -0) || x < 0;
    const v = s.track(Math.abs(x), bits, silent);
    verdicts.push(v);
    if (v === SeqVerdict.Gap) lost += s.gap;
    if (v === SeqVerdict.Late) late++;
    if (v === SeqVerdict.Duplicate) dup++;
    if (v === SeqVerdict.Restart) restarts++;
    if (v === SeqVerdict.Straggler) straggler++;
  }
  return { verdicts, lost, late, dup, restarts, straggler };
}

describe('SequenceState', () => {
  it('counts gaps as the sum of the numbers skipped', () => {
    const r = run(16, [10, 11, 14, 15, 20]);
    expect(r.verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.Gap, SeqVerdict.InOrder, SeqVerdict.Gap]);
    expect(r.lost).toBe(2 + 4);
  });

  it('wraps at each counter width without a false gap', () => {
    expect(run(16, [65533, 65534, 65535, 0, 1]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.InOrder, SeqVerdict.InOrder, SeqVerdict.InOrder]);
    expect(run(8, [254, 255, 0, 1]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.InOrder, SeqVerdict.InOrder]);
    expect(run(24, [0xfffffe, 0xffffff, 0, 1]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.InOrder, SeqVerdict.InOrder]);
    expect(run(32, [0xffffffff, 0, 1]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.InOrder]);
    // a gap across the wrap
    const g = run(16, [65534, 1]);
    expect(g.verdicts).toEqual([SeqVerdict.First, SeqVerdict.Gap]);
    expect(g.lost).toBe(2);
  });

  it('tells a late arrival that fills a gap from a duplicate, across the wrap too', () => {
    const r = run(16, [1, 2, 4, 3, 5, 5, 3, 65535 - 65535 + 6]);
    expect(r.verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.Gap, SeqVerdict.Late, SeqVerdict.InOrder, SeqVerdict.Duplicate, SeqVerdict.Duplicate, SeqVerdict.InOrder]);
    expect(r.lost - r.late).toBe(0);
    const w = run(16, [65534, 0, 65535, 1]);
    expect(w.verdicts).toEqual([SeqVerdict.First, SeqVerdict.Gap, SeqVerdict.Late, SeqVerdict.InOrder]);
  });

  it('remembers missing numbers up to the reorder window, in both halves of the map', () => {
    // skip 1..62, then deliver them late in reverse order
    const seqs = [0, 63];
    for (let i = 62; i >= 1; i--) seqs.push(i);
    const r = run(16, seqs);
    expect(r.lost).toBe(62);
    expect(r.late).toBe(62);
    expect(r.verdicts.slice(2).every((v) => v === SeqVerdict.Late)).toBe(true);
    // the same numbers again are duplicates
    const again = run(16, [...seqs, 5, 40]);
    expect(again.verdicts.slice(-2)).toEqual([SeqVerdict.Duplicate, SeqVerdict.Duplicate]);
    // a gap larger than the window: the numbers beyond it are too old to place (jump back of 64 or more)
    const big = run(16, [0, 100, 20]);
    expect(big.verdicts).toEqual([SeqVerdict.First, SeqVerdict.Gap, SeqVerdict.Restart]);
    expect(REORDER_WINDOW).toBe(64);
  });

  it('a jump back after a silence is a restart, not ~65k lost; a continued sequence after a silence is not', () => {
    const r = run(16, [40000, 40001, -0, 1, 2]);
    expect(r.verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.Restart, SeqVerdict.InOrder, SeqVerdict.InOrder]);
    expect(r.lost).toBe(0);
    // a source reboot from near the top: forward by the counter, but after a silence
    expect(run(16, [65000, -3]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.Restart]);
    expect(run(16, [7, -8, 9]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.InOrder]);
  });

  it('a jump back beyond the reorder window without a silence is a restart; an older packet than the first is a straggler', () => {
    expect(run(16, [500, 501, 100, 101]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.Restart, SeqVerdict.InOrder]);
    // 8-bit: half the range is the limit between a gap and a jump back
    expect(run(8, [0, 128]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.Gap]);
    expect(run(8, [0, 129]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.Restart]);
    expect(run(8, [100, 99]).verdicts).toEqual([SeqVerdict.First, SeqVerdict.Straggler]);
    const s = run(16, [10, 11, 9, 12]);
    expect(s.verdicts).toEqual([SeqVerdict.First, SeqVerdict.InOrder, SeqVerdict.Straggler, SeqVerdict.InOrder]);
  });

  it('a width change restarts', () => {
    const s = new SequenceState();
    expect(s.track(5, 24, false)).toBe(SeqVerdict.First);
    expect(s.track(6, 28, false)).toBe(SeqVerdict.Restart);
    expect(s.track(7, 28, false)).toBe(SeqVerdict.InOrder);
  });
});

describe('reduceSeq', () => {
  it('is seq mod 2^bits for every width, across each width\'s wrap and above 2^32', () => {
    const samples = [0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 12345];
    for (let bits = 1; bits <= 32; bits++) {
      for (const seq of samples) expect(reduceSeq(seq, bits), `${seq} in ${bits} bits`).toBe(seq % 2 ** bits);
    }
  });
});
