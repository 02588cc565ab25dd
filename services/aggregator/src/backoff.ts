/**
 * Retrying ClickHouse writes: capped exponential backoff with jitter, forever
 * for errors that pass (network, overload, too many parts), a few attempts
 * for errors that will not (a missing table or column, a type the server
 * cannot parse, bad credentials): those stop the service with the cause
 * rather than block it silently.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** First delay. */
  initialMs: number;
  /** Longest delay between attempts. */
  maxMs: number;
  /** Attempts for an error that retrying cannot fix. */
  permanentAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 100, maxMs: 30_000, permanentAttempts: 3 };

/** ClickHouse error codes that no retry fixes. */
const PERMANENT = new Set([
  6, // CANNOT_PARSE_TEXT
  16, // NO_SUCH_COLUMN_IN_TABLE
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  60, // UNKNOWN_TABLE
  62, // SYNTAX_ERROR
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  81, // UNKNOWN_DATABASE
  117, // INCORRECT_DATA
  164, // READONLY
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

/** The ClickHouse error code of an error from either SqlClient, if it has one. */
export function clickhouseErrorCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  if (typeof e?.code === 'number') return e.code;
  const m = typeof e?.message === 'string' ? /Code: (\d+)/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

export function isPermanent(err: unknown): boolean {
  const code = clickhouseErrorCode(err);
  return code !== undefined && PERMANENT.has(code);
}

export class PermanentWriteError extends Error {
  override name = 'PermanentWriteError';
}

export class RetryAborted extends Error {
  override name = 'RetryAborted';
}

export interface RetryHooks {
  /** Called before each wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Stop retrying (the service is giving up, e.g. on a hard stop). */
  aborted?: () => boolean;
}

export async function withRetry<T>(what: string, policy: RetryPolicy, fn: () => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  let permanentFailures = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (isPermanent(err) && ++permanentFailures >= policy.permanentAttempts) {
        throw new PermanentWriteError(`${what} failed ${permanentFailures} times with an error retrying cannot fix: ${(err as Error).message}`, { cause: err });
      }
      if (hooks.aborted?.()) throw new RetryAborted(`${what}: gave up after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
      const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 30));
      const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
      hooks.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
