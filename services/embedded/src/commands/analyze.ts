/**
 * `streamlens analyze FILE...`: the whole pipeline embedded on capture files,
 * stored in the embedded ClickHouse engine (chDB) at --data-dir, then a
 * summary. A capture already in the store is refused (it would count twice).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError, createLogger, formatHelp, loadConfig, migrate, type Command } from '@streamlens/common';
import {
  DEFAULT_PAYLOAD_CAP, FileReplay, paceFactor, replayInterfaceName, type CaptureInterfaceInfo, type FramePipeline, type RawFrame,
} from '@streamlens/capture-agent';
import { dissectorSettings } from '@streamlens/dissector';
import { ChdbSqlClient } from '../chdb-store.js';
import { EmbeddedPipeline } from '../embedded-pipeline.js';
import { analyzeOptions, defaultAgentId, normalizeArgv } from '../embedded-options.js';
import { hashFiles, IngestRuns } from '../ingest-runs.js';
import { renderSummary } from '../summary.js';

const HELP = formatHelp(
  'streamlens analyze FILE... [--data-dir DIR] [--local-net CIDR ...] [options]',
  'Run capture agent → dissector → aggregator in this process on pcap/pcapng files, over an in-process bus\n' +
  '(the same Avro records and stage code as the services), into the embedded ClickHouse engine at --data-dir\n' +
  '(the same tables as a server). Shows progress on a terminal and ends with a summary. Query the result with\n' +
  '`streamlens sql --data-dir DIR "<SQL>"`. A capture already analysed into the store is refused, never\n' +
  'counted twice. --local-net is accepted for --local-networks.',
  analyzeOptions,
);

export const analyzeCommand: Command = {
  summary: 'Run the whole pipeline embedded on pcap/pcapng files into a local store (chDB), with a summary',
  help: () => HELP,
  async run(argv) {
    const { config: c, positionals: files, help } = loadConfig(analyzeOptions, { argv: normalizeArgv(argv), allowPositionals: true });
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (files.length === 0) throw new ConfigError('give at least one pcap or pcapng file to analyze');
    const logger = createLogger({ service: 'analyze', level: c.logLevel });
    const store = new ChdbSqlClient(c.dataDir);
    try {
      const agentId = c.agentId ?? defaultAgentId();
      const runId = `analyze-${randomBytes(6).toString('hex')}`;
      const dissector = dissectorSettings(c);
      const settings = JSON.stringify({
        window_ms: c.window, bucket_ms: c.bucket, lateness_ms: c.lateness, outlier_k: c.outlierK, outlier_warmup: c.outlierWarmup,
        local_networks: c.localNetworks, sample_rate: c.sampleRate, ch10_ports: dissector.ch10Ports, iena_ports: dissector.ienaPorts,
      });
      await migrate(store, c.database);
      const runs = new IngestRuns(store, c.database);
      const { sha256, bytes } = await hashFiles(files);
      const previous = await runs.sameContent(sha256);
      if (previous.length) {
        const p = previous[0];
        process.stderr.write(
          `streamlens analyze: ${files.join(', ')} ${files.length > 1 ? 'were' : 'was'} already ${p.status === 'completed' ? 'analysed' : 'partly analysed (interrupted)'} ` +
          `into ${resolve(c.dataDir)} (run ${p.run_id} at ${p.started_at} UTC, ${p.frames} frames, content sha256 ${sha256.slice(0, 16)}…). ` +
          `Analysing it again would count its packets twice, so nothing was done. Use another --data-dir to analyse it afresh.\n`);
        return 3;
      }
      const pipeline = new EmbeddedPipeline({
        store, database: c.database, logger, agentId, agentRun: runId, partitions: c.partitions, sampleRate: c.sampleRate,
        payloadCap: c.payloadCap ?? DEFAULT_PAYLOAD_CAP, batchMaxRecords: c.batchMaxRecords, batchMaxBytes: c.batchMaxBytes,
        lingerMs: c.linger, dissector, aggregation: c, epochRecords: c.epochRecords, runId,
      });
      await pipeline.start();
      const started = new Date();
      const base = { run_id: runId, kind: 'analyze' as const, source: files.join(','), source_sha256: sha256, source_bytes: bytes, agent_id: agentId, settings };
      await runs.record({ ...base, status: 'started', started_at: started, finished_at: null, frames: 0, records: 0, first_ts_ns: '0', last_ts_ns: '0' });

      // One agent stage per (file, interface), as the agent does.
      const byFile: FramePipeline[][] = [];
      const onFrame = (f: RawFrame, iface: CaptureInterfaceInfo, file: number) => {
        const list = (byFile[file] ??= []);
        const p = list[f.interfaceIndex] ??= pipeline.pipelineFor(replayInterfaceName(files[file], iface, c.interfaceName), f.linkType);
        p.frame(f.buf, f.offset, f.capLen, f.wireLen, f.tsSec, f.tsNs, f.frameNo);
      };
      const replay = new FileReplay({
        files, pace: paceFactor(c.pace), onFrame, framesConsumed: true, logger,
        congested: () => pipeline.congested, room: () => pipeline.room(),
        progress: { out: process.stderr, mode: c.progress },
      });
      let interrupted = false;
      const onSignal = () => { interrupted = true; replay.stop(); };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result;
      try {
        result = await replay.run();
        await pipeline.finish();
      } catch (err) {
        await runs.record({ ...base, status: 'failed', started_at: started, finished_at: new Date(), frames: pipeline.summary().frames,
          records: pipeline.summary().records, first_ts_ns: '0', last_ts_ns: '0' }).catch(() => {});
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const stats = pipeline.summary();
      await runs.record({
        ...base, status: interrupted ? 'failed' : 'completed', started_at: started, finished_at: new Date(),
        frames: stats.frames, records: stats.records, first_ts_ns: String(stats.firstNs ?? 0n), last_ts_ns: String(stats.lastNs ?? 0n),
      });
      for (const f of result.failedFiles) process.stderr.write(`warning: ${f.error}\n`);
      if (c.summary && stats.firstNs !== null && stats.lastNs !== null) {
        const header = [`StreamLens analysis of ${files.join(', ')} → ${resolve(c.dataDir)} (database ${c.database}, agent ${agentId}, run ${runId})`];
        if (interrupted) header.push('interrupted: the summary covers what was read before the signal');
        process.stdout.write(await renderSummary(store, {
          database: c.database, agentId, firstNs: stats.firstNs, lastNs: stats.lastNs, windowNs: BigInt(Math.round(c.window * 1e6)), rows: c.summaryRows,
        }, stats, header));
      }
      return interrupted ? 130 : 0;
    } finally {
      await store.close();
    }
  },
};
