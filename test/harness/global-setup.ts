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
  if (process.env.STREAMLENS_TEST_INFRA === 'off') {
    // Quick runs of pure unit tests; tests that need a server fail with a clear message.
    log('STREAMLENS_TEST_INFRA=off: no Kafka or ClickHouse for this run');
    project.provide('kafkaBrokers', []);
    project.provide('clickhouseUrl', '');
    return async () => {};
  }
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
