/**
 * The aggregator's metrics: a counter for everything that moves, from the
 * enriched topic to the ClickHouse acknowledgement. docs/aggregator.md lists
 * them from `describe()`.
 */
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from '@streamlens/common';
import type { IngestCounters } from './capture-point.js';

export class AggregatorMetrics {
  readonly registry = new MetricsRegistry('streamlens_aggregator_');
  readonly messagesIn: Counter;
  readonly recordsIn: Counter;
  readonly rejected: Counter;
  readonly deadLetters: Counter;
  readonly rowsWritten: Counter;
  readonly inserts: Counter;
  readonly insertRetries: Counter;
  readonly epochsSealed: Counter;
  readonly epochsReplayed: Counter;
  readonly replayMismatches: Counter;
  readonly checkpointsWritten: Counter;
  readonly checkpointBytes: Counter;
  readonly restores: Counter;
  readonly restoreWarnings: Counter;
  readonly cyclesAborted: Counter;
  readonly reseeks: Counter;
  readonly backpressurePauses: Counter;
  readonly rebalances: Counter;
  readonly keysCreated: Counter;
  readonly keysExpired: Counter;
  readonly keysEvicted: Counter;
  readonly windowsEmitted: Counter;
  readonly windowsFlushedEarly: Counter;
  readonly bucketsEmitted: Counter;
  readonly outliers: Counter;
  readonly negativeInterArrivals: Counter;
  readonly streamsCreated: Counter;
  readonly streamsExpired: Counter;
  readonly streamsEvicted: Counter;
  readonly healthWindows: Counter;
  readonly ptpEvents: Counter;
  readonly tmatsSightings: Counter;
  readonly alerts: Counter;
  readonly alertsPublished: Counter;
  readonly healthSkipped: Counter;
  readonly openStreams: Gauge;
  readonly openKeys: Gauge;
  readonly partitionsOwned: Gauge;
  readonly lag: Gauge;
  readonly watermarkDelay: Gauge;
  readonly cycleSeconds: Histogram;
  readonly insertSeconds: Histogram;
  private synced = new Map<string, number>();

