import type { Command } from '../command.js';

/**
 * A command whose issue has not landed: it says so on stderr and exits 2. It
 * never pretends to work.
 */
export function notYetAvailable(name: string, summary: string, issue: string): Command {
  const message = `streamlens ${name}: not available yet (${issue}). Nothing was done.`;
  return {
    summary,
    help: () => `${summary}\n\n${message}\n`,
    run: async () => {
      process.stderr.write(`${message}\n`);
      return 2;
    },
  };
}
