/** What a test needs to reach the shared test infrastructure. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ServerSqlClient, type ServerClientOptions } from '@streamlens/common';

const OFF = 'this test needs Kafka and ClickHouse, but the run has STREAMLENS_TEST_INFRA=off';

export function testBrokers(): string[] {
  const brokers = inject('kafkaBrokers');
  if (!brokers.length) throw new Error(OFF);
  return brokers;
}

export function testClickHouseUrl(): string {
  const url = inject('clickhouseUrl');
  if (!url) throw new Error(OFF);
  return url;
}

/** A name no other test (or earlier run against an external cluster) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function testKafka(clientId = 'streamlens-test'): Kafka {
  return new Kafka({ clientId, brokers: testBrokers(), logLevel: logLevel.WARN });
}

export function testSqlClient(options: Omit<ServerClientOptions, 'url'> = {}): ServerSqlClient {
  return new ServerSqlClient({ ...options, url: testClickHouseUrl() });
}
