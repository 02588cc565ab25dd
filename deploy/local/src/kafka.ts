/**
 * Apache Kafka in KRaft single-node mode from the official jars on Maven
 * Central, for tests and `streamlens dev up` on machines without Docker.
 *
 *   fetch  - resolve kafka_2.13:<version> and a logging binding with Maven,
 *            once, into ~/.cache/streamlens/kafka-<version>/libs
 *   start  - write server.properties for one broker+controller on free
 *            loopback ports with data in a fresh temp dir, format the
 *            storage, run kafka.Kafka with WARN logs to a file
 *   ready  - a metadata request, a topic creation with an elected leader, a
 *            group-coordinator request and an idempotent producer's
 *            InitProducerId succeed while the process is alive
 *   stop   - SIGTERM (the broker stops in 0.4-2 s), SIGKILL after a grace
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './ports.js';
import { startProcess, waitReady, type ServerProcess } from './child-process.js';

const run = promisify(execFile);

export const DEFAULT_KAFKA_VERSION = '4.1.2';

export function cacheRoot(): string {
  return process.env.STREAMLENS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'streamlens');
}

export interface LocalKafka {
  version: string;
  brokers: string[];
  dataDir: string;
  logFile: string;
  process: ServerProcess;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  version?: string;
  /** Keep running after this process exits (dev up). */
  detached?: boolean;
  /** Where data and logs go (default: a new temp dir, removed on stop). */
  dataDir?: string;
  log?: (msg: string) => void;
  readyTimeoutMs?: number;
}

function pom(version: string, extra: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.streamlens.local</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>${extra}
  </dependencies>
</project>
`;
}

function dep(group: string, artifact: string, version: string): string {
  return `\n    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
}

