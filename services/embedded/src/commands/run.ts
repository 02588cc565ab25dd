/**
 * `streamlens run --iface IF ...`: the whole pipeline embedded on live
 * interfaces, into the embedded store, until SIGINT/SIGTERM (or --duration).
 * Closed windows are written every --flush-interval, so the store can be
 * queried while it runs (from another process: chDB allows one process per
 * data directory, so use this run's results once it stops, or run the
 * distributed services for live queries).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError, createLogger, formatHelp, loadConfig, migrate, type Command } from '@streamlens/common';
import { DEFAULT_PAYLOAD_CAP, LiveCapture } from '@streamlens/capture-agent';
import { dissectorSettings } from '@streamlens/dissector';
import { formatAlertLine } from '@streamlens/aggregator';
import { ChdbSqlClient } from '../chdb-store.js';
import { EmbeddedPipeline } from '../embedded-pipeline.js';
import { defaultAgentId, normalizeArgv, runOptions } from '../embedded-options.js';
import { IngestRuns } from '../ingest-runs.js';
import { renderSummary } from '../summary.js';

const HELP = formatHelp(
  'streamlens run --iface IF [--iface IF ...] [--data-dir DIR] [options]',
  'Capture live on one or more interfaces and run agent → dissector → aggregator in this process (the services\'\n' +
  'stage code over an in-process bus) into the embedded ClickHouse engine at --data-dir, until SIGINT/SIGTERM or\n' +
  '--duration; then print the summary. Needs root or CAP_NET_RAW (see docs/troubleshooting.md).',
  runOptions,
);

export const runCommand: Command = {
  summary: 'Run the whole pipeline embedded on live interfaces into a local store (chDB)',
  help: () => HELP,
  async run(argv) {
    const { config: c, help } = loadConfig(runOptions, { argv: normalizeArgv(argv) });
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (!c.iface?.length) throw new ConfigError('--iface is required (one or more interfaces, or "any")');
    const logger = createLogger({ service: 'run', level: c.logLevel });
    const store = new ChdbSqlClient(c.dataDir);
    try {
      const agentId = c.agentId ?? defaultAgentId();
      const runId = `run-${randomBytes(6).toString('hex')}`;
      const dissector = dissectorSettings(c);
      await migrate(store, c.database);
      const pipeline = new EmbeddedPipeline({
        store, database: c.database, logger, agentId, agentRun: runId, partitions: c.partitions, sampleRate: c.sampleRate,
        payloadCap: c.payloadCap ?? DEFAULT_PAYLOAD_CAP, batchMaxRecords: c.batchMaxRecords, batchMaxBytes: c.batchMaxBytes,
        lingerMs: c.linger, dissector, aggregation: c, epochRecords: c.epochRecords, runId,
        onAlerts: (alerts) => { for (const a of alerts) process.stdout.write(`${formatAlertLine(a)}\n`); },
      });
      await pipeline.start();
      const runs = new IngestRuns(store, c.database);
      const started = new Date();
      const base = {
        run_id: runId, kind: 'run' as const, source: c.iface.join(','), source_sha256: '', source_bytes: 0, agent_id: agentId,
        settings: JSON.stringify({ window_ms: c.window, bucket_ms: c.bucket, lateness_ms: c.lateness, filter: c.filter ?? '' }),
      };
      await runs.record({ ...base, status: 'started', started_at: started, finished_at: null, frames: 0, records: 0, first_ts_ns: '0', last_ts_ns: '0' });
      const live = new LiveCapture({ interfaces: c.iface, filter: c.filter ?? '', snaplen: c.snaplen, promisc: c.promisc, bufferSize: c.bufferSize, logger });
      await live.start((name, linkType) => {
        const p = pipeline.pipelineFor(name, linkType);
        return (buf, capLen, wireLen, sec, ns, no) => p.frame(buf, 0, capLen, wireLen, sec, ns, no);
      });
      process.stderr.write(`capturing on ${c.iface.join(', ')} into ${resolve(c.dataDir)}; stop with Ctrl-C\n`);
      let failure: Error | undefined;
      await new Promise<void>((done) => {
        const stop = () => {
          clearInterval(flushTimer);
          if (durationTimer) clearTimeout(durationTimer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        const flushTimer = setInterval(() => {
          pipeline.checkpoint().catch((err: unknown) => { failure = err as Error; stop(); });
        }, c.flushInterval);
        const durationTimer = c.duration > 0 ? setTimeout(stop, c.duration) : undefined;
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      live.stop();
      await pipeline.finish();
      const stats = pipeline.summary();
      await runs.record({
        ...base, status: failure ? 'failed' : 'completed', started_at: started, finished_at: new Date(), frames: stats.frames, records: stats.records,
        first_ts_ns: String(stats.firstNs ?? 0n), last_ts_ns: String(stats.lastNs ?? 0n),
      });
      if (failure) throw failure;
      if (c.summary && stats.firstNs !== null && stats.lastNs !== null) {
        process.stdout.write(await renderSummary(store, {
          database: c.database, agentId, firstNs: stats.firstNs, lastNs: stats.lastNs, windowNs: BigInt(Math.round(c.window * 1e6)), rows: c.summaryRows,
        }, stats, [`StreamLens live run on ${c.iface.join(', ')} → ${resolve(c.dataDir)} (database ${c.database}, agent ${agentId}, run ${runId})`]));
      } else if (c.summary) {
        process.stdout.write('no frames were captured\n');
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
