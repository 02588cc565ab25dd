/** SqlClient over a ClickHouse server, with the official @clickhouse/client. */
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { Readable } from 'node:stream';
import { compileRowEncoder, RowBinaryMismatch, type ColumnType, type RowEncoder } from './row-binary.js';
import { blockFitsTable, isRowBlock, type InsertRows, type RowBlock } from './row-block.js';
import { dedupSettings, type InsertOptions, type QueryParams, type SqlClient } from './sql-client.js';

/** The server's answer to a DESCRIBE the user may not run (ACCESS_DENIED, code 497). */
const DESCRIBE_DENIED = /ACCESS_DENIED|\b497\b/;
type DescribedColumn = ColumnType & { default_type: string };

export interface ServerClientOptions {
  /** http(s)://host:port, optionally with user:password@ */
  url: string;
  username?: string;
  password?: string;
  database?: string;
  /** Request timeout in ms (default 300000). */
  requestTimeoutMs?: number;
  /** TLS: the CA certificate (PEM) that signed the server's certificate. */
  tls?: { caCert: Buffer };
  settings?: ClickHouseSettings;
  /**
   * gzip request bodies (default false, as in @clickhouse/client). Inserts
   * compress ~3x but gzip costs the client CPU: on the aggregator's
   * benchmark it took ~45 % of the wall clock (docs/benchmarks.md), so it
   * is for slow links to the server only.
   */
  requestCompression?: boolean;
  /**
   * Body format of inserts (default RowBinary: ~3x smaller than JSON and
   * read by the server without parsing text). A table or block the binary
   * encoding cannot store exactly as JSON would goes as JSONEachRow.
   */
  insertFormat?: 'RowBinary' | 'JSONEachRow';
}

/** How inserts went (blocks by body format; RowBinary blocks sent as JSON because of a value). */
export interface InsertStats {
  rowBinary: number;
  json: number;
  fallbacks: number;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

export class ServerSqlClient implements SqlClient {
  readonly kind = 'server' as const;
  readonly describe: string;
  readonly client: ClickHouseClient;
  readonly insertStats: InsertStats = { rowBinary: 0, json: 0, fallbacks: 0 };
  private readonly binary: boolean;
  /** RowBinary encoders by table and column list (null: that table goes as JSON). */
  private readonly encoders = new Map<string, Promise<RowEncoder | null>>();
  /** DESCRIBE TABLE by table (null: it failed). */
  private readonly described = new Map<string, Promise<DescribedColumn[] | null>>();

  constructor(options: ServerClientOptions) {
    this.describe = `ClickHouse server ${redact(options.url)}`;
    this.binary = (options.insertFormat ?? 'RowBinary') === 'RowBinary';
    this.client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      database: options.database,
      request_timeout: options.requestTimeoutMs ?? 300_000,
      compression: { request: options.requestCompression ?? false, response: true },
      // Failures reach the caller as errors; the client's own console logging would duplicate them.
      log: { level: ClickHouseLogLevel.OFF },
      // Only ca_cert: with `cert`/`key` keys present (even undefined) the client asks for certificate authentication.
      tls: options.tls ? { ca_cert: options.tls.caCert } : undefined,
      clickhouse_settings: {
        // Inserts return only once the data is written (no async insert buffering).
        async_insert: 0,
        // 64-bit integers (ns timestamps) as JSON strings on every server version:
        // newer servers default to bare numbers, which JSON.parse would round.
        output_format_json_quote_64bit_integers: 1,
        ...options.settings,
      },
    });
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    await this.client.command({ query: sql, query_params: params });
  }

  async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
    const rs = await this.client.query({ query: sql, format: 'JSONEachRow', query_params: params });
    return rs.json<T>();
  }

  async queryText(sql: string, format: string, params?: QueryParams): Promise<string> {
    // exec takes any output format (query() only the ones the client can parse, not Pretty).
    const statement = sql.trim().replace(/;\s*$/, '');
    const query = /\bFORMAT\s+\w+\s*$/i.test(statement) ? statement : `${statement}\nFORMAT ${format}`;
    const { stream } = await this.client.exec({ query, query_params: params });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async insert(table: string, rows: InsertRows, options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    const settings = options?.dedupToken ? dedupSettings(options.dedupToken) : undefined;
    if (isRowBlock(rows)) {
      const block = rows;
      if (this.binary && await this.blockFits(table, block)) {
        await this.sendRowBinary(table, block.columns.map((c) => c.name), block.rowBinary(), settings, () => this.described.delete(table));
        return;
      }
      rows = block.objects();
    }
    if (this.binary) {
      const names = Object.keys(rows[0]);
      const key = `${table}\u0000${names.join(',')}`;
      const encoder = await this.encoderFor(key, table, names);
      let body: Buffer | null = null;
      if (encoder) {
        try {
          body = encoder.encode(rows);
        } catch (err) {
          if (!(err instanceof RowBinaryMismatch)) throw err;
          this.insertStats.fallbacks++;
        }
      }
      if (encoder && body) {
        await this.sendRowBinary(table, encoder.columns, body, settings, () => {
          this.described.delete(table);
          this.encoders.delete(key);
        });
        return;
      }
    }
    await this.client.insert({ table, values: rows as object[], format: 'JSONEachRow', clickhouse_settings: settings });
    this.insertStats.json++;
  }

  /** One RowBinary INSERT; `forget` drops what was learnt of the table when it fails (it may have changed: a retry describes it again). */
  private async sendRowBinary(table: string, names: readonly string[], body: Buffer, settings: ClickHouseSettings | undefined, forget: () => void): Promise<void> {
    const columns = names.map((c) => `\`${c.replace(/`/g, '\\`')}\``).join(', ');
    try {
      const { stream } = await this.client.exec({
        query: `INSERT INTO ${table} (${columns}) FORMAT RowBinary`,
        values: Readable.from([body], { objectMode: false }),
        clickhouse_settings: settings,
      });
      for await (const _ of stream); // the (empty) response frees the connection
    } catch (err) {
      forget();
      throw err;
    }
    this.insertStats.rowBinary++;
  }

  /**
   * The table's columns (DESCRIBE TABLE, asked once per table). A DESCRIBE that fails gives null, which
   * leaves the insert to JSON (whose own error, if any, is the one to report): for good when the user
   * may insert but not describe, else until the next insert asks again.
   */
  private columnsOf(table: string): Promise<DescribedColumn[] | null> {
    let c = this.described.get(table);
    if (!c) {
      c = this.query<DescribedColumn>(`DESCRIBE TABLE ${table}`).catch((err: unknown) => {
        if (!DESCRIBE_DENIED.test(String((err as Error)?.message ?? err))) this.described.delete(table);
        return null;
      });
      this.described.set(table, c);
    }
    return c;
  }

  /** Whether the table's columns have the block's types. */
  private async blockFits(table: string, block: RowBlock): Promise<boolean> {
    const cols = await this.columnsOf(table);
    return cols !== null && blockFitsTable(block, cols);
  }

  /** The encoder of `names` into `table` (null: that table goes as JSON), compiled once per column list. */
  private encoderFor(key: string, table: string, names: readonly string[]): Promise<RowEncoder | null> {
    let e = this.encoders.get(key);
    if (!e) {
      e = this.columnsOf(table).then((cols) => {
        if (cols === null) {
          this.encoders.delete(key); // compiled when a DESCRIBE succeeds
          return null;
        }
        return compileRowEncoder(names, cols);
      });
      this.encoders.set(key, e);
    }
    return e;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
