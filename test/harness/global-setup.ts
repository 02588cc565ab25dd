/** vitest global setup: one Kafka and one ClickHouse for the whole run. */
import type { TestProject } from 'vitest/node';
import { provideInfra } from './infra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    clickhouseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (m: string) => console.log(`[infra] ${m}`);
  const started = Date.now();
  const { kafka, clickhouse } = await provideInfra(log);
  log(`${kafka.describe}`);
  log(`${clickhouse.describe}`);
  log(`ready in ${Date.now() - started} ms`);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('clickhouseUrl', clickhouse.url);
  let stopped = false;
  const teardown = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled([kafka.stop(), clickhouse.stop()]);
    log('stopped');
  };
  return teardown;
}
