/**
 * The seed analyzer's outlier rule, one-sided and online: after a warm-up of
 * `warmup` inter-arrivals, a packet whose inter-arrival exceeds its key's
 * running mean by more than k running sample standard deviations is an
 * outlier. The running statistics include every earlier inter-arrival (also
 * earlier outliers), and the outlier itself is added after the test.
 *
 * A key whose inter-arrivals have all been identical so far has no spread to
 * measure against (std 0): its first deviation sets the spread instead of
 * being flagged with an infinite sigma.
 */
import { runningSampleStd, type IatRunning } from './inter-arrival.js';

export interface OutlierRule {
  /** Threshold in sample standard deviations (seed default 3). */
  k: number;
  /** Inter-arrivals a key needs before it is tested. */
  warmup: number;
}

/** Result of a test, written into a reused object. */
export interface OutlierVerdict {
  mean: number;
  std: number;
  sigma: number;
}

/** Test `iat` against the running statistics before it; fills `out` and returns true for an outlier. */
export function testOutlier(s: IatRunning, iat: number, rule: OutlierRule, out: OutlierVerdict): boolean {
  if (s.n < rule.warmup || s.n < 2) return false;
  const std = runningSampleStd(s);
  if (!(std > 0)) return false;
  if (iat <= s.mean + rule.k * std) return false;
  out.mean = s.mean;
  out.std = std;
  out.sigma = (iat - s.mean) / std;
  return true;
}

/** One row of flow_outliers (JSON for ClickHouse; 64-bit values as strings). */
export interface OutlierRow {
  agent_id: string;
  interface: string;
  ts_ns: string;
  window_start_ns: string;
  frame_no: number;
  frame_type: string;
  src_ip: string;
  dst_ip: string;
  ip_proto: number;
  src_port: number;
  dst_port: number;
  src_mac: number;
  dst_mac: number;
  ethertype: number;
  iat_ns: number;
  mean_ns: number;
  std_ns: number;
  sigma: number;
  threshold_k: number;
}
