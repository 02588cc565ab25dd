/** AggregationParams and local networks from the aggregator options (the service and the embedded mode). */
import type { AggregationParams } from './capture-point.js';
import { TimeGrid } from './event-time.js';
import { LocalNetworksByAgent } from './local-networks.js';

export interface AggregationOptionValues {
  window: number;
  bucket: number;
  lateness: number;
  flowTimeout: number;
  outlierK: number;
  outlierWarmup: number;
  localNetworks: string[];
  localNetworksByAgent?: Record<string, string[]>;
}

export function aggregationParamsOf(c: AggregationOptionValues): AggregationParams {
  return {
    window: new TimeGrid(Math.round(c.window * 1e6)),
    bucket: new TimeGrid(Math.round(c.bucket * 1e6)),
    latenessNs: Math.round(c.lateness * 1e6),
    outliers: { k: c.outlierK, warmup: c.outlierWarmup },
    flowTimeoutNs: Math.round(c.flowTimeout * 1e6),
  };
}

export function localNetworksOf(c: AggregationOptionValues): LocalNetworksByAgent {
  return new LocalNetworksByAgent(c.localNetworks, c.localNetworksByAgent ?? {});
}
