/**
 * Every option of the capture agent, declared once: the parser (flags >
 * environment > config file > defaults), `streamlens agent --help` and the
 * configuration reference in docs/agent.md all come from this table.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, kafkaOptions, LOG_LEVELS, opt, type ConfigOf, type Loaded } from '@streamlens/common';

const PACE = /^(max|\d+(\.\d+)?x)$/;

export const agentOptions = {
  iface: opt.list({ doc: 'capture live on this interface; "any" captures on every interface through the Linux cooked header', short: 'i', placeholder: 'NAME' }),
  read: opt.list({ doc: 'replay this pcap or pcapng file instead of capturing; several are replayed one after another', short: 'r', placeholder: 'FILE' }),
  filter: opt.string({ doc: 'BPF filter applied in the kernel (pcap-filter syntax, live capture only)', short: 'f', placeholder: 'EXPR' }),
  snaplen: opt.int({ doc: 'bytes of each live frame passed to the decoder (wire_len keeps the full length)', default: 65535, min: 64, max: 65535 }),
  promisc: opt.bool({ doc: 'capture frames addressed to other hosts too; --no-promisc keeps only what the host would receive or send', default: true }),
  bufferSize: opt.size({ doc: 'kernel capture buffer per interface (cap captures 65535-byte slots: SIZE / 64 KiB frames fit); raise it for bursty links', default: 64 * 1024 * 1024, min: 1024 * 1024, max: 2 ** 31 - 1 }),
  pace: opt.string({
    doc: 'replay speed: max (as fast as possible) or the recorded pace times N, e.g. 1x, 10x, 0.5x',
    default: 'max', placeholder: 'max|Nx',
    validate: (v) => (PACE.test(v) && v !== '0x' && Number(v.slice(0, -1)) !== 0 ? undefined : `expected max or a speed like 1x, 10x or 0.5x, got "${v}"`),
  }),
  progress: opt.enum({ doc: 'replay progress line on stderr: auto shows it when stderr is a terminal', choices: ['auto', 'never'] as const, default: 'auto' }),
  interfaceName: opt.string({ doc: 'replay: the capture interface name of every frame (default: the pcapng interface name, else the file name); one name makes the rotated files of one capture one capture point', placeholder: 'NAME' }),
  agentId: opt.string({ doc: 'identity of this agent in every batch and in the message keys (default: the host name)' }),
  payloadCap: opt.int({ doc: 'L4 payload bytes kept per record (default: the decoder\'s, large enough for TMATS and IENA/Chapter 10 headers)', min: 0, max: 65535 }),
  sampleRate: opt.int({ doc: 'keep 1 frame in N, chosen at random (recorded in each batch as sample_rate so aggregates scale back)', default: 1, min: 1, max: 1_000_000 }),
  batchMaxRecords: opt.int({ doc: 'records per Kafka message at most', default: 4096, min: 1, max: 1_000_000 }),
  batchMaxBytes: opt.size({ doc: 'a batch (one Kafka message) closes once its encoded records reach this size, exceeding it by one record at most; keep it well below the topic\'s max.message.bytes', default: 512 * 1024, min: 4096, max: 64 * 1024 * 1024 }),
  linger: opt.duration({ doc: 'longest time a record waits in an open batch', default: 100, min: 1, max: 60_000 }),
  createTopics: opt.bool({ doc: 'create the packets topic when it does not exist (else the agent stops with an error)', default: false }),
  topicPartitions: opt.int({ doc: 'partitions of the packets topic when the agent creates it, and the routing assumed while Kafka has not been reached yet', default: 12, min: 1, max: 10_000 }),
  topicReplication: opt.int({ doc: 'replication factor of the packets topic when the agent creates it (-1 = the broker default)', default: -1, min: -1, max: 32 }),
  kafkaProducers: opt.int({ doc: 'idempotent producers sending in parallel (one request in flight each per broker; a partition always uses the same one)', default: 4, min: 1, max: 64 }),
  kafkaCompression: opt.enum({ doc: 'compression of the produced record batches', choices: ['none', 'gzip'] as const, default: 'none' }),
  queueMaxBytes: opt.size({ doc: 'encoded bytes waiting in memory for Kafka before live capture spools (replay waits instead)', default: 64 * 1024 * 1024, min: 1024 * 1024 }),
  spoolAfter: opt.duration({ doc: 'Kafka unreachable this long, or (live capture) a send or batch waiting this long, switches new batches to the spool', default: 5000, min: 100 }),
  spoolDir: opt.string({ doc: 'directory of the on-disk spool (default: $STATE_DIRECTORY/spool under systemd, else ~/.local/state/streamlens/spool)', placeholder: 'DIR' }),
  spoolMaxBytes: opt.size({ doc: 'bound of the spool; what does not fit is counted and logged as dropped (replay waits instead)', default: 1024 * 1024 * 1024, min: 1024 * 1024 }),
  spoolSegmentBytes: opt.size({ doc: 'size of one spool segment file', default: 8 * 1024 * 1024, min: 64 * 1024, max: 512 * 1024 * 1024 }),
  spoolFlushInterval: opt.duration({ doc: 'longest time spooled data waits in memory before it is written and fsynced as a segment', default: 1000, min: 10, max: 60_000 }),
  drainTimeout: opt.duration({ doc: 'on SIGINT/SIGTERM, how long to wait for Kafka to acknowledge what is in memory before spooling it', default: 10_000, min: 0 }),
  metricsPort: opt.int({ doc: 'port of the Prometheus /metrics endpoint (0 = none)', default: 9464, min: 0, max: 65535 }),
  metricsHost: opt.string({ doc: 'address the metrics endpoint listens on', default: '0.0.0.0' }),
  statsInterval: opt.duration({ doc: 'how often capture statistics (rates, pcap drops, spool) are logged', default: 10_000, min: 100 }),
  logLevel: opt.enum({ doc: 'log level', choices: LOG_LEVELS, default: 'info' }),
  ...kafkaOptions,
};

export type AgentConfig = ConfigOf<typeof agentOptions>;

/** Replay speed: 0 = as fast as possible, else the recorded pace times this. */
export function paceFactor(pace: string): number {
  return pace === 'max' ? 0 : Number(pace.slice(0, -1));
}

