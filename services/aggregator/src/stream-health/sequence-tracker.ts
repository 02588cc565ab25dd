/**
 * Sequence-number continuity of one telemetry or timing stream: every packet
 * is classified as the first, in order, a gap (some numbers skipped), a
 * duplicate, a late arrival that fills an earlier gap, a straggler older
 * than the stream's history, or a restart. The rules (docs/stream-health.md):
 *
 * Let M = 2^width, last = the newest sequence so far and
 * delta = (seq - last) mod M.
 *
 *   1. delta = 1                               in order (also after a silence)
 *   2. after a silence (no packet of the stream
 *      for the silence threshold), anything else  restart: nothing is counted
 *                                              lost, duplicated or late across it
 *   3. delta = 0                               duplicate
 *   4. 2 <= delta <= M/2                       gap: delta - 1 numbers skipped
 *   5. behind last by b = M - delta, b < 64:
 *        b names a number a gap skipped         late (out-of-order) arrival
 *        b names a number already seen         duplicate
 *        b is before the stream's first packet  straggler
 *   6. behind by 64 or more                    restart (the counter was reset)
 *
 * The last 63 numbers behind `last` are kept in a 64-bit map of those a gap
 * skipped and that have not arrived since (two 32-bit halves: no allocation).
 * Counters wrap at their width, so the rules hold across a wrap.
 */

/** 2^bits for every counter width (a table: `2 ** bits` is a Math.pow call on every packet). */
export const POW2: readonly number[] = Array.from({ length: 33 }, (_, i) => 2 ** i);

/**
 * A non-negative sequence reduced to `bits` (1..32): `seq % 2^bits` in
 * integer operations (`%` on a number that may be a double is a C call).
 */
export function reduceSeq(seq: number, bits: number): number {
  return bits >= 32 ? seq >>> 0 : seq & (POW2[bits] - 1);
}

/** How far behind the newest sequence a late packet is still recognised. */
export const REORDER_WINDOW = 64;

export const enum SeqVerdict {
  First = 0,
  InOrder = 1,
  Gap = 2,
  Duplicate = 3,
  Late = 4,
  Straggler = 5,
  Restart = 6,
}

export class SequenceState {
  /** A packet has been seen (since the start or the last restart). */
  has = false;
  /** Counter width in bits (8, 16, 24, up to 32). */
  bits = 0;
  last = 0;
  /** Missing map: bit i (1..63) set = sequence (last - i) mod M was skipped and not seen since. */
  missLo = 0;
  missHi = 0;
  /** Positions behind `last` covered by the stream's history (0..63). */
  span = 0;
  /** Numbers skipped by the last Gap verdict. */
  gap = 0;

  reset(): void {
    this.has = false;
    this.missLo = 0;
    this.missHi = 0;
    this.span = 0;
  }

  /**
   * Classify `seq` (already reduced to the width). `silent`: the stream sent
   * nothing for at least the silence threshold before this packet.
   */
  track(seq: number, bits: number, silent: boolean): SeqVerdict {
    if (!this.has) {
      this.start(seq, bits);
      return SeqVerdict.First;
    }
    if (bits !== this.bits) {
      this.start(seq, bits);
      return SeqVerdict.Restart;
    }
    const m = POW2[bits];
    let delta = seq - this.last;
    if (delta < 0) delta += m;
    if (delta === 1) {
      this.advance(1);
      this.last = seq;
      return SeqVerdict.InOrder;
    }
    if (silent) {
      this.start(seq, bits);
      return SeqVerdict.Restart;
    }
    if (delta === 0) return SeqVerdict.Duplicate;
    if (delta <= m / 2) {
      this.advance(delta);
      this.markSkipped(delta - 1);
      this.last = seq;
      this.gap = delta - 1;
      return SeqVerdict.Gap;
    }
    const b = m - delta;
    if (b < REORDER_WINDOW) {
      if (b > this.span) return SeqVerdict.Straggler;
      if (this.isMissing(b)) {
        this.clearMissing(b);
        return SeqVerdict.Late;
      }
      return SeqVerdict.Duplicate;
    }
    this.start(seq, bits);
    return SeqVerdict.Restart;
  }

  private start(seq: number, bits: number): void {
    this.has = true;
    this.bits = bits;
    this.last = seq;
    this.missLo = 0;
    this.missHi = 0;
    this.span = 0;
  }

  /** `last` moves forward by n: every position shifts by n. */
  private advance(n: number): void {
    const s = this.span + n;
    this.span = s > REORDER_WINDOW - 1 ? REORDER_WINDOW - 1 : s;
    if (n >= 64) {
      this.missLo = 0;
      this.missHi = 0;
    } else if (n >= 32) {
      this.missHi = n === 32 ? this.missLo : this.missLo << (n - 32);
      this.missLo = 0;
    } else {
      this.missHi = (this.missHi << n) | (this.missLo >>> (32 - n));
      this.missLo = this.missLo << n;
    }
  }

  /** Positions 1..k (the numbers just skipped) are missing. */
  private markSkipped(k: number): void {
    if (k > 63) k = 63;
    if (k <= 0) return;
    // bits 1..k: in the low half bits 1..min(k,31), in the high half bits 0..k-32
    const lowTop = k < 31 ? k : 31;
    this.missLo |= lowTop === 31 ? 0xfffffffe : ((1 << (lowTop + 1)) - 2);
    if (k >= 32) {
      const n = k - 31; // high bits 0..k-32 → n bits
      this.missHi |= n >= 32 ? -1 : (1 << n) - 1;
    }
  }

  isMissing(b: number): boolean {
    return b < 32 ? (this.missLo & (1 << b)) !== 0 : (this.missHi & (1 << (b - 32))) !== 0;
  }

  private clearMissing(b: number): void {
    if (b < 32) this.missLo &= ~(1 << b);
    else this.missHi &= ~(1 << (b - 32));
  }
}
