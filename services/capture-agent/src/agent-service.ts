/**
 * The capture agent as a service: a source (live interfaces or replayed
 * files) feeding one FramePipeline per interface (sample, decode, batch),
 * whose closed batches go to the Publisher (Kafka, or the spool while Kafka is
 * down or slow). Metrics on a Prometheus endpoint, statistics in the log.
 *
 * Constructor starts nothing; start() opens the spool, checks the topic,
 * starts the metrics endpoint and the source; stop() stops the source,
 * closes every open batch, lets the publisher finish (Kafka or spool) and
 * closes everything, so the process can exit by itself.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { logLevel } from 'kafkajs';
import { AvroCodec, createKafka, createLogger, serveMetrics, topicNames, type Logger, type MetricsServer, type Service } from '@streamlens/common';
import { AgentMetrics } from './agent-metrics.js';
import { defaultSpoolDir, paceFactor, type AgentConfig } from './agent-options.js';
import { DEFAULT_PAYLOAD_CAP } from './decode/index.js';
import { FramePipeline, type CoarseClock } from './frame-pipeline.js';
import { Publisher } from './publisher.js';
import type { CaptureInterfaceInfo, RawFrame } from './sources/capture-file.js';
import { LiveCapture } from './sources/live-capture.js';
import { FileReplay, type ReplayResult } from './sources/replay.js';
import { replayInterfaceName } from './sources/interface-name.js';

export interface AgentServiceDeps {
  logger?: Logger;
  metrics?: AgentMetrics;
  /** Where the replay progress line may go (drawn only if it is a terminal). */
  progressOut?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** How the source ended. */
export interface AgentOutcome {
  /** The replay read every file to its end (false for live capture, or when stopped). */
  completed: boolean;
  replay?: ReplayResult;
}

export class AgentService implements Service {
  readonly metrics: AgentMetrics;
  readonly agentId: string;
  readonly agentRun = randomBytes(8).toString('hex');
  private logger: Logger;
  private publisher: Publisher | undefined;
  private live: LiveCapture | undefined;
  private replay: FileReplay | undefined;
  private replayRun: Promise<ReplayResult> | undefined;
  private readonly pipelines: FramePipeline[] = [];
  private readonly clock: CoarseClock = { ms: performance.now() };
  private batchSeq = 0;
  private codec: AvroCodec | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private metricsServer: MetricsServer | undefined;
  private stopping: Promise<void> | undefined;
  private drainSpoolOnStop = false;
  private resolveFinished: (o: AgentOutcome) => void = () => {};
  /** Resolves when the source has ended: a replay read all its files, or the agent was stopped. */
  readonly finished: Promise<AgentOutcome> = new Promise((resolve) => { this.resolveFinished = resolve; });
  private lastStats = { at: 0, captured: 0, published: 0 };

  constructor(private readonly config: AgentConfig, private readonly deps: AgentServiceDeps = {}) {
    this.agentId = config.agentId ?? hostname();
    this.metrics = deps.metrics ?? new AgentMetrics();
    this.logger = deps.logger ?? createLogger({ service: 'agent', agentId: this.agentId, level: config.logLevel });
  }

