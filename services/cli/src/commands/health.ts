/**
 * `streamlens health`: the stream-health report (streams with loss,
 * duplicates, reordering and restarts; PTP timing against the advertised
 * intervals; PTP events such as grandmaster changes; TMATS setup records;
 * alerts) of the embedded store or a ClickHouse server, over the last
 * `--since` of data or a time range.
 */
import { formatHelp, loadConfig, opt, parseDuration, ConfigError, type SqlClient } from '@streamlens/common';
import { renderHealthReport } from '@streamlens/aggregator';
import type { Command } from '../command.js';
import { openStore, storeTargetOptions } from '../store-target.js';

export const healthOptions = {
  ...storeTargetOptions,
  since: opt.string({ doc: 'from this time: a duration back from the newest data (15m, 2h, 1d) or an ISO 8601 time or epoch ns (default: all)', placeholder: 'WHEN' }),
  until: opt.string({ doc: 'up to this time: ISO 8601 or epoch ns (default: the newest data)', placeholder: 'WHEN' }),
  agentId: opt.string({ doc: 'only this capture agent' }),
  interface: opt.string({ doc: 'only this capture interface' }),
  rows: opt.int({ doc: 'rows per table (events and alerts: three times as many)', default: 20, min: 1, max: 10_000 }),
};

const USAGE = 'streamlens health [--since WHEN] [--until WHEN] [--agent-id ID] [--data-dir DIR | --clickhouse-url URL] [options]';
const DESCRIPTION = `Print the stream-health report of the embedded store (default ./streamlens-data)
or a ClickHouse server: every IENA, Chapter 10 and PTP stream with loss,
duplicates, late packets, restarts or silences; PTP message timing against the
advertised intervals, missing Follow_Ups and unanswered requests; PTP events
(grandmaster and Announce changes, clocks appearing and going silent); TMATS
setup records; alerts. --since 1h means the last hour of data (also for a
replayed capture). See docs/stream-health.md.`;

/** A --since/--until value: epoch ns, an ISO time, or (relative: since only) a duration back from `newest`. */
export function parseWhen(text: string, newestNs: bigint | null, relative: boolean): bigint {
  if (/^\d{10,}$/.test(text)) return BigInt(text);
  if (relative) {
    let ms: number | undefined;
    try {
      ms = /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text) && text.endsWith('d') ? Number(text.slice(0, -1)) * 86_400_000 : parseDuration(text);
    } catch {
      ms = undefined;
    }
    if (ms !== undefined && Number.isFinite(ms)) return (newestNs ?? 0n) - BigInt(Math.round(ms)) * 1_000_000n;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new ConfigError(`"${text}" is neither ${relative ? 'a duration (15m, 2h), ' : ''}an ISO 8601 time nor epoch nanoseconds`);
  return BigInt(t) * 1_000_000n;
}

async function newest(client: SqlClient, db: string, agentId?: string, iface?: string): Promise<bigint | null> {
  const [r] = await client.query<{ t: string; n: string }>(
    `SELECT toString(max(window_start_ns)) AS t, toString(count()) AS n FROM ${db}.stream_health
     WHERE ${agentId !== undefined ? 'agent_id = {a:String}' : '1'} AND ${iface !== undefined ? 'interface = {i:String}' : '1'}`,
    { ...(agentId !== undefined ? { a: agentId } : {}), ...(iface !== undefined ? { i: iface } : {}) });
  return r && r.n !== '0' ? BigInt(r.t) : null;
}

const command: Command = {
  summary: 'Print the stream-health report (loss, restarts, PTP timing, grandmaster changes, alerts) of a store or server',
  help: () => formatHelp(USAGE, DESCRIPTION, healthOptions),
  async run(argv) {
    const { config: c, help } = loadConfig(healthOptions, { argv });
    if (help) {
      process.stdout.write(formatHelp(USAGE, DESCRIPTION, healthOptions));
      return 0;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(c.database)) throw new ConfigError('--database: use letters, digits and _ only');
    const client = await openStore(c);
    try {
      const top = await newest(client, c.database, c.agentId, c.interface);
      if (top === null) {
        process.stdout.write(`no stream-health data in ${client.describe} (database ${c.database})${c.agentId ? ` for agent ${c.agentId}` : ''}\n`);
        return 0;
      }
      const fromNs = c.since !== undefined ? parseWhen(c.since, top, true) : undefined;
      const toNs = c.until !== undefined ? parseWhen(c.until, top, false) : undefined;
      const lines = await renderHealthReport(client, { database: c.database, agentId: c.agentId, iface: c.interface, fromNs, toNs, rows: c.rows });
      if (lines.length === 0) {
        process.stdout.write(`no stream-health data in ${client.describe} (database ${c.database}) in the time range\n`);
        return 0;
      }
      const range = fromNs !== undefined || toNs !== undefined
        ? ` from ${fromNs !== undefined ? new Date(Number(fromNs / 1_000_000n)).toISOString() : 'the start'} to ${toNs !== undefined ? new Date(Number(toNs / 1_000_000n)).toISOString() : 'the newest data'}`
        : '';
      process.stdout.write(`${client.describe} (database ${c.database})${range}\n\n${lines.join('\n')}\n`);
      return 0;
    } finally {
      await client.close();
    }
  },
};

export default command;
