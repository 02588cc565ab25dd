/**
 * n bytes from src[from...] to dst[at...], four at a time through `sv` and `dv` (DataViews of src and dst
 * over the same bytes), the last one to three byte by byte. For short runs: counted under valgrind, a
 * typed-array or DataView access costs ~15–20 instructions whatever its width, so a word costs about what
 * a byte does in a byte loop, while Buffer#copy or TypedArray#set costs ~1,100–1,300 whatever the length.
 */
export function copyByWords(src: Uint8Array, sv: DataView, from: number, dst: Uint8Array, dv: DataView, at: number, n: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) dv.setInt32(at + i, sv.getInt32(from + i));
  for (; i < n; i++) dst[at + i] = src[from + i];
}