export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  if (state) return join(state, 'spool');
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'streamlens', 'spool');
}

/** Checks that involve more than one option; throws ConfigError naming them. */
export function checkAgentConfig(loaded: Loaded<typeof agentOptions>): void {
  const c = loaded.config;
  const ifaces = c.iface ?? [];
  const files = c.read ?? [];
  if (ifaces.length === 0 && files.length === 0) throw new ConfigError('nothing to capture: give --iface NAME (live) or --read FILE (replay)');
  if (ifaces.length > 0 && files.length > 0) throw new ConfigError('--iface and --read cannot be combined: run one agent per source kind');
  if (new Set(ifaces).size !== ifaces.length) throw new ConfigError(`--iface: an interface is listed twice (${ifaces.join(', ')})`);
  if (ifaces.includes('any') && ifaces.length > 1) throw new ConfigError('--iface any already captures every interface; do not list others with it');
  if (files.length > 0) {
    for (const k of ['filter', 'snaplen', 'promisc', 'bufferSize'] as const) {
      if (loaded.sources[k] !== 'default' && loaded.sources[k] !== 'unset') {
        throw new ConfigError(`--${k === 'bufferSize' ? 'buffer-size' : k} applies to live capture (--iface), not to --read`);
      }
    }
  } else if (loaded.sources.pace !== 'default') {
    throw new ConfigError('--pace applies to --read (replay), not to live capture');
  }
  if (c.agentId !== undefined && (c.agentId === '' || c.agentId.includes('/'))) {
    throw new ConfigError(`--agent-id: must be non-empty and without "/" (it is the first part of the message key), got "${c.agentId}"`);
  }
}
