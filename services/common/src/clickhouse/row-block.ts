/**
 * Rows written as RowBinary when they are produced, for a table whose rows
 * are many and whose columns the producer knows (the aggregator's
 * stream_health): no object per row, which a seal would otherwise build, keep
 * alive through the young collector until the INSERT, and encode again.
 *
 * A block declares its columns with their types. The server client sends the
 * bytes as they are when the table's columns (DESCRIBE TABLE) have exactly
 * those types, and the objects (`objects()`, decoded from the same bytes)
 * as JSONEachRow otherwise and to chDB, so what is stored never depends on
 * the path.
 */
import type { ColumnType } from './row-binary.js';

export interface RowBlock {
  /** The columns of every row, in the order they are written, with their ClickHouse types. */
  readonly columns: readonly ColumnType[];
  /** Rows in the block. */
  readonly length: number;
  /** The RowBinary body (a view; valid while the block is). */
  rowBinary(): Buffer;
  /** The rows as objects keyed by column (64-bit integers as decimal strings where a double would round). */
  objects(): Record<string, unknown>[];
  /** Rows [from, to) as a block of their own (a view of the same bytes). */
  slice(from: number, to: number): RowBlock;
}

/** Rows for an INSERT: objects keyed by column name, or a RowBinary block. */
export type InsertRows = readonly object[] | RowBlock;

export function isRowBlock(rows: InsertRows): rows is RowBlock {
  return !Array.isArray(rows);
}

/** The rows as objects, whichever form they come in. */
export function rowObjects(rows: InsertRows): readonly object[] {
  return isRowBlock(rows) ? rows.objects() : rows;
}

/** True when the table has every column of the block with the same type (DESCRIBE TABLE rows). */
export function blockFitsTable(block: Pick<RowBlock, 'columns'>, table: readonly (ColumnType & { default_type?: string })[]): boolean {
  const byName = new Map(table.map((c) => [c.name, c]));
  return block.columns.every((c) => {
    const t = byName.get(c.name);
    return t !== undefined && t.type === c.type && t.default_type !== 'MATERIALIZED' && t.default_type !== 'ALIAS' && t.default_type !== 'EPHEMERAL';
  });
}
