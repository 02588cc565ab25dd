/**
 * Options of `streamlens analyze` and `streamlens run`: the store, and the
 * same agent, dissector and aggregation options as the services (the same
 * declarations, picked by name), so a setting means the same thing embedded
 * and distributed.
 */
import { hostname } from 'node:os';
import { LOG_LEVELS, opt, type OptionSpecs } from '@streamlens/common';
import { agentOptions } from '@streamlens/capture-agent';
import { dissectorOptions } from '@streamlens/dissector';
import { aggregatorOptions } from '@streamlens/aggregator';

function pick<S extends OptionSpecs, K extends keyof S>(specs: S, keys: readonly K[]): Pick<S, K> {
  const out = {} as Pick<S, K>;
  for (const k of keys) out[k] = specs[k];
  return out;
}

export const storeOptions = {
  dataDir: opt.string({ doc: 'directory of the embedded store (created if missing); query it with `streamlens sql --data-dir`', default: './streamlens-data', env: 'STREAMLENS_DATA_DIR', placeholder: 'DIR' }),
  database: aggregatorOptions.database,
};

const AGGREGATION = ['window', 'bucket', 'lateness', 'idleTimeout', 'flowTimeout', 'outlierK', 'outlierWarmup', 'localNetworks', 'localNetworksByAgent', 'maxOpenKeys',
  'streamHealth', 'streamSilence', 'ptpTolerance', 'ptpResponseTimeout', 'maxStreams', 'alertRules'] as const;
const AGENT = ['agentId', 'payloadCap', 'sampleRate', 'batchMaxRecords', 'batchMaxBytes', 'linger'] as const;

export const pipelineOptions = {
  ...storeOptions,
  ...pick(agentOptions, AGENT),
  partitions: opt.int({ doc: 'partitions of the in-process topics (records are routed as in Kafka; results do not depend on it)', default: 4, min: 1, max: 256 }),
  epochRecords: opt.int({ doc: 'records aggregated between two writes to the store', default: 250_000, min: 1000 }),
  summary: opt.bool({ doc: 'print the summary (top flows, frame types, telemetry streams, outliers, errors) at the end', default: true }),
  summaryRows: opt.int({ doc: 'rows per summary table', default: 10, min: 1, max: 1000 }),
  logLevel: opt.enum({ doc: 'log level (logs go to stderr as JSON lines)', choices: LOG_LEVELS, default: 'warn' }),
  ...pick(aggregatorOptions, AGGREGATION),
  ...dissectorOptions,
};

export const analyzeOptions = {
  ...pipelineOptions,
  ...pick(agentOptions, ['pace', 'progress', 'interfaceName'] as const),
};

export const runOptions = {
  ...pipelineOptions,
  ...pick(agentOptions, ['iface', 'filter', 'snaplen', 'promisc', 'bufferSize'] as const),
  flushInterval: aggregatorOptions.flushInterval,
  duration: opt.duration({ doc: 'stop after this long (0 = until SIGINT/SIGTERM)', default: 0, min: 0 }),
};

export function defaultAgentId(): string {
  return hostname();
}

/** `--local-net` (the name in the issue and the seed) is accepted for `--local-networks`. */
export function normalizeArgv(argv: string[]): string[] {
  return argv.map((a) => (a === '--local-net' ? '--local-networks' : a.startsWith('--local-net=') ? `--local-networks=${a.slice(12)}` : a));
}
