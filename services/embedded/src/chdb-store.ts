/**
 * The embedded ClickHouse engine (chDB) behind the same SqlClient interface as
 * a server, so the aggregator sink, the migrations and `streamlens sql` run
 * unchanged on it. Only async chDB calls are used: the sync ones block the
 * event loop. chDB allows one data directory per process; opening a second,
 * different one is refused with a clear error.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import { assertIdentifier, dedupSettings, rowObjects, type InsertOptions, type InsertRows, type QueryParams, type SqlClient } from '@streamlens/common';

let openPath: string | undefined;

export class ChdbSqlClient implements SqlClient {
  readonly kind = 'embedded' as const;
  readonly describe: string;
  private session: Session | undefined;

  constructor(readonly dataDir: string) {
    const path = resolve(dataDir);
    if (openPath !== undefined && openPath !== path) {
      throw new Error(`chDB already has ${openPath} open in this process; it allows one data directory per process`);
    }
    mkdirSync(path, { recursive: true });
    try {
      // 64-bit integers as JSON strings, as the server client asks for.
      this.session = new Session(path, { connectionArgs: ['--output_format_json_quote_64bit_integers=1'] });
    } catch (err) {
      throw new Error(`cannot open the embedded store at ${path}: ${(err as Error).message} ` +
        '(is another streamlens process using this --data-dir?)', { cause: err });
    }
    openPath = path;
    this.describe = `embedded store ${path}`;
  }

  private live(): Session {
    if (!this.session) throw new Error(`${this.describe} is closed`);
    return this.session;
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    const s = this.live();
    if (params && Object.keys(params).length) await s.queryBindAsync(sql, params, { format: 'Null' });
    else await s.queryAsync(sql, { format: 'Null' });
  }

  async queryText(sql: string, format: string, params?: QueryParams): Promise<string> {
    const s = this.live();
    const r = params && Object.keys(params).length
      ? await s.queryBindAsync(sql, params, { format })
      : await s.queryAsync(sql, { format });
    return r.text();
  }

  async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
    const text = await this.queryText(sql, 'JSONEachRow', params);
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as T);
    return rows;
  }

  async insert(table: string, rows: InsertRows, options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    // chDB's raw insert takes text formats only: a RowBinary block goes as its objects
    let payload = '';
    for (const r of rowObjects(rows)) payload += JSON.stringify(r) + '\n';
    await this.live().insert({
      table,
      values: Buffer.from(payload),
      format: 'JSONEachRow',
      settings: options?.dedupToken ? dedupSettings(options.dedupToken) : undefined,
    });
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = undefined;
    openPath = undefined;
  }
}

/**
 * Open the embedded store at `dir` with `database` as the default database.
 * `mustExist` refuses a directory that holds no StreamLens store (a typo
 * must not silently create an empty one).
 */
export async function openEmbeddedStore(dir: string, opts: { database: string; mustExist: boolean }): Promise<ChdbSqlClient> {
  if (opts.mustExist && !existsSync(dir)) {
    throw new Error(`no embedded store at ${resolve(dir)} (run \`streamlens analyze <file> --data-dir ${dir}\` first, or pass --clickhouse-url)`);
  }
  const client = new ChdbSqlClient(dir);
  const db = assertIdentifier(opts.database, 'database name');
  const [row] = await client.query<{ n: string }>('SELECT count() AS n FROM system.databases WHERE name = {db:String}', { db });
  if (opts.mustExist && row?.n === '0') {
    await client.close();
    throw new Error(`${resolve(dir)} holds no database ${db} (is it a StreamLens data directory?)`);
  }
  if (row?.n !== '0') await client.command(`USE ${db}`);
  return client;
}
