/** AggregationParams and local networks from the aggregator options (the service and the embedded mode). */
import type { AggregationParams } from './capture-point.js';
import { TimeGrid } from './event-time.js';
import { LocalNetworksByAgent } from './local-networks.js';
import { compileAlertRules } from './stream-health/alerts/alert-rules.js';
import type { StreamHealthParams } from './stream-health/stream-health.js';

/** Stream-health defaults (docs/stream-health.md); the options declare the same values. */
export const STREAM_HEALTH_DEFAULTS = {
  streamSilenceMs: 2000,
  ptpTolerance: 0.2,
  ptpResponseTimeoutMs: 1000,
  maxStreams: 200_000,
} as const;

export interface AggregationOptionValues {
  window: number;
  bucket: number;
  lateness: number;
  flowTimeout: number;
  outlierK: number;
  outlierWarmup: number;
  localNetworks: string[];
  localNetworksByAgent?: Record<string, string[]>;
  /** Stream health (default on) and its settings; absent values take the defaults. */
  streamHealth?: boolean;
  streamSilence?: number;
  ptpTolerance?: number;
  ptpResponseTimeout?: number;
  maxStreams?: number;
  alertRules?: unknown;
}

/** The stream-health settings, or null when it is off. Throws with the rule and key when an alert rule is wrong. */
export type StreamHealthOptionValues = Pick<AggregationOptionValues, 'window' | 'lateness' | 'streamHealth' | 'streamSilence' | 'ptpTolerance'
  | 'ptpResponseTimeout' | 'maxStreams' | 'alertRules'>;

export function streamHealthParamsOf(c: StreamHealthOptionValues): StreamHealthParams | null {
  if (c.streamHealth === false) return null;
  const windowNs = Math.round(c.window * 1e6);
  const latenessNs = Math.round(c.lateness * 1e6);
  const timeoutNs = Math.round((c.ptpResponseTimeout ?? STREAM_HEALTH_DEFAULTS.ptpResponseTimeoutMs) * 1e6);
  return {
    silenceNs: Math.round((c.streamSilence ?? STREAM_HEALTH_DEFAULTS.streamSilenceMs) * 1e6),
    ptpTolerance: c.ptpTolerance ?? STREAM_HEALTH_DEFAULTS.ptpTolerance,
    // a request's outcome is counted in its window, which closes after the lateness: the timeout cannot be longer
    responseTimeoutNs: Math.min(timeoutNs, latenessNs),
    maxStreams: c.maxStreams ?? STREAM_HEALTH_DEFAULTS.maxStreams,
    rules: compileAlertRules(c.alertRules, windowNs),
  };
}

export function aggregationParamsOf(c: AggregationOptionValues): AggregationParams {
  return {
    window: new TimeGrid(Math.round(c.window * 1e6)),
    bucket: new TimeGrid(Math.round(c.bucket * 1e6)),
    latenessNs: Math.round(c.lateness * 1e6),
    outliers: { k: c.outlierK, warmup: c.outlierWarmup },
    flowTimeoutNs: Math.round(c.flowTimeout * 1e6),
    health: streamHealthParamsOf(c),
  };
}

export function localNetworksOf(c: AggregationOptionValues): LocalNetworksByAgent {
  return new LocalNetworksByAgent(c.localNetworks, c.localNetworksByAgent ?? {});
}
