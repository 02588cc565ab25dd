/**
 * The shape every StreamLens component has: a constructor that starts
 * nothing, `start()`, and a draining `stop()`; plus the signal handling that
 * turns SIGINT/SIGTERM into one orderly stop and exit code 0.
 */
import type { Logger } from './logger.js';

export interface Service {
  start(): Promise<void>;
  /** Drain in-flight work, flush, commit; resolves when done. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Stop `service` on the first SIGINT or SIGTERM; a second signal, or a stop
 * taking longer than `timeoutMs`, exits at once with code 1.
 */
export function stopOnSignals(service: Service, logger: Logger, timeoutMs = 30_000): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: draining in-flight work');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'drain did not finish in time; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    service.stop().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped');
        logger.flush?.();
        process.exitCode = 0;
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err }, 'error while stopping');
        logger.flush?.();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
