/** `streamlens dissector`: the dissector worker as a Kafka service. */
import {
  createKafka, createLogger, formatHelp, loadConfig, serveMetrics, stopOnSignals, type Command,
} from '@streamlens/common';
import { Dissector } from '../dissect.js';
import { dissectorOptions, dissectorSettings } from '../dissector-options.js';
import { DissectorService } from './dissector-service.js';
import { dissectorServiceOptions } from './service-options.js';

export const dissectorCommandOptions = { ...dissectorServiceOptions, ...dissectorOptions };

const HELP = formatHelp(
  'streamlens dissector [options]',
  'Dissector worker: consumes the packets topic, classifies and dissects every record (Chapter 10, PTP, IENA and\n' +
  'the standard protocols), and produces the enriched topic, exactly once (Kafka transactions). Start several with\n' +
  'the same --group-id to scale out. Undecodable messages go to the DLQ topic with the reason in headers.',
  dissectorCommandOptions,
);

export const dissectorCommand: Command = {
  summary: 'Dissector worker: packets topic in, enriched topic out (exactly once)',
  help: () => HELP,
  async run(argv) {
    const { config, help } = loadConfig(dissectorCommandOptions, { argv });
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    const instanceId = config.instanceId ?? DissectorService.defaultInstanceId();
    const logger = createLogger({ service: 'dissector', level: config.logLevel });
    const dissector = new Dissector({ ...dissectorSettings(config), logger });
    const kafka = createKafka(config, `streamlens-dissector-${instanceId}`, logger);
    const service = new DissectorService(kafka, dissector, {
      topicPrefix: config.topicPrefix, groupId: config.groupId, instanceId, createTopics: config.createTopics,
      enrichedPartitions: config.enrichedPartitions, replicationFactor: config.replicationFactor,
      transactionTimeout: config.transactionTimeout, maxBatchBytes: config.maxBatchBytes, concurrency: config.concurrency, sessionTimeout: config.sessionTimeout,
      produceBatchBytes: config.produceBatchBytes,
    }, logger);
    const metrics = config.metricsPort > 0
      ? await serveMetrics([service.metrics.registry, dissector.metrics.registry], config.metricsPort, config.metricsHost)
      : undefined;
    const done = new Promise<void>((resolve) => {
      stopOnSignals({
        start: async () => {},
        stop: async () => {
          await service.stop();
          await metrics?.close();
          resolve();
        },
      }, logger, config.drainTimeout);
    });
    logger.info({ group: config.groupId, instance: instanceId }, 'dissector starting');
    await service.start();
    await done;
    return 0;
  },
};
