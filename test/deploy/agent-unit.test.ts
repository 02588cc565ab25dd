/**
 * deploy/systemd/streamlens-agent.service, run the way systemd would run it
 * (this sandbox has no systemd as PID 1): the user, the ambient and bounding
 * capabilities, NoNewPrivileges, the UMask, Environment=, the EnvironmentFile
 * and the StateDirectory are read from the unit and applied with setpriv; the
 * config file is the example one with the test's broker. The agent must
 * capture on `lo` as a non-root user and publish what it saw to a real Kafka,
 * fail clearly without the capability, and put an interface in promiscuous
 * mode with CAP_NET_RAW alone (the unit's claim that CAP_NET_ADMIN is not needed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Kafka } from 'kafkajs';
import { AvroCodec, SCHEMA_NAMES, type PacketBatch } from '@streamlens/common';
import { testBrokers, testKafka, uniqueName } from '../harness/context.js';
import {
  listSetting, parseEnvironmentFile, parseEnvironmentSetting, parseUnit, resolveSpecifiers, splitCommand, value, values,
} from './systemd-unit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNIT = parseUnit(readFileSync(join(ROOT, 'deploy/systemd/streamlens-agent.service'), 'utf8'));
const EXAMPLE_CONFIG = readFileSync(join(ROOT, 'deploy/systemd/agent.yaml'), 'utf8');
const LAUNCHER = join(ROOT, 'services/cli/bin/streamlens.js');
/** Capability numbers (linux/capability.h) of the ones the agent unit may grant. */
const CAP_BITS: Record<string, bigint> = { CAP_NET_ADMIN: 12n, CAP_NET_RAW: 13n };

function capBuilt(): boolean {
  try {
    return existsSync(join(ROOT, 'node_modules/cap/build/Release/cap.node'));
  } catch {
    return false;
  }
}

const IS_ROOT = process.getuid?.() === 0;
const HAS_SETPRIV = spawnSync('setpriv', ['--version']).status === 0;
const BUILT = existsSync(join(ROOT, 'services/cli/dist/main.js'));
const CAN_RUN = IS_ROOT && HAS_SETPRIV && capBuilt() && BUILT;
const WHY_NOT = !IS_ROOT ? 'needs root to switch to the service user' : !HAS_SETPRIV ? 'needs setpriv (util-linux)'
  : !BUILT ? 'needs `npm run build`' : 'needs the cap module built (libpcap-dev)';

/** The unit's User=, or nobody when this machine has no such user (the test then runs as nobody). */
function serviceUser(): { uid: number; gid: number; home: string; name: string } {
  for (const name of [value(UNIT, 'Service', 'User')!, 'nobody']) {
    const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
    if (r.status === 0) {
      const [, , uid, gid, , home] = r.stdout.trim().split(':');
      return { uid: Number(uid), gid: Number(gid), home, name };
    }
  }
  throw new Error('no service user and no nobody user');
}

function capName(cap: string): string {
  return cap.replace(/^CAP_/, '').toLowerCase();
}

