/** `streamlens`: the single entry point for every service and the embedded mode. */
import { COMMANDS } from './registry.js';
import { VERSION } from './version.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `streamlens ${VERSION}: network traffic to queryable flow history`,
    '',
    'usage: streamlens <command> [options]      streamlens <command> --help',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`streamlens: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help());
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const e = err as Error & { code?: string };
    process.stderr.write(`streamlens: ${e?.message ?? String(err)}\n`);
    if (process.env.STREAMLENS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    // 64 (EX_USAGE) for configuration mistakes: supervisors (systemd, Kubernetes) should not restart on those.
    const usage = e?.name === 'ConfigError' || e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
    process.exitCode = usage ? 64 : 1;
  },
);
