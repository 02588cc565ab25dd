/**
 * The Chapter 10 data checksums (protocols.md §2.5) against a plain reference
 * written from the definition: every width, every start alignment in memory
 * (the fast paths read aligned words), lengths from 0 up past the word
 * paths' thresholds, odd and partial last words, right and wrong checksums.
 */
import { describe, expect, it } from 'vitest';
import { dataChecksumOk, headerChecksum } from './checksums.js';

/** The sum, in `width` bytes, of the LE words in [start, end), the last partial word zero-padded. */
function reference(buf: Buffer, start: number, end: number, width: 1 | 2 | 4): number {
  let sum = 0n;
  for (let i = start; i < end; i += width) {
    let word = 0n;
    for (let k = 0; k < width && i + k < end; k++) word |= BigInt(buf[i + k]) << BigInt(8 * k);
    sum += word;
  }
  return Number(sum % (1n << BigInt(8 * width)));
}

function storeChecksum(buf: Buffer, at: number, value: number, width: 1 | 2 | 4): void {
  if (width === 1) buf[at] = value;
  else if (width === 2) buf.writeUInt16LE(value, at);
  else buf.writeUInt32LE(value, at);
}

describe('Chapter 10 data checksums', () => {
  let seed = 20261124;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

  for (const [flags, width] of [[1, 1], [2, 2], [3, 4]] as const) {
    it(`${width * 8}-bit sums match the definition at every alignment and length`, () => {
      const backing = Buffer.alloc(4096 + 16);
      for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(rand() * 256);
      let checked = 0;
      for (let shift = 0; shift < 8; shift++) {
        for (const len of [0, 1, 2, 3, 4, 5, 7, 31, 32, 33, 63, 64, 65, 66, 67, 127, 255, 1024, 1025, 1026, 1027, 4000]) {
          // A view starting at `shift` bytes into the backing store: the data is aligned differently in memory each time.
          const buf = backing.subarray(shift, shift + len + 8);
          const start = Math.floor(rand() * 4);
          const end = Math.min(start + len, buf.length - width);
          const want = reference(buf, start, end, width);
          storeChecksum(buf, end, want, width);
          expect(dataChecksumOk(buf, start, end, flags), `width ${width}, shift ${shift}, start ${start}, len ${len}`).toBe(true);
          storeChecksum(buf, end, (want + 1) % 2 ** (8 * width), width);
          expect(dataChecksumOk(buf, start, end, flags), `wrong sum, width ${width}, shift ${shift}, len ${len}`).toBe(false);
          checked++;
        }
      }
      expect(checked).toBe(8 * 22);
    });
  }

  it('sums of all-ones data, where every word carries, wrap as the definition says', () => {
    for (const [flags, width] of [[1, 1], [2, 2], [3, 4]] as const) {
      for (const len of [64, 1027, 4000, 65536]) {
        const buf = Buffer.alloc(len + 4, 0xff);
        storeChecksum(buf, len, reference(buf, 0, len, width), width);
        expect(dataChecksumOk(buf, 0, len, flags), `width ${width}, len ${len}`).toBe(true);
        buf[len] ^= 1;
        expect(dataChecksumOk(buf, 0, len, flags), `wrong sum, width ${width}, len ${len}`).toBe(false);
      }
    }
  });

  it('a packet without a data checksum always passes', () => {
    expect(dataChecksumOk(Buffer.from([1, 2, 3, 4]), 0, 4, 0)).toBe(true);
  });

  it('the header checksum is the 16-bit sum of its eleven LE words', () => {
    const buf = Buffer.alloc(30);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 37 + 11) & 0xff;
    expect(headerChecksum(buf, 3)).toBe(reference(buf, 3, 25, 2));
  });
});
