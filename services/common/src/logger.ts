/**
 * Structured logs (pino, JSON lines on stderr), one logger per service with
 * `service` and `agent_id` on every line. Secrets never go in: options marked
 * secret are not logged, and the Kafka/ClickHouse URLs are redacted.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoggerOptions {
  service: string;
  agentId?: string;
  level?: LevelWithSilent;
  /** Write here instead of stderr (tests). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service, ...(opts.agentId ? { agent_id: opts.agentId } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'sasl.password', 'url'], censor: '***' },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
