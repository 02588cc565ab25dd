/**
 * Where the tests find Kafka and ClickHouse, in this order:
 *   1. KAFKA_BROKERS / CLICKHOUSE_URL: an external cluster you point at;
 *   2. testcontainers, when a Docker engine answers;
 *   3. local processes on free loopback ports (deploy/local): Kafka from the
 *      Maven Central jars, ClickHouse from the engine in the chdb package.
 * Each choice is printed, with where the server runs.
 */
import { existsSync } from 'node:fs';
import { startClickHouse, startKafka } from '@streamlens/local-infra';

export interface RunningService {
  /** How it was provided: env, testcontainers or local. */
  mode: 'env' | 'testcontainers' | 'local';
  describe: string;
  stop(): Promise<void>;
}

export interface TestKafka extends RunningService { brokers: string[] }
export interface TestClickHouse extends RunningService { url: string }

async function dockerAnswers(): Promise<boolean> {
  if (process.env.STREAMLENS_NO_DOCKER === '1') return false;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function provideKafka(log: (m: string) => void, docker: boolean): Promise<TestKafka> {
  const env = process.env.KAFKA_BROKERS;
  if (env) {
    const brokers = env.split(',').map((s) => s.trim()).filter(Boolean);
    return { mode: 'env', brokers, describe: `Kafka from KAFKA_BROKERS (${brokers.join(',')})`, stop: async () => {} };
  }
  if (docker) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const image = process.env.KAFKA_IMAGE ?? 'confluentinc/cp-kafka:8.1.0';
    const c = await new KafkaContainer(image).withKraft().withExposedPorts(9093).start();
    const brokers = [`${c.getHost()}:${c.getMappedPort(9093)}`];
    return { mode: 'testcontainers', brokers, describe: `Kafka container ${image} on ${brokers[0]}`, stop: async () => { await c.stop(); } };
  }
  const k = await startKafka({ log });
  return { mode: 'local', brokers: k.brokers, describe: `local Kafka ${k.version} on ${k.brokers[0]} (pid ${k.process.pid}, log ${k.logFile})`, stop: () => k.stop() };
}

export async function provideClickHouse(log: (m: string) => void, docker: boolean): Promise<TestClickHouse> {
  const env = process.env.CLICKHOUSE_URL;
  if (env) return { mode: 'env', url: env, describe: 'ClickHouse from CLICKHOUSE_URL', stop: async () => {} };
  if (docker) {
    const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
    const image = process.env.CLICKHOUSE_IMAGE ?? 'clickhouse/clickhouse-server:25.8';
    const c = await new ClickHouseContainer(image).start();
    const u = new URL(c.getHttpUrl());
    u.username = c.getUsername();
    u.password = c.getPassword();
    return { mode: 'testcontainers', url: u.toString().replace(/\/$/, ''), describe: `ClickHouse container ${image} on ${c.getHttpUrl()}`, stop: async () => { await c.stop(); } };
  }
  const ch = await startClickHouse({ log });
  return { mode: 'local', url: ch.url, describe: `local ClickHouse (chdb engine) on ${ch.url} (pid ${ch.process.pid}, log ${ch.logFile})`, stop: () => ch.stop() };
}

export async function provideInfra(log: (m: string) => void): Promise<{ kafka: TestKafka; clickhouse: TestClickHouse }> {
  const docker = (!process.env.KAFKA_BROKERS || !process.env.CLICKHOUSE_URL) && await dockerAnswers();
  const [kafka, clickhouse] = await Promise.allSettled([provideKafka(log, docker), provideClickHouse(log, docker)]);
  if (kafka.status === 'rejected' || clickhouse.status === 'rejected') {
    if (kafka.status === 'fulfilled') await kafka.value.stop();
    if (clickhouse.status === 'fulfilled') await clickhouse.value.stop();
    const reasons = [kafka, clickhouse].filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason?.message ?? r));
    throw new Error(`test infrastructure did not start:\n${reasons.join('\n')}`);
  }
  return { kafka: kafka.value, clickhouse: clickhouse.value };
}