  /** The Kafka/spool side (for tests and the stats log). */
  get publisherStats() {
    return this.publisher?.stats();
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  async start(): Promise<void> {
    if (this.publisher) throw new Error('agent already started');
    const c = this.config;
    const codec = AvroCodec.forStreamLens();
    this.codec = codec;
    const kafka = createKafka(c, `streamlens-agent-${this.agentId}`, this.logger, logLevel.NOTHING, {
      // The publisher runs its own retry loop (and logs Kafka trouble once per outage).
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
      connectionTimeout: 3000,
    });
    const live = (c.iface ?? []).length > 0;
    const publisher = new Publisher(kafka, codec, this.metrics, this.logger, {
      topic: topicNames(c.topicPrefix).packets,
      createTopic: c.createTopics,
      topicPartitions: c.topicPartitions,
      topicReplication: c.topicReplication,
      compression: c.kafkaCompression,
      producers: c.kafkaProducers,
      queueMaxBytes: c.queueMaxBytes,
      spoolAfterMs: c.spoolAfter,
      drainTimeoutMs: c.drainTimeout,
      overflow: live ? 'spool' : 'wait',
      batchMaxBytes: c.batchMaxBytes,
      agentRun: this.agentRun,
      nextBatchSeq: () => this.batchSeq++,
      spool: { dir: c.spoolDir ?? defaultSpoolDir(), maxBytes: c.spoolMaxBytes, segmentBytes: c.spoolSegmentBytes, flushIntervalMs: c.spoolFlushInterval },
    });
    this.publisher = publisher;
    await publisher.start();
    publisher.onPartitionCount((n) => {
      for (const p of this.pipelines) p.batcher.setPartitionCount(n);
    });
    try {
      if (c.metricsPort > 0) {
        this.metricsServer = await serveMetrics([this.metrics.registry], c.metricsPort, c.metricsHost, () => publisher.healthy);
        this.logger.info({ port: this.metricsServer.port, host: c.metricsHost }, 'metrics on /metrics');
      }
      const tick = Math.max(5, Math.min(25, Math.floor(c.linger / 4)));
      this.sweepTimer = setInterval(() => this.sweep(), tick);
      this.statsTimer = setInterval(() => this.logStats(), c.statsInterval);
      this.statsTimer.unref();
      this.logger.info({ agentRun: this.agentRun, topic: topicNames(c.topicPrefix).packets, partitions: publisher.partitionCount,
        source: live ? { interfaces: c.iface } : { files: c.read, pace: c.pace }, sampleRate: c.sampleRate }, 'agent started');
      if (live) await this.startLive();
      else this.startReplay();
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  private pipeline(interfaceName: string, linkType: number): FramePipeline {
    const c = this.config;
    const p = new FramePipeline(this.codec!, {
      agentId: this.agentId, agentRun: this.agentRun, interfaceName, linkType, sampleRate: c.sampleRate,
      payloadCap: c.payloadCap ?? DEFAULT_PAYLOAD_CAP, maxRecords: c.batchMaxRecords, maxBytes: c.batchMaxBytes, lingerMs: c.linger,
      partitionCount: this.publisher!.partitionCount, nextBatchSeq: () => this.batchSeq++,
      onSealed: (batch) => this.publisher!.accept(batch),
    }, this.metrics, this.logger, this.clock);
    this.pipelines.push(p);
    return p;
  }

  private async startLive(): Promise<void> {
    const c = this.config;
    this.live = new LiveCapture({
      interfaces: c.iface!, filter: c.filter ?? '', snaplen: c.snaplen, promisc: c.promisc, bufferSize: c.bufferSize, logger: this.logger,
    });
    await this.live.start((name, linkType) => {
      const p = this.pipeline(name, linkType);
      return (buf, capLen, wireLen, sec, ns, no) => p.frame(buf, 0, capLen, wireLen, sec, ns, no);
    });
  }

  private startReplay(): void {
    const c = this.config;
    // Pipelines by file, then interface index; the last one is cached (no lookup per frame).
    const byFile: FramePipeline[][] = [];
    let lastFile = -1;
    let lastIface = -1;
    let last: FramePipeline | undefined;
    const onFrame = (f: RawFrame, iface: CaptureInterfaceInfo, file: number) => {
      if (file !== lastFile || f.interfaceIndex !== lastIface) {
        const list = (byFile[file] ??= []);
        last = list[f.interfaceIndex] ??= this.pipeline(replayInterfaceName(c.read![file], iface, c.interfaceName), f.linkType);
        lastFile = file;
        lastIface = f.interfaceIndex;
      }
      last!.frame(f.buf, f.offset, f.capLen, f.wireLen, f.tsSec, f.tsNs, f.frameNo);
    };
    const publisher = this.publisher!;
    this.replay = new FileReplay({
      files: c.read!, pace: paceFactor(c.pace), onFrame, framesConsumed: true, logger: this.logger,
      congested: () => publisher.congested, room: () => publisher.room(),
      progress: this.deps.progressOut ? { out: this.deps.progressOut, mode: c.progress } : undefined,
    });
    this.replayRun = this.replay.run();
    this.replayRun.then((r) => {
      this.logger.info({ frames: r.frames, files: r.files, failedFiles: r.failedFiles.length, stopped: r.stopped }, r.stopped ? 'replay stopped' : 'replay finished');
      if (!r.stopped) this.drainSpoolOnStop = true;
      this.resolveFinished({ completed: !r.stopped && r.failedFiles.length === 0, replay: r });
    }, (err: unknown) => {
      this.logger.error({ err: (err as Error).message }, 'replay failed');
      this.resolveFinished({ completed: false, replay: { frames: this.replay?.frames ?? 0, files: 0, failedFiles: [{ file: '', error: (err as Error).message }], stopped: false } });
    });
  }

  private sweep(): void {
    const now = performance.now();
    this.clock.ms = now;
    for (const p of this.pipelines) p.batcher.sweep(now);
  }

  private logStats(): void {
    const m = this.metrics;
    const now = performance.now();
    const captured = m.captured.total();
    const published = m.recordsPublished.value;
    const secs = this.lastStats.at ? (now - this.lastStats.at) / 1000 : 0;
    const interfaces: Record<string, unknown> = {};
    const pcap = this.live?.stats();
    for (const p of this.pipelines) {
      const name = p.interfaceName;
      const s = pcap?.get(name);
      if (s?.received !== undefined) m.pcapReceived.set(s.received, name);
      if (s?.dropped !== undefined) m.pcapDropped.set(s.dropped, name);
      if (s?.ifdropped !== undefined) m.pcapIfDropped.set(s.ifdropped, name);
      interfaces[name] = {
        captured: m.captured.labels(name).value, decodeErrors: m.errored.labels(name).value,
        ...(s ? { pcapReceived: s.received, pcapDropped: s.dropped, ifDropped: s.ifdropped } : {}),
      };
    }
    const ps = this.publisher?.stats();
    this.logger.info({
      interfaces,
      framesPerSec: secs ? Math.round((captured - this.lastStats.captured) / secs) : undefined,
      publishedPerSec: secs ? Math.round((published - this.lastStats.published) / secs) : undefined,
      published: { records: published, batches: m.batchesPublished.value },
      spooled: { records: m.recordsSpooled.value, batches: m.batchesSpooled.value },
      dropped: m.recordsDropped.total(),
      ...(ps ? { spooling: ps.spooling, spoolBytes: ps.spoolBytes, spoolSegments: ps.spoolSegments, memoryBytes: ps.memoryBytes } : {}),
    }, 'statistics');
    this.lastStats = { at: now, captured, published };
  }

  /**
   * Stop the source, close every open batch, let the publisher finish (after
   * a completed replay it also drains the spool while Kafka takes it), close
   * everything. A second call during a spool drain cuts the drain short.
   */
  stop(): Promise<void> {
    if (this.stopping) {
      this.publisher?.stopDrainingSpool();
      return this.stopping;
    }
    this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.live?.stop();
    this.replay?.stop();
    // The replay stops between two frames; a read blocked on a pipe that never ends cannot be
    // interrupted, so do not wait for it longer than a moment (it delivers nothing more).
    if (this.replayRun) await Promise.race([this.replayRun.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const p of this.pipelines) p.batcher.flush();
    await this.publisher?.stop({ drainSpool: this.drainSpoolOnStop });
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.logStats();
    await this.metricsServer?.close();
    this.metricsServer = undefined;
    this.resolveFinished({ completed: false });
  }
}
