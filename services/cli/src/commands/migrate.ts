import { parseArgs } from 'node:util';
import { migrate, ServerSqlClient } from '@streamlens/common';
import type { Command } from '../command.js';

const HELP = `streamlens migrate [--clickhouse-url URL] [--database NAME]

Create the ClickHouse database and apply every migration in schemas/clickhouse
that it does not have yet (idempotent; recorded in <database>.schema_migrations).

  --clickhouse-url URL   server HTTP URL (env CLICKHOUSE_URL; default http://127.0.0.1:8123)
  --database NAME        database (env STREAMLENS_DATABASE; default streamlens)
  --help                 this text
`;

const command: Command = {
  summary: 'Create or upgrade the ClickHouse schema',
  help: () => HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { 'clickhouse-url': { type: 'string' }, database: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const url = values['clickhouse-url'] ?? process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
    const database = values.database ?? process.env.STREAMLENS_DATABASE ?? 'streamlens';
    const client = new ServerSqlClient({ url });
    try {
      const r = await migrate(client, database);
      process.stdout.write(`${client.describe}: database ${database}: applied ${r.applied.length ? r.applied.join(', ') : 'nothing'}` +
        `${r.alreadyApplied.length ? ` (${r.alreadyApplied.length} already applied)` : ''}\n`);
      return 0;
    } finally {
      await client.close();
    }
  },
};
export default command;
