/**
 * Inter-arrival statistics, in two forms:
 *
 * - per window, as sums that merge by addition across windows and keys
 *   (count, sum, sum of squares, min, max): summing every window of a key
 *   gives the whole-capture mean and population standard deviation exactly
 *   (up to Float64 rounding of the sum of squares);
 * - per key, a running mean and variance (Welford) over every inter-arrival
 *   seen so far, which the outlier rule compares each new one against.
 */

/** The merge-able sums carried by a window row. */
export interface IatSums {
  iatCount: number;
  iatSum: number;
  iatSumSq: number;
  iatMin: number;
  iatMax: number;
}

export function addIatSample(s: IatSums, iat: number): void {
  if (s.iatCount === 0) {
    s.iatMin = iat;
    s.iatMax = iat;
  } else {
    if (iat < s.iatMin) s.iatMin = iat;
    if (iat > s.iatMax) s.iatMax = iat;
  }
  s.iatCount++;
  s.iatSum += iat;
  s.iatSumSq += iat * iat;
}

/** Welford's running mean and sum of squared deviations. */
export interface IatRunning {
  n: number;
  mean: number;
  m2: number;
}

export function addRunning(s: IatRunning, x: number): void {
  s.n++;
  const d = x - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (x - s.mean);
}

/** Sample standard deviation (n - 1), as the seed's outlier rule used. */
export function runningSampleStd(s: IatRunning): number {
  return s.n < 2 ? 0 : Math.sqrt(Math.max(s.m2, 0) / (s.n - 1));
}

/** Whole-key figures from summed window rows: mean and population std (the seed's per-flow figures). */
export function meanAndStd(sums: Pick<IatSums, 'iatCount' | 'iatSum' | 'iatSumSq'>): { mean: number; std: number } {
  if (sums.iatCount === 0) return { mean: NaN, std: NaN };
  const mean = sums.iatSum / sums.iatCount;
  return { mean, std: Math.sqrt(Math.max(sums.iatSumSq / sums.iatCount - mean * mean, 0)) };
}
