import type { Command } from '@streamlens/common';

export type { Command };

export interface CommandEntry {
  name: string;
  summary: string;
  /** False while the command's issue has not landed (it then says so and exits 2). */
  available: boolean;
  /** Loaded lazily: a host without the embedded engine can still run the agent. */
  load(): Promise<Command>;
}