/** setpriv arguments for a capability set: inheritable = ambient = bounding = exactly these. */
function capabilityArgs(caps: string[]): string[] {
  const set = ['-all', ...caps.map((c) => `+${capName(c)}`)].join(',');
  return [`--inh-caps=${set}`, `--ambient-caps=${set}`, `--bounding-set=${set}`];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

interface LaunchOptions {
  configPath: string;
  envFile: string;
  stateDir: string;
  caps: string[];
  /** Words put before the unit's command (e.g. unshare and a network setup). */
  wrap?: (command: string[]) => string[];
  extraArgs?: string[];
}

/** Start ExecStart= of the unit with its settings applied the way systemd applies them. */
function launch(o: LaunchOptions): Launched {
  const user = serviceUser();
  const words = splitCommand(resolveSpecifiers(values(UNIT, 'Service', 'ExecStart')[0], { host: 'test-host' }));
  expect(words[0]).toBe('/usr/local/bin/streamlens');
  const args = words.slice(1).map((w) => (w === '/etc/streamlens/agent.yaml' ? o.configPath : w));
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    ...parseEnvironmentSetting(values(UNIT, 'Service', 'Environment')),
    // EnvironmentFile= is read by the service manager (root) before it drops privileges.
    ...parseEnvironmentFile(readFileSync(o.envFile, 'utf8')),
    STATE_DIRECTORY: o.stateDir,
  };
  const priv = [
    `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups',
    ...capabilityArgs(o.caps),
    ...(value(UNIT, 'Service', 'NoNewPrivileges') === 'yes' ? ['--no-new-privs'] : []),
  ];
  const umask = value(UNIT, 'Service', 'UMask') ?? '0022';
  const command = ['setpriv', ...priv, '--', 'sh', '-c', `umask ${umask} && exec "$@"`, 'sh',
    process.execPath, LAUNCHER, ...args, ...(o.extraArgs ?? [])];
  const full = o.wrap ? o.wrap(command) : command;
  const child = spawn(full[0], full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, agent?: Launched): Promise<T> {
  const until = Date.now() + timeoutMs;
  const output = () => (agent ? `\n--- agent output ---\n${agent.output()}` : '');
  for (;;) {
    const v = await f();
    if (v) return v;
    if (agent && agent.child.exitCode !== null) throw new Error(`the agent exited (${agent.child.exitCode}) before ${what}${output()}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every packet batch in the topic so far. */
async function readBatches(kafka: Kafka, topic: string): Promise<PacketBatch[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  if ([...want.values()].every((h) => h === 0)) return [];
  const codec = AvroCodec.forStreamLens();
  const batches: PacketBatch[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('deploy-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const reached = new Map<number, number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 30_000);
    const check = () => {
      for (const [p, high] of want) if ((reached.get(p) ?? 0) < high) return;
      clearTimeout(timer);
      resolve();
    };
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        batches.push(codec.decode<PacketBatch>(message.value!, SCHEMA_NAMES.packetBatch).value);
        reached.set(partition, Number(message.offset) + 1);
        check();
      },
    });
    check();
  });
  await consumer.disconnect();
  return batches;
}

function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

