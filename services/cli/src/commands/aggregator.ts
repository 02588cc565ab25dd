/** `streamlens aggregator`: enriched topic in, flows / outliers / netflow buckets into ClickHouse, exactly once. */
import {
  ConfigError, createKafka, createLogger, formatHelp, loadConfig, serverClientOf, stopOnSignals, type Loaded,
} from '@streamlens/common';
import { AggregatorService, aggregatorOptions } from '@streamlens/aggregator';
import type { Command } from '../command.js';

const USAGE = 'streamlens aggregator [options]';

const DESCRIPTION = `Aggregator: consume the <topic-prefix>.enriched topic (read_committed) and write
windowed flow statistics (flows), inter-arrival outliers (flow_outliers) and
netflow buckets (netflow_bucket_parts, read through the netflow_buckets view)
into ClickHouse. Instances in one --group-id share the partitions and produce
one set of results; a crash or a rebalance at any moment neither loses nor
double counts anything (epochs, intents, checkpoints and deduplicated inserts:
docs/aggregator.md). Records behind the watermark, and messages that are not
valid Avro, go to <topic-prefix>.dlq with the reason in headers.
SIGINT/SIGTERM finish the epoch in flight, checkpoint, commit and exit 0.`;

/** ClickHouse URL with credentials moved out of it. */
const command: Command = {
  summary: 'Aggregator: enriched topic in, flows and netflow buckets into ClickHouse',
  help: () => formatHelp(USAGE, DESCRIPTION, aggregatorOptions),
  async run(argv) {
    let loaded: Loaded<typeof aggregatorOptions>;
    try {
      loaded = loadConfig(aggregatorOptions, { argv });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`streamlens aggregator: ${err.message}\n(streamlens aggregator --help lists every option)\n`);
        return 64;
      }
      throw err;
    }
    if (loaded.help) {
      process.stdout.write(formatHelp(USAGE, DESCRIPTION, aggregatorOptions));
      return 0;
    }
    const config = loaded.config;
    const logger = createLogger({ service: 'aggregator', level: config.logLevel });
    const sql = serverClientOf(config, { requestCompression: config.clickhouseCompression, insertFormat: config.clickhouseInsertFormat });
    let service: AggregatorService;
    try {
      service = new AggregatorService(config, { sql, kafka: createKafka(config, `streamlens-aggregator-${config.groupId}`, logger), logger });
    } catch (err) {
      process.stderr.write(`streamlens aggregator: ${(err as Error).message}\n`);
      await sql.close();
      return 64;
    }
    let finish!: (code: number) => void;
    const done = new Promise<number>((resolve) => (finish = resolve));
    const wrapper = {
      start: () => service.start(),
      stop: async () => {
        await service.stop();
        finish(0);
      },
    };
    try {
      await service.start();
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'aggregator did not start');
      logger.flush?.();
      process.stderr.write(`streamlens aggregator: ${(err as Error).message}\n`);
      await service.stop().catch(() => {});
      await sql.close();
      return 1;
    }
    const off = stopOnSignals(wrapper, logger, 120_000);
    service.onFatal((err) => {
      process.stderr.write(`streamlens aggregator: ${err.message}\n`);
      service.stop().finally(() => finish(1));
    });
    const code = await done;
    off();
    await sql.close();
    logger.flush?.();
    setTimeout(() => process.exit(code), 5000).unref();
    return code;
  },
};
export default command;
