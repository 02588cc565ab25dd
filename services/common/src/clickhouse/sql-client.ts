/**
 * The one interface the aggregator, the migrations and the CLI use to talk to
 * ClickHouse, whether it is a server (@clickhouse/client over HTTP) or the
 * embedded chDB engine. Both speak the same SQL; rows travel as JSON objects,
 * or as a RowBinary block their producer wrote (row-block.ts).
 */
import type { InsertRows } from './row-block.js';

export type QueryParams = Record<string, unknown>;

export interface InsertOptions {
  /**
   * ClickHouse insert_deduplication_token: a block inserted twice with the same
   * token is stored once (tables declare non_replicated_deduplication_window).
   */
  dedupToken?: string;
}

export interface SqlClient {
  /** 'server' or 'embedded', for messages and the few places that differ. */
  readonly kind: 'server' | 'embedded';
  /** Where it points, for logs (never includes credentials). */
  readonly describe: string;
  /** Run a statement that returns no rows. `{name:Type}` placeholders bind params. */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Run a query and return its rows (64-bit integers arrive as strings, on every server version). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Run a query and return the server's text output in `format` (Pretty, CSV, JSONEachRow, ...). */
  queryText(sql: string, format: string, params?: QueryParams): Promise<string>;
  /** Insert rows given as objects keyed by column name, or as a RowBinary block. */
  insert(table: string, rows: InsertRows, options?: InsertOptions): Promise<void>;
  close(): Promise<void>;
}

/** ClickHouse identifiers we interpolate (database names) must be plain. */
export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`invalid ClickHouse ${what} "${name}": use letters, digits and _ only`);
  }
  return name;
}

/**
 * Settings for an insert that may be retried: the same token stores the block
 * once, in the table and in the materialized views it feeds (without the
 * second setting a deduplicated block still reaches the views).
 */
export function dedupSettings(token: string): { insert_deduplication_token: string; deduplicate_blocks_in_dependent_materialized_views: 1 } {
  return { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 };
}
