/** `streamlens agent`: live capture or file replay, decode, publish to Kafka (spooling while Kafka is away). */
import { hostname } from 'node:os';
import { ConfigError, createLogger, formatHelp, loadConfig, stopOnSignals, type Loaded } from '@streamlens/common';
import { AgentService, agentOptions, checkAgentConfig } from '@streamlens/capture-agent';
import type { Command } from '../command.js';

const USAGE = 'streamlens agent (--iface NAME ... | --read FILE ...) [options]';

const DESCRIPTION = `Capture agent: capture live on interfaces (libpcap through the optional "cap"
package) or replay pcap/pcapng files, decode every frame (L2-L4, DNS, HTTP) into
packet records, and publish them as Avro PacketBatch messages to the
<topic-prefix>.packets topic (idempotent producer, acks=all). While Kafka is
down or slow, batches go to a bounded on-disk spool and are sent, in order,
when it is back; a restart sends what an earlier run left. SIGINT/SIGTERM
flush and exit 0. A replay ends when its files are read and everything is
acknowledged (or spooled). Configuration reference: docs/agent.md.`;

/** How long after stop() the process may take to exit by itself before it is ended. */
const EXIT_GRACE_MS = 5000;

const command: Command = {
  summary: 'Capture agent: live capture or file replay, decode, publish to Kafka',
  help: () => formatHelp(USAGE, DESCRIPTION, agentOptions),
  async run(argv) {
    let loaded: Loaded<typeof agentOptions>;
    try {
      loaded = loadConfig(agentOptions, { argv });
      if (loaded.help) {
        process.stdout.write(formatHelp(USAGE, DESCRIPTION, agentOptions));
        return 0;
      }
      checkAgentConfig(loaded);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`streamlens agent: ${err.message}\n(streamlens agent --help lists every option)\n`);
        return 64;
      }
      throw err;
    }
    const config = loaded.config;
    const logger = createLogger({ service: 'agent', agentId: config.agentId ?? hostname(), level: config.logLevel });
    const agent = new AgentService(config, { progressOut: process.stderr, logger });
    try {
      await agent.start();
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'agent did not start');
      logger.flush?.();
      process.stderr.write(`streamlens agent: ${(err as Error).message}\n`);
      return 1;
    }
    const off = stopOnSignals(agent, logger, config.drainTimeout + 30_000);
    const outcome = await agent.finished;
    await agent.stop();
    off();
    logger.flush?.();
    const code = outcome.replay && outcome.replay.failedFiles.length > 0 ? 1 : 0;
    setTimeout(() => {
      process.stderr.write('streamlens agent: stopped, but something kept the process alive; exiting\n');
      process.exit(code);
    }, EXIT_GRACE_MS).unref();
    return code;
  },
};
export default command;
