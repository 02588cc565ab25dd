/**
 * Versioned ClickHouse migrations from schemas/clickhouse/NNNN_name.sql.
 *
 * The runner is idempotent: it creates the database and the
 * schema_migrations table, applies in order every file not recorded there,
 * and records each one after all its statements succeeded. Statements use
 * IF NOT EXISTS, so a run interrupted half-way (or two services migrating at
 * once) converges. A file edited after it was applied is an error: change the
 * schema with a new migration instead.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { assertIdentifier, type SqlClient } from './sql-client.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../schemas/clickhouse/', import.meta.url));

/** Oldest server release we support (DateTime64, bound parameters, insert_deduplication_token). */
export const MIN_SERVER_VERSION = [23, 8] as const;

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Split a migration file into statements (`;` at the end of a line ends one). */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const seen = new Set<number>();
  return files.map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const version = Number(file.slice(0, 4));
    if (seen.has(version)) throw new Error(`two migrations with version ${version} in ${dir}`);
    seen.add(version);
    return {
      version,
      name: file.replace(/\.sql$/, ''),
      checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
      statements: splitStatements(text),
    };
  });
}

/** Fail with a clear message on servers older than MIN_SERVER_VERSION. */
export async function checkServerVersion(client: SqlClient): Promise<string> {
  const [row] = await client.query<{ v: string }>('SELECT version() AS v');
  const version = row?.v ?? '0';
  const [major, minor] = version.split('.').map(Number);
  const [minMajor, minMinor] = MIN_SERVER_VERSION;
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    throw new Error(
      `${client.describe} runs ClickHouse ${version}; StreamLens needs ${minMajor}.${minMinor} or later ` +
      '(DateTime64, bound query parameters, insert_deduplication_token)');
  }
  return version;
}

export async function migrate(client: SqlClient, database: string, dir: string = MIGRATIONS_DIR): Promise<MigrationResult> {
  const db = assertIdentifier(database, 'database name');
  await checkServerVersion(client);
  await client.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await client.command(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (
       version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = ReplacingMergeTree ORDER BY version`);
  const rows = await client.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM ${db}.schema_migrations FINAL ORDER BY version`);
  const applied = new Map(rows.map((r) => [Number(r.version), r]));
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const m of loadMigrations(dir)) {
    const done = applied.get(m.version);
    if (done) {
      if (done.checksum !== m.checksum) {
        throw new Error(
          `migration ${m.name} was changed after it was applied to ${db} (checksum ${done.checksum} there, ${m.checksum} here); ` +
          'add a new migration instead of editing an applied one');
      }
      result.alreadyApplied.push(m.name);
      continue;
    }
    for (const statement of m.statements) {
      try {
        await client.command(statement.replaceAll('{db}', db));
      } catch (err) {
        throw new Error(`migration ${m.name} failed on ${client.describe}: ${(err as Error).message}\n--- statement ---\n${statement}`, { cause: err });
      }
    }
    await client.insert(`${db}.schema_migrations`, [{ version: m.version, name: m.name, checksum: m.checksum }]);
    result.applied.push(m.name);
  }
  return result;
}