async function mvnCopy(dir: string, pomText: string, libs: string): Promise<void> {
  writeFileSync(join(dir, 'pom.xml'), pomText);
  try {
    await run('mvn', ['-q', '-B', '-f', join(dir, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime',
      `-DoutputDirectory=${libs}`, `-Dmaven.repo.local=${join(dir, 'm2')}`], { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Maven could not resolve Kafka jars into ${libs}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

/**
 * Resolve the broker's jars once. Kafka's runtime dependencies bring no SLF4J
 * binding; without one a broker that fails at start prints nothing, so add
 * reload4j (3.x) or log4j-slf4j-impl at the resolved log4j-core version (4.x).
 */
export async function fetchKafka(version = DEFAULT_KAFKA_VERSION, log: (m: string) => void = () => {}): Promise<string> {
  const dir = join(cacheRoot(), `kafka-${version}`);
  const libs = join(dir, 'libs');
  const stamp = join(dir, '.complete');
  if (existsSync(stamp)) return libs;
  mkdirSync(dir, { recursive: true });
  rmSync(libs, { recursive: true, force: true });
  log(`fetching Kafka ${version} jars from Maven Central into ${dir}`);
  await mvnCopy(dir, pom(version, ''), libs);
  const jars = readdirSync(libs);
  const core = jars.find((j) => /^log4j-core-\d/.test(j));
  const binding = core
    ? dep('org.apache.logging.log4j', 'log4j-slf4j-impl', core.replace(/^log4j-core-/, '').replace(/\.jar$/, ''))
    : dep('org.slf4j', 'slf4j-reload4j', '1.7.36') + dep('ch.qos.reload4j', 'reload4j', '1.2.25');
  await mvnCopy(dir, pom(version, binding), libs);
  writeFileSync(stamp, new Date().toISOString());
  return libs;
}

function log4jConfig(dir: string, libs: string): string[] {
  if (readdirSync(libs).some((j) => /^log4j-core-\d/.test(j))) {
    const file = join(dir, 'log4j2.properties');
    writeFileSync(file, [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      'appender.file.fileName = ${sys:kafka.logs.dir}/server.log',
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = warn',
      'rootLogger.appenderRef.file.ref = FILE',
      '',
    ].join('\n'));
    return [`-Dlog4j2.configurationFile=${file}`];
  }
  const file = join(dir, 'log4j.properties');
  writeFileSync(file, [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    'log4j.appender.file.File=${kafka.logs.dir}/server.log',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n'));
  return [`-Dlog4j.configuration=file:${file}`];
}

/** A metadata request and a topic creation with an elected leader. */
export async function kafkaReady(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({ clientId: 'streamlens-ready', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [] });
    const topic = '__streamlens_ready';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    if (!(meta.topics[0]?.partitions[0]?.leader >= 0)) return false;
    // The group coordinator (and __consumer_offsets) loads on first use; wait
    // for it here so the first consumer group of a test does not race it.
    await admin.fetchOffsets({ groupId: '__streamlens_ready', topics: [topic] });
    // Likewise the transaction coordinator, which idempotent producers ask first.
    const producer = new Kafka({ clientId: 'streamlens-ready', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000 })
      .producer({ idempotent: true });
    await producer.connect();
    await producer.disconnect();
    return true;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function portsOf(properties: string): [number, number] {
  const listeners = /^listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+),CONTROLLER:\/\/127\.0\.0\.1:(\d+)$/m.exec(properties);
  if (!listeners) throw new Error('server.properties has no loopback listeners line');
  return [Number(listeners[1]), Number(listeners[2])];
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<LocalKafka> {
  const version = opts.version ?? process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  const log = opts.log ?? (() => {});
  const libs = await fetchKafka(version, log);
  const ownDir = !opts.dataDir;
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'streamlens-kafka-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const props = join(dir, 'server.properties');
  // A data dir that already holds a broker (a restart) keeps its ports and its formatted storage.
  const reuse = existsSync(props) && existsSync(join(dir, 'data', 'meta.properties'));
  const [port, controllerPort] = reuse ? portsOf(readFileSync(props, 'utf8')) : [await freePort(), await freePort()];
  if (!reuse) writeFileSync(props, [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n'));
  const jvmLog = log4jConfig(dir, libs);
  const classpath = join(libs, '*');
  const logFile = join(dir, 'logs', 'java.out');
  // Format once: a fresh cluster id (16 random bytes, base64url).
  // A leading '-' would be read as an option by the storage tool: draw again.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  if (!reuse) try {
    await run('java', ['-cp', classpath, ...jvmLog, `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Kafka storage format failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
  const proc = startProcess({
    name: `kafka-${version}`,
    command: 'java',
    args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvmLog,
      `-Dkafka.logs.dir=${join(dir, 'logs')}`, '-cp', classpath, 'kafka.Kafka', props],
    logFile,
    detached: opts.detached,
    guard: true,
  });
  const brokers = [`127.0.0.1:${port}`];
  log(`Kafka ${version} starting on ${brokers[0]} (pid ${proc.pid}, data ${dir})`);
  await waitReady(proc, () => kafkaReady(brokers), opts.readyTimeoutMs ?? 90_000, `Kafka ${version} on ${brokers[0]}`);
  log(`Kafka ${version} ready on ${brokers[0]}`);
  return {
    version, brokers, dataDir: dir, logFile: join(dir, 'logs', 'server.log'), process: proc,
    async stop() {
      await proc.stop();
      if (ownDir && !opts.detached) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchmarkKafka {
  /** First bootstrap broker. */
  broker: string;
  /** For the benchmark's header: where the broker came from. */
  description: string;
  stop(): Promise<void>;
}

/**
 * The broker a benchmark runs against: KAFKA_BROKERS when set, else a local
 * one started for the run with its JVM threads pinned to `pinCpu` (taskset),
 * so the process measured on the other core does not share one with it.
 */
export async function benchmarkKafka(pinCpu?: number): Promise<BenchmarkKafka> {
  const given = process.env.KAFKA_BROKERS?.split(',')[0];
  if (given) return { broker: given, description: `KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`, stop: async () => {} };
  const k = await startKafka();
  if (pinCpu !== undefined) {
    // The JVM runs as a child of the process startKafka spawned; -a pins every thread of it.
    const children = spawnSync('pgrep', ['-P', String(k.process.pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean);
    for (const pid of [String(k.process.pid), ...children]) spawnSync('taskset', ['-a', '-p', '-c', String(pinCpu), pid], { stdio: 'ignore' });
  }
  return { broker: k.brokers[0], description: `local Kafka ${k.version} on ${k.brokers[0]}`, stop: () => k.stop() };
}
