/** What every `streamlens <command>` module exports. */
export interface Command {
  /** One line for `streamlens --help`. */
  summary: string;
  /** Full `streamlens <command> --help` text. */
  help(): string;
  /** Run with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  name: string;
  summary: string;
  /** False while the command's issue has not landed (it then says so and exits 2). */
  available: boolean;
  /** Loaded lazily: a host without the embedded engine can still run the agent. */
  load(): Promise<Command>;
}
