/**
 * What the embedded store already holds. A capture is identified by the
 * SHA-256 of its bytes, so the same file under another name is still
 * recognised; analysing it again would double its counts, and is refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { SqlClient } from '@streamlens/common';

export interface IngestRun {
  run_id: string;
  kind: 'analyze' | 'run';
  source: string;
  source_sha256: string;
  source_bytes: number;
  agent_id: string;
  status: 'started' | 'completed' | 'failed';
  started_at: string;
  finished_at: string | null;
  frames: number;
  records: number;
  first_ts_ns: string;
  last_ts_ns: string;
  settings: string;
}

/** SHA-256 of the files' content in order, and their total size. */
export async function hashFiles(files: string[]): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    bytes += (await stat(f)).size;
    for await (const chunk of createReadStream(f, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  }
  return { sha256: h.digest('hex'), bytes };
}

export class IngestRuns {
  private version = Date.now() * 1000;

  constructor(private readonly sql: SqlClient, private readonly database: string) {}

  /** Runs over the same content, newest first. */
  async sameContent(sha256: string): Promise<IngestRun[]> {
    return this.sql.query<IngestRun>(
      `SELECT run_id, kind, source, source_sha256, source_bytes, agent_id, status, toString(started_at) AS started_at,
              toString(finished_at) AS finished_at, frames, records, first_ts_ns, last_ts_ns, settings
       FROM ${this.database}.ingest_runs FINAL WHERE source_sha256 = {sha:String} ORDER BY started_at DESC`, { sha: sha256 });
  }

  async record(run: Omit<IngestRun, 'started_at' | 'finished_at'> & { started_at: Date; finished_at: Date | null }): Promise<void> {
    const ts = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
    await this.sql.insert(`${this.database}.ingest_runs`, [{
      ...run,
      started_at: ts(run.started_at),
      finished_at: run.finished_at ? ts(run.finished_at) : null,
      version: ++this.version,
    }]);
  }
}