  constructor() {
    const r = this.registry;
    this.messagesIn = r.counter('messages_in_total', 'Kafka messages consumed from the enriched topic');
    this.recordsIn = r.counter('records_in_total', 'enriched records consumed');
    this.rejected = r.counter('records_rejected_total', 'records not aggregated, by reason (too_late: behind the watermark; future_timestamp; bad_timestamp)', ['reason']);
    this.deadLetters = r.counter('dead_letters_total', 'messages sent to the DLQ topic, by reason (unknown_schema, malformed_avro, too_late, future_timestamp, bad_timestamp)', ['reason']);
    this.rowsWritten = r.counter('rows_written_total', 'rows inserted into ClickHouse (replays included; ClickHouse drops repeated blocks), by table', ['table']);
    this.inserts = r.counter('inserts_total', 'INSERT blocks acknowledged by ClickHouse, by table', ['table']);
    this.insertRetries = r.counter('insert_retries_total', 'ClickHouse writes retried after an error, by table (aggregator_epochs: intents and checkpoints)', ['table']);
    this.epochsSealed = r.counter('epochs_sealed_total', 'epochs sealed (intent written, offsets committed, rows inserted)');
    this.epochsReplayed = r.counter('epochs_replayed_total', 'epochs re-sealed from their recorded intent after a crash or rebalance');
    this.replayMismatches = r.counter('replay_mismatches_total', 'replayed epochs whose row counts differ from the intent (configuration changed between crash and restart)');
    this.checkpointsWritten = r.counter('checkpoints_written_total', 'partition checkpoints written');
    this.checkpointBytes = r.counter('checkpoint_bytes_total', 'compressed checkpoint bytes written');
    this.restores = r.counter('restores_total', 'partitions restored from ClickHouse after an assignment or an aborted epoch');
    this.restoreWarnings = r.counter('restore_warnings_total', 'restores that could not follow the committed intent chain (see the logs)');
    this.cyclesAborted = r.counter('cycles_aborted_total', 'epoch cycles abandoned because the group rebalanced or a commit failed (the state is restored)');
    this.reseeks = r.counter('reseeks_total', 'batches skipped because they did not continue at the aggregated position (consumption re-positioned)');
    this.backpressurePauses = r.counter('backpressure_pauses_total', 'times consumption paused because ClickHouse writes fell behind');
    this.rebalances = r.counter('rebalances_total', 'consumer-group joins (assignments received)');
    this.keysCreated = r.counter('keys_created_total', 'flow keys created');
    this.keysExpired = r.counter('keys_expired_total', 'flow keys forgotten after the flow timeout');
    this.keysEvicted = r.counter('keys_evicted_total', 'flow keys flushed early because the open-key cap was reached');
    this.windowsEmitted = r.counter('windows_emitted_total', 'flow windows closed by the watermark');
    this.windowsFlushedEarly = r.counter('windows_flushed_early_total', 'flow windows emitted early with an evicted key');
    this.bucketsEmitted = r.counter('buckets_emitted_total', 'netflow bucket parts emitted');
    this.outliers = r.counter('outliers_total', 'inter-arrival outliers recorded');
    this.negativeInterArrivals = r.counter('negative_inter_arrivals_total', 'packets stamped earlier than the previous packet of their key (no inter-arrival sample)');
    this.streamsCreated = r.counter('streams_created_total', 'telemetry and timing streams (IENA, Chapter 10, PTP) tracked for stream health');
    this.streamsExpired = r.counter('streams_expired_total', 'streams forgotten after the flow timeout');
    this.streamsEvicted = r.counter('streams_evicted_total', 'streams flushed early because the stream cap was reached');
    this.healthWindows = r.counter('stream_health_windows_total', 'stream_health rows emitted (stream windows closed)');
    this.ptpEvents = r.counter('ptp_events_total', 'PTP events found (clock appeared or silent, grandmaster and Announce changes)');
    this.tmatsSightings = r.counter('tmats_sightings_total', 'tmats_sightings rows emitted');
    this.alerts = r.counter('alerts_total', 'alert state changes, by state (firing, resolved)', ['state']);
    this.alertsPublished = r.counter('alerts_published_total', 'alert records published to the alerts topic (replays that were already published are not sent again)');
    this.healthSkipped = r.counter('stream_health_skipped_total', 'records not tracked for stream health, by reason (sampled: batch sampled 1 in N > 1; no_address: IENA or Chapter 10 without IP addresses)', ['reason']);
    this.openStreams = r.gauge('open_streams', 'telemetry and timing streams held in memory');
    this.openKeys = r.gauge('open_keys', 'flow keys held in memory');
    this.partitionsOwned = r.gauge('partitions_owned', 'enriched-topic partitions assigned to this instance');
    this.lag = r.gauge('consumer_lag', 'messages between the aggregated position and the end of the partition', ['partition']);
    this.watermarkDelay = r.gauge('watermark_delay_seconds', 'wall clock minus the newest watermark, over owned partitions (large when replaying old captures)');
    this.cycleSeconds = r.histogram('cycle_seconds', 'time from sealing an epoch to its rows and checkpoint being written', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    this.insertSeconds = r.histogram('insert_seconds', 'time of one INSERT block including retries', [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  }

  /** Copy the hot path's plain counters into the registry (adds the difference since the last call). */
  sync(c: IngestCounters): void {
    const add = (name: string, value: number, counter: Counter | { inc(n: number): void }) => {
      const before = this.synced.get(name) ?? 0;
      if (value > before) counter.inc(value - before);
      this.synced.set(name, value);
    };
    add('records', c.records, this.recordsIn);
    add('late', c.late, this.rejected.labels('too_late'));
    add('future', c.future, this.rejected.labels('future_timestamp'));
    add('badTime', c.badTime, this.rejected.labels('bad_timestamp'));
    add('negativeIat', c.negativeIat, this.negativeInterArrivals);
    add('outliers', c.outliers, this.outliers);
    add('keysCreated', c.keysCreated, this.keysCreated);
    add('keysExpired', c.keysExpired, this.keysExpired);
    add('keysEvicted', c.keysEvicted, this.keysEvicted);
    add('windowsEmitted', c.windowsEmitted, this.windowsEmitted);
    add('windowsFlushedEarly', c.windowsFlushedEarly, this.windowsFlushedEarly);
    add('bucketsEmitted', c.bucketsEmitted, this.bucketsEmitted);
    const h = c.health;
    add('streamsCreated', h.streamsCreated, this.streamsCreated);
    add('streamsExpired', h.streamsExpired, this.streamsExpired);
    add('streamsEvicted', h.streamsEvicted, this.streamsEvicted);
    add('healthWindows', h.windowsEmitted, this.healthWindows);
    add('ptpEvents', h.ptpEvents, this.ptpEvents);
    add('tmatsRows', h.tmatsRows, this.tmatsSightings);
    add('alertsFired', h.alertsFired, this.alerts.labels('firing'));
    add('alertsResolved', h.alertsResolved, this.alerts.labels('resolved'));
    add('sampledSkipped', h.sampledSkipped, this.healthSkipped.labels('sampled'));
    add('noAddress', h.noAddress, this.healthSkipped.labels('no_address'));
  }
}
