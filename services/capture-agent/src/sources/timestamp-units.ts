/**
 * pcapng timestamps: a 64-bit count of 1/units-per-second ticks, split here
 * into whole seconds and nanoseconds exactly, without BigInt on the common
 * paths (µs and ns resolutions, and binary resolutions up to 2^-37 s).
 */
import type { RawFrame } from './raw-frame.js';

const TWO32 = 4294967296;

/** if_tsresol option byte → ticks per second (MSB clear: 10^-n, set: 2^-n). */
export function unitsPerSecond(tsresol: number): number {
  const n = tsresol & 0x7f;
  return tsresol & 0x80 ? 2 ** n : 10 ** n;
}

/** Exact floor(ticks / units) and remainder for ticks = hi·2^32 + lo, stored in frame.tsSec / frame.tsNs. */
export function setTimestamp(frame: RawFrame, hi: number, lo: number, units: number, offsetSec: number): void {
  let sec: number;
  let rem: number;
  if (hi < 0x200000) {
    // Below 2^53: plain doubles are exact, and so is the floored quotient.
    const ticks = hi * TWO32 + lo;
    sec = Math.floor(ticks / units);
    rem = ticks - sec * units;
  } else if (units <= 2 ** 37) {
    // Long division in base 2^16: each partial value stays below 2^53.
    sec = 0;
    rem = 0;
    const limbs = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
    for (let i = 0; i < 4; i++) {
      const cur = rem * 65536 + limbs[i];
      const q = Math.floor(cur / units);
      rem = cur - q * units;
      sec = sec * 65536 + q;
    }
  } else {
    const ticks = (BigInt(hi) << 32n) | BigInt(lo);
    const u = BigInt(units);
    sec = Number(ticks / u);
    rem = Number(ticks % u);
  }
  frame.tsSec = sec + offsetSec;
  frame.tsNs = fractionToNs(rem, units);
}

/** floor(rem · 1e9 / units), truncating like Wireshark does for resolutions finer than 1 ns. */
function fractionToNs(rem: number, units: number): number {
  if (units === 1e9) return rem;
  if (units === 1e6) return rem * 1000;
  if (units < 1e9 && 1e9 % units === 0) return rem * (1e9 / units);
  if (units > 1e9 && units % 1e9 === 0) return Math.floor(rem / (units / 1e9));
  if (rem * 1e9 <= Number.MAX_SAFE_INTEGER) return Math.floor((rem * 1e9) / units);
  return Number((BigInt(rem) * 1_000_000_000n) / BigInt(units));
}
