/**
 * Agent → dissector → aggregator in one process, over the in-process bus,
 * into the embedded store (chDB) or any SqlClient. Each stage is the service's
 * own code: the agent's FramePipeline (decode, batch, Avro encode, route),
 * the Dissector with the service's EnrichedRouter, and the aggregator's
 * PartitionAggregators behind LocalAggregator with the same ClickHouse sink.
 *
 * Delivery on the bus is synchronous: a sealed packet batch is dissected and
 * aggregated before the next frame is read. Every `epochRecords` records (and
 * at the end) the aggregator seals and writes what closed; while that write
 * runs a replay waits (congested), a live capture keeps going.
 */
import { performance } from 'node:perf_hooks';
import { AvroCodec, type Logger, type SqlClient } from '@streamlens/common';
import { AgentMetrics, FramePipeline, type CoarseClock } from '@streamlens/capture-agent';
import { Dissector, DissectorBatchCodec, EnrichedRouter, type DissectorSettings } from '@streamlens/dissector';
import {
  EnrichedDecoder, LocalAggregator, aggregationParamsOf, localNetworksOf, type AggregationOptionValues, type AlertRow,
} from '@streamlens/aggregator';
import { InProcessBus, type BusTopic } from './bus.js';

export interface EmbeddedPipelineOptions {
  store: SqlClient;
  database: string;
  logger: Logger;
  agentId: string;
  agentRun: string;
  /** Partitions of the in-process topics (routing as in Kafka). */
  partitions: number;
  sampleRate: number;
  payloadCap: number;
  batchMaxRecords: number;
  batchMaxBytes: number;
  lingerMs: number;
  dissector: DissectorSettings;
  aggregation: AggregationOptionValues & { maxOpenKeys: number; idleTimeout: number };
  /** Records aggregated between two seals (each seal writes what closed). */
  epochRecords: number;
  /** Prefix of the insert deduplication tokens. */
  runId: string;
  /** Alerts of each write, once stored (streamlens run prints them). */
  onAlerts?: (alerts: AlertRow[]) => void;
}

export interface EmbeddedStats {
  frames: number;
  records: number;
  packetBatches: number;
  enrichedMessages: number;
  late: number;
  /** health: rows into stream_health, ptp_events, tmats_sightings and alerts. */
  rowsWritten: { flows: number; outliers: number; netflow: number; health: number };
  dissectorInternalErrors: number;
  decodeErrors: number;
  /** Earliest and latest capture time seen, epoch ns (null before the first record). */
  firstNs: bigint | null;
  lastNs: bigint | null;
}

export class EmbeddedPipeline {
  readonly bus = new InProcessBus();
  readonly agentMetrics = new AgentMetrics();
  readonly dissector: Dissector;
  private readonly codec = AvroCodec.forStreamLens();
  private readonly batchCodec = new DissectorBatchCodec(this.codec);
  private readonly router: EnrichedRouter;
  /** Reads the integrity fields only when stream health is on. */
  private readonly decoder: EnrichedDecoder;
  private readonly aggregator: LocalAggregator;
  private readonly packets: BusTopic;
  private readonly enriched: BusTopic;
  private readonly pipelines: FramePipeline[] = [];
  private readonly clock: CoarseClock = { ms: performance.now() };
  private batchSeq = 0;
  private recordsSinceSeal = 0;
  private flushing: Promise<void> | null = null;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly stats = { records: 0, late: 0, rows: { flows: 0, outliers: 0, netflow: 0, health: 0 } };
  /** Capture time span seen (epoch ns), for the summary's queries. */
  private firstNs: bigint | null = null;
  private lastNs: bigint | null = null;

  constructor(private readonly o: EmbeddedPipelineOptions) {
    this.dissector = new Dissector({ ...o.dissector, logger: o.logger });
    this.router = new EnrichedRouter(this.batchCodec, o.partitions);
    this.packets = this.bus.topic('packets', o.partitions);
    this.enriched = this.bus.topic('enriched', o.partitions);
    const params = aggregationParamsOf(o.aggregation);
    this.decoder = new EnrichedDecoder({ streamHealth: params.health !== null });
    this.aggregator = new LocalAggregator(o.store, {
      database: o.database,
      params,
      localNetworks: localNetworksOf(o.aggregation),
      maxOpenKeys: o.aggregation.maxOpenKeys,
      runId: o.runId,
      onAlerts: o.onAlerts,
    });
    // Dissector stage: packets topic in, enriched topic out (re-routed like the service).
    this.packets.subscribe((_partition, _offset, value) => {
      const batch = this.batchCodec.decodePacketBatch(value);
      this.observeTimes(batch.base_ts_ns, batch.records);
      const out = this.dissector.dissectBatch(batch);
      for (const m of this.router.route(out, batch)) this.enriched.publish(m.partition, m.value);
    });
    // Aggregator stage: enriched topic in, rows out at each seal.
    this.enriched.subscribe((partition, _offset, value) => {
      const batch = this.decoder.decode(value);
      const rejected = this.aggregator.ingest(partition, batch, 0, Date.now());
      if (rejected) this.stats.late += rejected.length;
      this.stats.records += batch.records.length;
      this.recordsSinceSeal += batch.records.length;
      if (this.recordsSinceSeal >= this.o.epochRecords) this.seal(false);
    });
  }

