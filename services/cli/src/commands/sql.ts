/**
 * `streamlens sql`: ClickHouse SQL against the embedded store (--data-dir) or
 * a server (--clickhouse-url). With a query, prints its result; without one,
 * opens an interactive prompt (statements end with `;`).
 */
import { createInterface } from 'node:readline';
import { formatHelp, loadConfig, opt, type Command, type SqlClient } from '@streamlens/common';
import { openStore, storeTargetOptions } from '../store-target.js';

const FORMATS = ['Pretty', 'PrettyCompact', 'JSONEachRow', 'CSV', 'CSVWithNames', 'TabSeparated', 'TabSeparatedWithNames', 'Vertical', 'Markdown'] as const;

export const sqlOptions = {
  ...storeTargetOptions,
  format: opt.enum({ doc: 'output format', choices: FORMATS, default: 'PrettyCompact' }),
};

const HELP = formatHelp(
  'streamlens sql ["<query>"] [--data-dir DIR | --clickhouse-url URL] [--format FORMAT]',
  'Run ClickHouse SQL against the embedded store (default ./streamlens-data) or a ClickHouse server\n' +
  '(--clickhouse-url, or CLICKHOUSE_URL in the environment). The same queries work on both; see\n' +
  'docs/sql-cookbook.md. Without a query, opens an interactive prompt: end statements with `;`,\n' +
  'quit with Ctrl-D or `\\q`.',
  sqlOptions,
);

async function interactive(client: SqlClient, format: string): Promise<number> {
  const tty = process.stdin.isTTY;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: 'streamlens :) ' });
  if (tty) process.stdout.write(`connected to ${client.describe}; end statements with ;  (\\q to quit)\n`);
  let buffer = '';
  let failures = 0;
  const prompt = () => { if (tty) rl.setPrompt(buffer ? '          :-] ' : 'streamlens :) '); if (tty) rl.prompt(); };
  prompt();
  for await (const line of rl) {
    if (!buffer && /^\s*(\\q|quit|exit)\s*;?\s*$/i.test(line)) break;
    buffer += (buffer ? '\n' : '') + line;
    if (!/;\s*$/.test(buffer)) {
      prompt();
      continue;
    }
    const statement = buffer;
    buffer = '';
    try {
      process.stdout.write(await client.queryText(statement, format));
    } catch (err) {
      failures++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
    prompt();
  }
  if (buffer.trim()) {
    try {
      process.stdout.write(await client.queryText(buffer, format));
    } catch (err) {
      failures++;
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  return failures ? 1 : 0;
}

export const sqlCommand: Command = {
  summary: 'Run ClickHouse SQL against the embedded store or a server (no query: interactive prompt)',
  help: () => HELP,
  async run(argv) {
    const { config, positionals, help } = loadConfig(sqlOptions, { argv, allowPositionals: true });
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    const client = await openStore(config);
    try {
      if (positionals.length === 0) return await interactive(client, config.format);
      process.stdout.write(await client.queryText(positionals.join(' '), config.format));
      return 0;
    } finally {
      await client.close();
    }
  },
};

export default sqlCommand;
