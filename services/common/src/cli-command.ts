/**
 * What every `streamlens <command>` implementation exports. Lives here so the
 * packages that implement commands (the services, the embedded mode, the local
 * dev stack) and the CLI that loads them lazily agree without depending on
 * each other.
 */
export interface Command {
  /** One line for `streamlens --help`. */
  summary: string;
  /** Full `streamlens <command> --help` text. */
  help(): string;
  /** Run with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