  private observeTimes(base: bigint, records: readonly { ts_offset_ns: number }[]): void {
    if (records.length === 0) return;
    let lo = records[0].ts_offset_ns;
    let hi = lo;
    for (const r of records) {
      if (r.ts_offset_ns < lo) lo = r.ts_offset_ns;
      if (r.ts_offset_ns > hi) hi = r.ts_offset_ns;
    }
    const first = base + BigInt(lo);
    const last = base + BigInt(hi);
    if (this.firstNs === null || first < this.firstNs) this.firstNs = first;
    if (this.lastNs === null || last > this.lastNs) this.lastNs = last;
  }

  /** Create or upgrade the tables, start the linger timer. */
  async start(): Promise<void> {
    await this.aggregator.migrate();
    this.sweepTimer = setInterval(() => {
      const now = performance.now();
      this.clock.ms = now;
      for (const p of this.pipelines) p.batcher.sweep(now);
    }, Math.max(5, Math.min(25, Math.floor(this.o.lingerMs / 4))));
    this.sweepTimer.unref(); // the source keeps the process alive, not the batch clock
  }

  /** The agent stage of one capture interface (frames in, packet batches onto the bus). */
  pipelineFor(interfaceName: string, linkType: number): FramePipeline {
    const o = this.o;
    const p = new FramePipeline(this.codec, {
      agentId: o.agentId, agentRun: o.agentRun, interfaceName, linkType, sampleRate: o.sampleRate, payloadCap: o.payloadCap,
      maxRecords: o.batchMaxRecords, maxBytes: o.batchMaxBytes, lingerMs: o.lingerMs, partitionCount: o.partitions,
      nextBatchSeq: () => this.batchSeq++,
      onSealed: (b) => this.packets.publish(b.partition, b.value),
    }, this.agentMetrics, o.logger, this.clock);
    this.pipelines.push(p);
    return p;
  }

  /** True while a seal's rows are being written (a replay should wait). */
  get congested(): boolean {
    return this.flushing !== null;
  }

  /** Resolves when the write in progress is done. */
  room(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private seal(final: boolean): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.seal(final));
    this.recordsSinceSeal = 0;
    const run = this.aggregator.flush({ final, nowMs: Date.now(), idleTimeoutMs: final ? 0 : this.o.aggregation.idleTimeout })
      .then((r) => {
        this.stats.rows.flows += r.flows;
        this.stats.rows.outliers += r.outliers;
        this.stats.rows.netflow += r.netflow;
        this.stats.rows.health += r.health + r.ptpEvents + r.tmats + r.alerts.length;
      }, (err: unknown) => {
        this.failure ??= err as Error;
        this.o.logger.error({ err: (err as Error).message }, 'writing to the store failed');
      })
      .finally(() => {
        this.flushing = null;
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      });
    this.flushing = run;
    return run;
  }

  /** Close every open batch and window, write everything; throws if a write failed. */
  async finish(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const p of this.pipelines) p.batcher.flush();
    await this.seal(true);
    if (this.failure) throw this.failure;
  }

  /** Seal what the watermarks closed now (live capture calls this periodically). */
  async checkpoint(): Promise<void> {
    await this.seal(false);
    if (this.failure) throw this.failure;
  }

  summary(): EmbeddedStats {
    const m = this.agentMetrics;
    return {
      frames: m.captured.total(),
      records: this.stats.records,
      packetBatches: this.packets.messages,
      enrichedMessages: this.enriched.messages,
      late: this.stats.late,
      rowsWritten: { ...this.stats.rows },
      dissectorInternalErrors: this.dissector.metrics.internalErrors.value,
      decodeErrors: m.errored.total(),
      firstNs: this.firstNs,
      lastNs: this.lastNs,
    };
  }
}
