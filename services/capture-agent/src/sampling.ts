/**
 * 1-in-N packet sampling. Each frame is kept with probability 1/N, chosen by
 * a fast PRNG rather than every Nth frame: periodic traffic (two flows
 * alternating, a 1-in-N cadence in a test rig) would alias with a fixed
 * stride and bias the sample to one flow. The expected count is exact; the
 * batch's sample_rate lets aggregates scale counts back by N.
 */
export class Sampler {
  private state: number;

  constructor(readonly rate: number, seed = (Math.random() * 0xffffffff) >>> 0) {
    if (!Number.isInteger(rate) || rate < 1) throw new Error(`sample rate must be a positive integer, got ${rate}`);
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Whether to keep the next frame (always true at rate 1). */
  keep(): boolean {
    if (this.rate === 1) return true;
    // xorshift32: period 2^32-1, no allocation.
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state % this.rate === 0;
  }
}
