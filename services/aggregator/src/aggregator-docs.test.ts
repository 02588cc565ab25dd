/**
 * The aggregator's documentation follows the code: docs/tables.md documents
 * every column of every table and view the migrations create (checked on the
 * embedded engine), and docs/aggregator.md carries the generated option
 * reference and every metric.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatMarkdown, migrate } from '@streamlens/common';
import { ChdbSqlClient } from '@streamlens/embedded';
import { aggregatorOptions } from './aggregator-options.js';
import { AggregatorMetrics } from './aggregator-metrics.js';

const doc = (name: string) => readFileSync(fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url)), 'utf8');

/** Column names documented per table: the backticked names in the first cell of each row under "## `table`". */
function documentedColumns(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let table: string | null = null;
  for (const line of text.split('\n')) {
    const h = /^## `([a-z0-9_]+)`/.exec(line);
    if (h) {
      table = h[1];
      out.set(table, new Set());
      continue;
    }
    if (line.startsWith('## ')) table = null;
    if (table && line.startsWith('| `')) {
      const first = line.split('|')[1];
      for (const m of first.matchAll(/`([a-z0-9_]+)`/g)) out.get(table)!.add(m[1]);
    }
  }
  return out;
}

describe('aggregator documentation', () => {
  it('docs/tables.md documents every table, view and column the migrations create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-docs-'));
    const store = new ChdbSqlClient(dir);
    try {
      await migrate(store, 'streamlens');
      // materialized views write into a documented table; they are named in the docs but have no columns of their own to read
      const mvs = await store.query<{ name: string }>("SELECT name FROM system.tables WHERE database = 'streamlens' AND engine = 'MaterializedView'");
      for (const mv of mvs) expect(doc('tables.md')).toContain(`\`${mv.name}\``);
      const columns = await store.query<{ table: string; name: string }>(
        `SELECT table, name FROM system.columns WHERE database = 'streamlens' AND table NOT LIKE '.inner%'
           AND table NOT IN (SELECT name FROM system.tables WHERE database = 'streamlens' AND engine = 'MaterializedView') ORDER BY table, position`);
      const documented = documentedColumns(doc('tables.md'));
      const missing = columns.filter((c) => !documented.get(c.table)?.has(c.name)).map((c) => `${c.table}.${c.name}`);
      expect(missing).toEqual([]);
      const tables = new Set(columns.map((c) => c.table));
      // documented columns that a created table does not have (a table another migration has not created yet is skipped)
      const stale = [...documented].filter(([t]) => columns.some((x) => x.table === t))
        .flatMap(([t, cols]) => [...cols].filter((c) => !columns.some((x) => x.table === t && x.name === c)).map((c) => `${t}.${c}`));
      expect(stale).toEqual([]);
      expect(tables.size).toBeGreaterThanOrEqual(11);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docs/aggregator.md carries the generated option reference and every metric', () => {
    const text = doc('aggregator.md');
    expect(text).toContain(formatMarkdown(aggregatorOptions));
    for (const m of new AggregatorMetrics().registry.describe()) expect(text, m.name).toContain(`\`${m.name}\``);
  });
});
