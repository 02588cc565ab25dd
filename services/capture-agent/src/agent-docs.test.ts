/**
 * docs/agent.md's configuration and metrics tables are what the declarations
 * generate. To refresh them after changing an option or a metric:
 *   UPDATE_DOCS=1 npx vitest run services/capture-agent/src/agent-docs.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatMarkdown } from '@streamlens/common';
import { AgentMetrics } from './agent-metrics.js';
import { agentOptions } from './agent-options.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/agent.md');

const generated = {
  'agent-options': formatMarkdown(agentOptions),
  'agent-metrics': ['| metric | type | labels | meaning |', '|---|---|---|---|',
    ...new AgentMetrics().registry.describe().map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.join(', ')} | ${m.help} |`)].join('\n'),
};

function section(doc: string, name: string): { start: number; end: number } {
  const begin = `<!-- ${name}:begin -->`;
  const start = doc.indexOf(begin);
  const end = doc.indexOf(`<!-- ${name}:end -->`);
  expect(start, begin).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return { start: start + begin.length, end };
}

describe('docs/agent.md', () => {
  it('has the generated configuration and metrics tables', () => {
    let doc = readFileSync(FILE, 'utf8');
    for (const [name, table] of Object.entries(generated)) {
      const { start, end } = section(doc, name);
      if (process.env.UPDATE_DOCS) doc = `${doc.slice(0, start)}\n${table}\n${doc.slice(end)}`;
      else expect(doc.slice(start, end).trim(), name).toBe(table);
    }
    if (process.env.UPDATE_DOCS) writeFileSync(FILE, doc);
  });
});
