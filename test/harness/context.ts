/** What a test needs to reach the shared test infrastructure. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ServerSqlClient } from '@streamlens/common';

export function testBrokers(): string[] {
  return inject('kafkaBrokers');
}

export function testClickHouseUrl(): string {
  return inject('clickhouseUrl');
}

/** A name no other test (or earlier run against an external cluster) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function testKafka(clientId = 'streamlens-test'): Kafka {
  return new Kafka({ clientId, brokers: testBrokers(), logLevel: logLevel.WARN });
}

export function testSqlClient(): ServerSqlClient {
  return new ServerSqlClient({ url: testClickHouseUrl() });
}