describe.skipIf(!CAN_RUN)(`streamlens-agent.service, run as its unit runs it${CAN_RUN ? '' : ` (skipped: ${WHY_NOT})`}`, () => {
  const user = CAN_RUN ? serviceUser() : { uid: 0, gid: 0, home: '/', name: 'root' };
  let dir: string;
  let kafka: Kafka;
  let prefix: string;
  let agentId: string;
  let udpPort: number;
  let metricsPort: number;
  let configPath: string;
  let envFile: string;

  /** A StateDirectory= for one run, created as systemd creates it: owned by the user, with its mode. */
  function stateDirectory(name: string): string {
    const path = join(dir, name, 'var/lib', value(UNIT, 'Service', 'StateDirectory')!);
    mkdirSync(path, { recursive: true });
    chownSync(path, user.uid, user.gid);
    chmodSync(path, Number.parseInt(value(UNIT, 'Service', 'StateDirectoryMode') ?? '0755', 8));
    return path;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamlens-agent-unit-'));
    chmodSync(dir, 0o755);
    kafka = testKafka('agent-unit-test');
    prefix = uniqueName('unit');
    agentId = uniqueName('edge');
    udpPort = 20_000 + Math.floor(Math.random() * 20_000);
    metricsPort = await freePort();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${prefix}.packets`, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    // /etc/streamlens/agent.yaml: the example, pointed at the test broker, on lo, without TLS/SASL.
    const config = parseYaml(EXAMPLE_CONFIG) as Record<string, unknown>;
    for (const k of ['kafka-tls', 'kafka-tls-ca', 'kafka-sasl-mechanism', 'kafka-sasl-username']) delete config[k];
    Object.assign(config, {
      iface: ['lo'], filter: `udp port ${udpPort}`, 'kafka-brokers': testBrokers(), 'topic-prefix': prefix,
      'topic-partitions': 2, 'metrics-port': metricsPort, 'metrics-host': '127.0.0.1', linger: '50ms',
    });
    mkdirSync(join(dir, 'etc'), { mode: 0o755 });
    configPath = join(dir, 'etc/agent.yaml');
    writeFileSync(configPath, stringifyYaml(config));
    // Readable by the service user through its group, as docs/deploy.md installs it.
    chownSync(configPath, 0, user.gid);
    chmodSync(configPath, 0o640);
    // /etc/streamlens/streamlens.env: root-only, read by the service manager.
    envFile = join(dir, 'etc/streamlens.env');
    writeFileSync(envFile, `# test\nSTREAMLENS_AGENT_ID=${agentId}\nSTREAMLENS_LOG_LEVEL="info"\n`, { mode: 0o600 });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('captures on lo as a non-root user with the unit\'s capabilities and publishes to Kafka', async () => {
    const stateDir = stateDirectory('run');
    const caps = listSetting(UNIT, 'Service', 'AmbientCapabilities');
    const agent = launch({ configPath, envFile, stateDir, caps });
    try {
      await waitFor('the agent to capture on lo', () => /"msg":"capturing"/.test(agent.output()), 20_000, agent);
      // The process: the service user, exactly the unit's capabilities, no_new_privs.
      const status = procStatus(agent.child.pid!);
      expect(status.Uid.split(/\s+/).map(Number)).toEqual([user.uid, user.uid, user.uid, user.uid]);
      expect(user.uid).not.toBe(0);
      const want = caps.reduce((m, c) => m | (1n << CAP_BITS[c]), 0n);
      expect(BigInt(`0x${status.CapEff}`)).toBe(want);
      expect(BigInt(`0x${status.CapBnd}`)).toBe(want);
      expect(status.NoNewPrivs).toBe('1');

      const sock = createSocket('udp4');
      const marker = Buffer.from(`streamlens-unit-test ${agentId}`);
      let sent = 0;
      const sender = setInterval(() => { sock.send(marker, udpPort, '127.0.0.1'); sent++; }, 50);
      let mine: PacketBatch[] = [];
      try {
        mine = await waitFor('records of the test datagrams in Kafka', async () => {
          const batches = (await readBatches(kafka, `${prefix}.packets`)).filter((b) => b.agent_id === agentId);
          const n = batches.reduce((s, b) => s + b.records.filter((r) => r.dst_port === udpPort).length, 0);
          return n >= 10 ? batches : undefined;
        }, 30_000, agent);
      } finally {
        clearInterval(sender);
        sock.close();
      }
      // agent id from the EnvironmentFile, interface and filter from the config file.
      expect(new Set(mine.map((b) => b.interface))).toEqual(new Set(['lo']));
      const records = mine.flatMap((b) => b.records);
      expect(records.every((r) => r.dst_port === udpPort || r.src_port === udpPort)).toBe(true);
      expect(records.length).toBeLessThanOrEqual(sent);

      // The liveness endpoint the DaemonSet probes, and the metrics.
      const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      expect(health.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/streamlens_agent_packets_captured_total\{interface="lo"\} [1-9]/);

      // systemctl stop: SIGTERM, a clean exit within TimeoutStopSec.
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    }
    // The spool was created by the service user inside its StateDirectory (the only writable place).
    const spool = statSync(join(stateDir, 'spool'));
    expect(spool.uid).toBe(user.uid);
    expect(spool.mode & 0o027).toBe(0);
  }, 90_000);

  it('without CAP_NET_RAW, stops at once and says which capability it needs', async () => {
    const agent = launch({ configPath, envFile, stateDir: stateDirectory('nocap'), caps: [] });
    const code = await Promise.race([agent.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
    if (code === 'still running') agent.child.kill('SIGKILL');
    expect(code).toBe(1);
    expect(agent.output()).toMatch(/cannot capture on lo: .*Operation not permitted.*CAP_NET_RAW/);
  }, 30_000);

  const CAN_NETNS = CAN_RUN && spawnSync('unshare', ['--net', '--', 'ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']).status === 0;

  it.skipIf(!CAN_NETNS)('puts an interface in promiscuous mode with CAP_NET_RAW alone', async () => {
    // A private network namespace with a veth pair: it vanishes with the process, nothing is left behind.
    // Kafka is unreachable from there, so the agent spools; promiscuity is what this checks.
    const agent = launch({
      configPath, envFile, stateDir: stateDirectory('promisc'), caps: ['CAP_NET_RAW'],
      extraArgs: ['--iface', 'v0', '--filter', 'udp', '--metrics-port', '0'],
      wrap: (command) => ['unshare', '--net', '--', 'sh', '-c',
        'ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && exec "$@"', 'sh', ...command],
    });
    try {
      await waitFor('the agent to capture on v0', () => /"msg":"capturing"/.test(agent.output()), 20_000, agent);
      const pid = agent.child.pid!;
      const link = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-d', 'link', 'show', 'v0'], { encoding: 'utf8' });
      expect(link.stdout).toMatch(/promiscuity 1\b/);
      expect(procStatus(pid).CapEff).toBe('0000000000002000');
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    }
  }, 60_000);
});
