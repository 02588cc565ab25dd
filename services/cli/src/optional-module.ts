import type { Command } from '@streamlens/common';

/**
 * Load a command from a workspace package that an agent-only install does not
 * have (the embedded engine, the local dev stack). The name is a variable so
 * the CLI build does not depend on those packages.
 */
export async function loadOptionalCommand(pkg: string, exportName: string, why: string): Promise<Command> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(pkg)) {
      throw new Error(`${why} needs ${pkg}, which this install does not have: run \`npm ci\` in the repository (the full install)`, { cause: err });
    }
    throw err;
  }
  const command = mod[exportName] as Command | undefined;
  if (!command || typeof command.run !== 'function') throw new Error(`${pkg} does not export the command ${exportName}`);
  return command;
}
