/** Options of the dissector as a Kafka service (the dissection options live in ../dissector-options.ts). */
import { DEFAULT_PRODUCE_BATCH_BYTES, kafkaOptions, LOG_LEVELS, opt } from '@streamlens/common';

export const dissectorServiceOptions = {
  ...kafkaOptions,
  groupId: opt.string({ doc: 'consumer group of the dissector workers (scale out by starting more with the same group)', default: 'streamlens-dissector' }),
  instanceId: opt.string({ doc: 'name of this worker in logs and client ids (default: host name and pid)' }),
  createTopics: opt.bool({ doc: 'create the enriched and DLQ topics when missing', default: true }),
  enrichedPartitions: opt.int({ doc: 'partitions of the enriched topic when it is created (default: as many as the packets topic)', min: 1 }),
  replicationFactor: opt.int({ doc: 'replication factor of topics it creates', default: 1, min: 1 }),
  transactionTimeout: opt.duration({ doc: 'Kafka transaction timeout', default: 60_000, min: 1000 }),
  maxBatchBytes: opt.size({ doc: 'bytes fetched per partition per batch (one transaction each)', default: 8 * 1024 * 1024, min: 1024 }),
  sessionTimeout: opt.duration({ doc: 'Kafka consumer session timeout: how long a dead worker keeps its partitions before the group moves them', default: 30_000, min: 3000, max: 300_000 }),
  produceBatchBytes: opt.size({ doc: 'bytes of enriched messages sent to one partition per produce request; keep below the broker\'s message.max.bytes (1 MiB by default)', default: DEFAULT_PRODUCE_BATCH_BYTES, min: 1024 }),
  concurrency: opt.int({ doc: 'input partitions processed at once, each in its own transaction', default: 2, min: 1, max: 64 }),
  metricsPort: opt.int({ doc: 'port of the Prometheus /metrics endpoint (0 = none)', default: 9465, min: 0, max: 65535 }),
  metricsHost: opt.string({ doc: 'address the metrics endpoint listens on', default: '0.0.0.0' }),
  logLevel: opt.enum({ doc: 'log level', choices: LOG_LEVELS, default: 'info' }),
  drainTimeout: opt.duration({ doc: 'how long SIGTERM waits for the batch in flight', default: 30_000 }),
};
