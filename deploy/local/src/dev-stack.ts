/**
 * `streamlens dev up|down|status`: a complete local stack on a machine
 * without Docker. `up` starts Kafka and ClickHouse as detached processes
 * (they outlive the command), creates the topics, applies the ClickHouse
 * migrations, then starts the dissector and the aggregator (and an agent when
 * given --iface or --read) as detached `streamlens` processes, waits for
 * their /healthz, and records everything in <dir>/stack.json; `down` stops
 * exactly those processes, services first; `status` says what is running.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  formatHelp, loadConfig, migrate, opt, ServerSqlClient, topicNames, type Command,
} from '@streamlens/common';
import { startKafka, DEFAULT_KAFKA_VERSION } from './kafka.js';
import { startClickHouse } from './clickhouse.js';
import { startProcess, waitReady } from './child-process.js';
import { freePort } from './ports.js';

export interface StackProcess {
  name: string;
  pid: number;
  log: string;
  /** Ends by itself when done (an agent replaying files). */
  oneShot?: boolean;
}
export interface StackState {
  dir: string;
  startedAt: string;
  kafkaBrokers: string[];
  clickhouseUrl: string;
  topicPrefix: string;
  database: string;
  processes: StackProcess[];
}

const options = {
  dir: opt.string({ doc: 'where the stack keeps its data, logs and state', default: join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'streamlens', 'dev') }),
  kafkaVersion: opt.string({ doc: 'Kafka version (Maven Central jars)', default: DEFAULT_KAFKA_VERSION, env: 'KAFKA_VERSION' }),
  partitions: opt.int({ doc: 'partitions of the packets and enriched topics', default: 4, min: 1 }),
  topicPrefix: opt.string({ doc: 'topic name prefix', default: 'streamlens' }),
  database: opt.string({ doc: 'ClickHouse database', default: 'streamlens', env: 'STREAMLENS_DATABASE' }),
  purge: opt.bool({ doc: 'down: also delete the data directory', default: false }),
  services: opt.bool({ doc: 'up: start the dissector and the aggregator (--no-services: Kafka and ClickHouse only)', default: true }),
  iface: opt.list({ doc: 'up: also start a capture agent on this interface (needs root or CAP_NET_RAW)', placeholder: 'NAME' }),
  read: opt.list({ doc: 'up: also start a capture agent that replays this pcap/pcapng file into the stack', placeholder: 'FILE' }),
};

/** The streamlens CLI that is running this command (bin/streamlens.js). */
function cliPath(): string {
  return process.argv[1];
}

async function healthy(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
  return res.ok;
}

/** Start `streamlens <args>` detached, logging to <dir>/logs/<name>.log; wait for its /healthz when it has one. */
async function startService(dir: string, name: string, args: string[], metricsPort: number | null, log: (m: string) => void): Promise<StackProcess> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logFile = join(dir, 'logs', `${name}.log`);
  const proc = startProcess({ name, command: process.execPath, args: [cliPath(), ...args], logFile, detached: true });
  log(`${name} starting (pid ${proc.pid}, log ${logFile})`);
  if (metricsPort !== null) await waitReady(proc, () => healthy(metricsPort), 60_000, `streamlens ${name}`);
  return { name, pid: proc.pid, log: logFile };
}

const statePath = (dir: string) => join(dir, 'stack.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readStack(dir: string): StackState | undefined {
  const p = statePath(dir);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as StackState;
}

/** Children of a process, from /proc (for the idle `sleep` that holds ClickHouse's stdin). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  const taskDir = `/proc/${pid}/task`;
  if (!existsSync(taskDir)) return out;
  for (const tid of readdirSync(taskDir)) {
    try {
      out.push(...readFileSync(`${taskDir}/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch { /* gone */ }
  }
  return out;
}

