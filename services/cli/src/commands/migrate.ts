import { clickhouseAuthOptions, formatHelp, loadConfig, migrate, opt, serverClientOf } from '@streamlens/common';
import type { Command } from '../command.js';

const options = {
  clickhouseUrl: opt.string({ doc: 'ClickHouse server HTTP(S) URL', default: 'http://127.0.0.1:8123', env: 'STREAMLENS_CLICKHOUSE_URL', envAliases: ['CLICKHOUSE_URL'], placeholder: 'URL' }),
  ...clickhouseAuthOptions,
  database: opt.string({ doc: 'database to create or upgrade', default: 'streamlens', env: 'STREAMLENS_DATABASE' }),
};

const HELP = formatHelp(
  'streamlens migrate [--clickhouse-url URL] [--database NAME]',
  'Create the ClickHouse database and apply every migration in schemas/clickhouse that it does not have yet\n' +
  '(idempotent; recorded in <database>.schema_migrations). ClickHouse 23.8 or later.',
  options,
);

const command: Command = {
  summary: 'Create or upgrade the ClickHouse schema',
  help: () => HELP,
  async run(argv) {
    const { config: c, help } = loadConfig(options, { argv });
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    const client = serverClientOf(c);
    try {
      const r = await migrate(client, c.database);
      process.stdout.write(`${client.describe}: database ${c.database}: applied ${r.applied.length ? r.applied.join(', ') : 'nothing'}` +
        `${r.alreadyApplied.length ? ` (${r.alreadyApplied.length} already applied)` : ''}\n`);
      return 0;
    } finally {
      await client.close();
    }
  },
};
export default command;
