import type { CommandEntry } from './command.js';
import { notYetAvailable } from './commands/not-yet.js';
import { loadOptionalCommand } from './optional-module.js';

function pending(name: string, summary: string, issue: string): CommandEntry {
  return { name, summary, available: false, load: async () => notYetAvailable(name, summary, issue) };
}

/** Every subcommand, in the order `streamlens --help` lists them. */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'analyze',
    summary: 'Run the whole pipeline embedded on pcap/pcapng files into a local store (chDB), with a summary',
    available: true,
    load: () => loadOptionalCommand('@streamlens/embedded', 'analyzeCommand', 'streamlens analyze'),
  },
  {
    name: 'run',
    summary: 'Run the whole pipeline embedded on live interfaces into a local store (chDB)',
    available: true,
    load: () => loadOptionalCommand('@streamlens/embedded', 'runCommand', 'streamlens run'),
  },
  {
    name: 'sql',
    summary: 'Run ClickHouse SQL against the embedded store or a server (no query: interactive prompt)',
    available: true,
    load: async () => (await import('./commands/sql.js')).default,
  },
  {
    name: 'health',
    summary: 'Print the stream-health report (loss, restarts, PTP timing, grandmaster changes, alerts) of a store or server',
    available: true,
    load: async () => (await import('./commands/health.js')).default,
  },
  {
    name: 'agent',
    summary: 'Capture agent: live capture or file replay, decode, publish to Kafka',
    available: true,
    load: async () => (await import('./commands/agent.js')).default,
  },
  {
    name: 'dissector',
    summary: 'Dissector worker: packets topic in, enriched topic out (exactly once)',
    available: true,
    load: async () => (await import('@streamlens/dissector')).dissectorCommand,
  },
  {
    name: 'aggregator',
    summary: 'Aggregator: enriched topic in, flows and netflow buckets into ClickHouse (exactly once)',
    available: true,
    load: async () => (await import('./commands/aggregator.js')).default,
  },
  {
    name: 'netflow',
    summary: 'Netflow bucket export (netflow export --format jsonl)',
    available: true,
    load: async () => (await import('./commands/netflow.js')).default,
  },
  {
    name: 'dev',
    summary: 'Start/stop a complete local stack without Docker (dev up|down|status)',
    available: true,
    load: () => loadOptionalCommand('@streamlens/local-infra', 'devCommand', 'streamlens dev'),
  },
  {
    name: 'migrate',
    summary: 'Create or upgrade the ClickHouse schema (database, tables, views)',
    available: true,
    load: async () => (await import('./commands/migrate.js')).default,
  },
];
