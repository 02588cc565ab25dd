/**
 * Every option of the aggregator, declared once: the parser (flags >
 * environment > config file > defaults), `streamlens aggregator --help` and
 * the configuration reference in docs/aggregator.md come from this table.
 */
import { clickhouseAuthOptions, kafkaOptions, LOG_LEVELS, opt, type ConfigOf } from '@streamlens/common';
import { checkSlotMs } from './event-time.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from './local-networks.js';
import { validateAlertRules, type AlertRuleSpec } from './stream-health/alerts/alert-rules.js';

function checkCidrs(list: string[]): string | undefined {
  try {
    new LocalNetworks(list);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export const aggregatorOptions = {
  groupId: opt.string({ doc: 'Kafka consumer group; instances in one group share the partitions (scale-out) and one set of results', default: 'streamlens-aggregator' }),
  clickhouseUrl: opt.string({ doc: 'ClickHouse HTTP(S) URL', default: 'http://127.0.0.1:8123', env: 'STREAMLENS_CLICKHOUSE_URL', envAliases: ['CLICKHOUSE_URL'], placeholder: 'URL' }),
  ...clickhouseAuthOptions,
  clickhouseCompression: opt.bool({ doc: 'gzip INSERT bodies: ~3x less to send, for a slow link to the server (costs client CPU: ~45 % of the insert-heavy benchmark)', default: false }),
  clickhouseInsertFormat: opt.enum({
    doc: 'INSERT body format: RowBinary (a third of the bytes, read by the server without parsing text; a block it cannot encode exactly goes as JSON) or JSONEachRow',
    choices: ['RowBinary', 'JSONEachRow'] as const, default: 'RowBinary',
  }),
  database: opt.string({ doc: 'ClickHouse database (created and migrated at start)', default: 'streamlens', env: 'STREAMLENS_DATABASE', validate: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'use letters, digits and _ only') }),
  window: opt.duration({ doc: 'flow window length, aligned to the epoch; must divide 1 s or be whole seconds', default: 1000, validate: checkSlotMs }),
  bucket: opt.duration({ doc: 'netflow bucket length, aligned to the epoch; must divide 1 s or be whole seconds', default: 100, validate: checkSlotMs }),
  lateness: opt.duration({ doc: 'allowed lateness: a record this far behind the newest of its capture point still updates its window; older ones go to the DLQ', default: 2000, min: 0, max: 24 * 3_600_000 }),
  idleTimeout: opt.duration({ doc: 'a capture point silent this long (processing time) has its last windows and buckets closed (0 = never)', default: 30_000, min: 0 }),
  flowTimeout: opt.duration({ doc: 'a flow key silent this long (event time) is forgotten; its next packet starts a new inter-arrival series', default: 3_600_000, min: 1000 }),
  outlierK: opt.number({ doc: 'outlier threshold: inter-arrival above running mean + k x running sample std', default: 3, min: 0 }),
  outlierWarmup: opt.int({ doc: 'inter-arrivals a key needs before its packets are tested for outliers', default: 10, min: 2 }),
  localNetworks: opt.list({ doc: 'CIDRs whose source addresses count as "out" in netflow buckets (all agents without their own list)', default: [...DEFAULT_LOCAL_NETWORKS], placeholder: 'CIDR', validate: checkCidrs }),
  localNetworksByAgent: opt.object<Record<string, string[]>>({ doc: 'per-agent local networks, agent id to a list of CIDRs (overrides local-networks for that agent)' }),
  streamHealth: opt.bool({ doc: 'track the loss, reordering and timing of every IENA, Chapter 10 and PTP stream (stream_health, ptp_events, tmats_sightings, alerts)', default: true }),
  streamSilence: opt.duration({ doc: 'a stream (or PTP clock) with no packet for this long (or for 8 of its typical intervals, if longer) is silent; after a silence a sequence that does not continue is a restart, not loss', default: 2000, min: 10, max: 24 * 3_600_000 }),
  ptpTolerance: opt.number({ doc: 'a PTP message interval further than this fraction from the advertised 2^logMessageInterval counts as off tolerance', default: 0.2, min: 0, max: 10 }),
  ptpResponseTimeout: opt.duration({ doc: 'time a PTP request (or two-step Sync) waits for its response (or Follow_Up) before it counts as unanswered; at most --lateness', default: 1000, min: 1, max: 24 * 3_600_000 }),
  maxStreams: opt.int({ doc: 'telemetry and timing streams held per enriched partition; beyond it the least recently seen are flushed early and forgotten (counted)', default: 200_000, min: 100 }),
  alertRules: opt.object<AlertRuleSpec[]>({ doc: 'alert rules: a list of {name, select, metric, above|below, window, severity} (docs/stream-health.md)', validate: validateAlertRules }),
  maxOpenKeys: opt.int({ doc: 'flow keys held in memory by this instance; beyond it the least recently seen keys are flushed early (counted)', default: 500_000, min: 100 }),
  flushInterval: opt.duration({ doc: 'how often an epoch is sealed: windows the watermark closed are inserted and offsets committed', default: 1000, min: 50, max: 600_000 }),
  epochMaxRecords: opt.int({ doc: 'records consumed before an epoch is sealed early; also the backlog at which consumption pauses while ClickHouse is slow', default: 250_000, min: 1000 }),
  checkpointInterval: opt.duration({ doc: 'how often each partition\'s state is checkpointed (a restart replays at most this much)', default: 10_000, min: 100 }),
  insertChunkRows: opt.int({ doc: 'rows per INSERT block', default: 100_000, min: 100 }),
  insertConcurrency: opt.int({ doc: 'INSERTs in flight at once', default: 4, min: 1, max: 64 }),
  retryMax: opt.duration({ doc: 'longest wait between retries of a failed ClickHouse write', default: 30_000, min: 100 }),
  maxFutureSkew: opt.duration({ doc: 'records stamped later than their Kafka message time by more than this go to the DLQ (0 = no check)', default: 3_600_000, min: 0 }),
  sessionTimeout: opt.duration({ doc: 'Kafka consumer session timeout: how long a dead instance keeps its partitions before the group moves them', default: 30_000, min: 3000, max: 300_000 }),
  startFrom: opt.enum({ doc: 'where a new consumer group starts in the enriched topic', choices: ['earliest', 'latest'] as const, default: 'earliest' }),
  flushOnStop: opt.bool({ doc: 'on stop, close every open window and bucket (end of input) instead of keeping them in the checkpoint', default: false }),
  metricsPort: opt.int({ doc: 'port of the Prometheus /metrics endpoint (0 = none)', default: 9466, min: 0, max: 65535 }),
  metricsHost: opt.string({ doc: 'address the metrics endpoint listens on', default: '0.0.0.0' }),
  logLevel: opt.enum({ doc: 'log level', choices: LOG_LEVELS, default: 'info' }),
  ...kafkaOptions,
};

export type AggregatorConfig = ConfigOf<typeof aggregatorOptions>;