async function stopProcess(p: StackProcess, graceMs = 20_000): Promise<void> {
  if (!alive(p.pid)) return;
  // ClickHouse stops cleanly when its stdin closes: end the `sleep` feeding it.
  for (const c of childPids(p.pid)) {
    try {
      if (readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sleep') process.kill(c, 'SIGTERM');
    } catch { /* gone */ }
  }
  try {
    process.kill(-p.pid, 'SIGTERM'); // detached processes lead their own group
  } catch {
    try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
  }
  const deadline = Date.now() + graceMs;
  while (alive(p.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(p.pid)) {
    try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

export interface DevUpOptions {
  dir: string; kafkaVersion: string; partitions: number; topicPrefix: string; database: string;
  services?: boolean; iface?: string[]; read?: string[];
}

export async function devUp(o: DevUpOptions, log: (m: string) => void): Promise<StackState> {
  const existing = readStack(o.dir);
  if (existing && existing.processes.some((p) => alive(p.pid))) {
    throw new Error(`a dev stack is already running from ${o.dir} (Kafka ${existing.kafkaBrokers.join(',')}, ClickHouse ${existing.clickhouseUrl}); run \`streamlens dev down\` first`);
  }
  mkdirSync(o.dir, { recursive: true });
  const state: StackState = {
    dir: o.dir, startedAt: new Date().toISOString(), kafkaBrokers: [], clickhouseUrl: '', topicPrefix: o.topicPrefix,
    database: o.database, processes: [],
  };
  const save = () => writeFileSync(statePath(o.dir), JSON.stringify(state, null, 2) + '\n');
  try {
    const [kafka, clickhouse] = await Promise.all([
      startKafka({ version: o.kafkaVersion, dataDir: join(o.dir, 'kafka'), detached: true, log }),
      startClickHouse({ dataDir: join(o.dir, 'clickhouse'), detached: true, log }),
    ]);
    state.kafkaBrokers = kafka.brokers;
    state.clickhouseUrl = clickhouse.url;
    state.processes.push({ name: 'kafka', pid: kafka.process.pid, log: kafka.logFile }, { name: 'clickhouse', pid: clickhouse.process.pid, log: clickhouse.logFile });
    save();
    const admin = new Kafka({ clientId: 'streamlens-dev', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const names = topicNames(o.topicPrefix);
      const existingTopics = new Set(await admin.listTopics());
      const wanted = [
        { topic: names.packets, numPartitions: o.partitions },
        { topic: names.enriched, numPartitions: o.partitions },
        { topic: names.dlq, numPartitions: 1 },
        { topic: names.alerts, numPartitions: 1 },
      ].filter((t) => !existingTopics.has(t.topic));
      if (wanted.length) await admin.createTopics({ topics: wanted.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const sql = new ServerSqlClient({ url: clickhouse.url });
    try {
      const r = await migrate(sql, o.database);
      log(`ClickHouse database ${o.database}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}`);
    } finally {
      await sql.close();
    }
    const common = ['--kafka-brokers', kafka.brokers.join(','), '--topic-prefix', o.topicPrefix, '--log-level', 'info'];
    if (o.services) {
      const [dissectorPort, aggregatorPort] = [await freePort(), await freePort()];
      state.processes.push(await startService(o.dir, 'dissector', ['dissector', ...common, '--metrics-port', String(dissectorPort), '--metrics-host', '127.0.0.1'], dissectorPort, log));
      save();
      state.processes.push(await startService(o.dir, 'aggregator', ['aggregator', ...common, '--clickhouse-url', clickhouse.url, '--database', o.database,
        '--metrics-port', String(aggregatorPort), '--metrics-host', '127.0.0.1'], aggregatorPort, log));
      save();
    }
    if (o.iface?.length || o.read?.length) {
      const agentPort = await freePort();
      const source = o.iface?.length ? o.iface.flatMap((i) => ['--iface', i]) : o.read!.flatMap((f) => ['--read', resolvePath(f)]);
      const agent = await startService(o.dir, 'agent', ['agent', ...common, ...source, '--create-topics', '--progress', 'never',
        '--spool-dir', join(o.dir, 'spool'), '--metrics-port', String(agentPort), '--metrics-host', '127.0.0.1'], o.iface?.length ? agentPort : null, log);
      state.processes.push(o.iface?.length ? agent : { ...agent, oneShot: true });
      save();
    }
    return state;
  } catch (err) {
    for (const p of state.processes) await stopProcess(p);
    rmSync(statePath(o.dir), { force: true });
    throw err;
  }
}

export async function devDown(dir: string, purge: boolean, log: (m: string) => void): Promise<boolean> {
  const state = readStack(dir);
  if (!state) return false;
  // Services first (they flush into Kafka/ClickHouse), then ClickHouse and Kafka.
  for (const p of [...state.processes].reverse()) {
    log(`stopping ${p.name} (pid ${p.pid})`);
    await stopProcess(p);
  }
  rmSync(statePath(dir), { force: true });
  if (purge) rmSync(dir, { recursive: true, force: true });
  return true;
}

const HELP = formatHelp(
  'streamlens dev up|down|status [options]',
  'A complete local stack without Docker: Kafka (KRaft, from the Maven Central jars) and ClickHouse (from the\n' +
  'engine in the chdb package) as background processes on free loopback ports, with the topics and the\n' +
  'ClickHouse schema created, and the dissector and aggregator running against them (plus a capture agent with\n' +
  '--iface or --read). `up` prints the KAFKA_BROKERS and CLICKHOUSE_URL to use; `down` stops what `up` started\n' +
  '(add --purge to delete the data). Logs: <dir>/logs.',
  options,
);

export const devCommand: Command = {
  summary: 'Start/stop a complete local stack without Docker (dev up|down|status)',
  help: () => HELP,
  async run(argv) {
    const { config, positionals, help } = loadConfig(options, { argv, allowPositionals: true });
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    const action = positionals[0];
    const log = (m: string) => process.stderr.write(`${m}\n`);
    if (action === 'up') {
      const s = await devUp(config, log);
      process.stdout.write(`dev stack running (state ${statePath(s.dir)}):\n` +
        `export KAFKA_BROKERS=${s.kafkaBrokers.join(',')}\nexport CLICKHOUSE_URL=${s.clickhouseUrl}\n`);
      return 0;
    }
    if (action === 'down') {
      const stopped = await devDown(config.dir, config.purge, log);
      process.stdout.write(stopped ? 'dev stack stopped\n' : `no dev stack recorded in ${config.dir}\n`);
      return 0;
    }
    if (action === 'status') {
      const s = readStack(config.dir);
      if (!s) {
        process.stdout.write(`no dev stack recorded in ${config.dir}\n`);
        return 1;
      }
      const state = (p: StackProcess) => (alive(p.pid) ? 'running' : p.oneShot ? 'finished' : 'NOT RUNNING');
      for (const p of s.processes) process.stdout.write(`${p.name.padEnd(12)} pid ${p.pid} ${state(p)}  log ${p.log}\n`);
      process.stdout.write(`KAFKA_BROKERS=${s.kafkaBrokers.join(',')}\nCLICKHOUSE_URL=${s.clickhouseUrl}\n`);
      return s.processes.every((p) => p.oneShot || alive(p.pid)) ? 0 : 1;
    }
    process.stderr.write(`streamlens dev: expected up, down or status\n\n${HELP}`);
    return 64;
  },
};
