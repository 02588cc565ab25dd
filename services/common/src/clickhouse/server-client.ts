/** SqlClient over a ClickHouse server, with the official @clickhouse/client. */
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { dedupSettings, type InsertOptions, type QueryParams, type SqlClient } from './sql-client.js';

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
   * gzip request bodies (default true). Inserts compress well but gzip costs
   * CPU on the client's thread pool; on a fast link to the server, off can
   * double an insert-heavy client's throughput.
   */
  requestCompression?: boolean;
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

  constructor(options: ServerClientOptions) {
    this.describe = `ClickHouse server ${redact(options.url)}`;
    this.client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      database: options.database,
      request_timeout: options.requestTimeoutMs ?? 300_000,
      compression: { request: options.requestCompression ?? true, response: true },
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

  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table,
      values: rows as object[],
      format: 'JSONEachRow',
      clickhouse_settings: options?.dedupToken ? dedupSettings(options.dedupToken) : undefined,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
