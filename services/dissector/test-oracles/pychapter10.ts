/**
 * Test helper: runs ch10_dump.py (pychapter10, the independent oracle) on a
 * Chapter 10 file and returns its JSON. `oracleMissing()` says why it cannot
 * run; CI installs it (`python3 -m pip install pychapter10`), so there a
 * missing oracle fails instead of skipping.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'ch10_dump.py');

export interface OraclePacket {
  offset: number;
  channel_id: number;
  packet_length: number;
  data_length: number;
  data_type_version: number;
  seq: number;
  flags: number;
  data_type: number;
  rtc: number;
  header_checksum_ok: boolean;
  csdw_count?: number;
  messages?: number;
  messages_error?: string;
  time?: { time_format: number; time_source: number; date_format: number; leap: number; day_of_year: number;
    month: number; day: number; year: number; hms_ms: string };
  tmats?: { version: number; text: string; attributes: Record<string, string> };
}

let missing: string | null | undefined;

/** null when python3 and pychapter10 are available, else the reason. */
export function oracleMissing(): string | null {
  if (missing !== undefined) return missing;
  const r = spawnSync('python3', ['-c', 'import chapter10'], { encoding: 'utf8' });
  if (r.error) missing = `python3 is not available (${r.error.message})`;
  else if (r.status !== 0) missing = 'pychapter10 is not installed: python3 -m pip install pychapter10';
  else missing = null;
  if (missing && process.env.CI) throw new Error(`the Chapter 10 oracle is required in CI: ${missing}`);
  return missing;
}

export function pychapter10Dump(file: string): OraclePacket[] {
  const out = execFileSync('python3', [SCRIPT, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return (JSON.parse(out) as { packets: OraclePacket[] }).packets;
}
