/** `streamlens netflow export --format jsonl`: netflow buckets as JSON lines, zero rows included. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatHelp, loadConfig, opt } from '@streamlens/common';
import { exportNetflow, parseExportTime } from '@streamlens/aggregator';
import type { Command } from '../command.js';
import { openStore, storeTargetOptions } from '../store-target.js';

export const netflowOptions = {
  format: opt.enum({ doc: 'output format', choices: ['jsonl'] as const, default: 'jsonl' }),
  ...storeTargetOptions,
  agentId: opt.string({ doc: 'only this agent (default: every capture point, one after another)' }),
  interface: opt.string({ doc: 'only this interface' }),
  bucketMs: opt.int({ doc: 'bucket length the aggregator wrote (its --bucket)', default: 100, min: 1 }),
  from: opt.string({ doc: 'first bucket: epoch ns or ISO 8601 time (default: the first bucket seen)', placeholder: 'TIME' }),
  to: opt.string({ doc: 'end (exclusive): epoch ns or ISO 8601 time (default: after the last bucket seen)', placeholder: 'TIME' }),
  withCapturePoint: opt.bool({ doc: 'add agent_id, interface, bucket_start_ns and bucket_ms to every row', default: false }),
  output: opt.string({ doc: 'write to this file instead of stdout', short: 'o', placeholder: 'FILE' }),
};

const USAGE = 'streamlens netflow export --format jsonl [--clickhouse-url URL | --data-dir DIR] [options]';
const DESCRIPTION = `Write the netflow buckets as JSON lines, one per capture point and bucket in time
order, including zero rows for buckets without traffic (the seed sniffer's
file for ML training): {"timestamp": <bucket start, s>, "pkts_in", "pkts_out",
"bytes_in", "bytes_out", "syn_count", "fin_count", "rst_count", "udp_count",
"tcp_count", "dns_query_count", "unique_dst_ips", "unique_dst_ports",
"tcp_new_flows"}. See docs/aggregator.md.`;

const command: Command = {
  summary: 'Netflow bucket export (netflow export --format jsonl)',
  help: () => formatHelp(USAGE, DESCRIPTION, netflowOptions),
  async run(argv) {
    const { config, positionals, help } = loadConfig(netflowOptions, { argv, allowPositionals: true });
    if (help) {
      process.stdout.write(formatHelp(USAGE, DESCRIPTION, netflowOptions));
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] !== 'export') {
      process.stderr.write(`usage: ${USAGE}\n`);
      return 64;
    }
    const fromNs = config.from !== undefined ? parseExportTime(config.from) : undefined;
    const toNs = config.to !== undefined ? parseExportTime(config.to) : undefined;
    const client = await openStore(config);
    let file: WriteStream | undefined;
    try {
      const stream: NodeJS.WritableStream = config.output ? (file = createWriteStream(config.output)) : process.stdout;
      const rows = await exportNetflow(client, {
        database: config.database, bucketMs: config.bucketMs, agentId: config.agentId, iface: config.interface, fromNs, toNs,
        withCapturePoint: config.withCapturePoint,
      }, {
        write: async (line) => {
          if (!stream.write(line)) await once(stream, 'drain');
        },
      });
      if (file) {
        file.end();
        await once(file, 'finish');
        process.stderr.write(`streamlens netflow: ${rows} rows written to ${config.output}\n`);
      }
      return 0;
    } finally {
      await client.close();
    }
  },
};
export default command;
