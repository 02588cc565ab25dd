/**
 * The capture interface a replayed frame is attributed to, which with the
 * agent id makes its capture point (the unit of flows, windows, watermarks
 * and stream health). A pcapng file names its interfaces (if_name); a pcap
 * file, or a pcapng interface without a name, takes the file's base name
 * (with `#<index>` for interfaces after the first). Two unrelated captures
 * thus never share a capture point (their clocks may be years apart), and a
 * file replays under the same name wherever it is replayed. `override` (one
 * name for every frame, e.g. for the rotated files of one capture) wins.
 */
import { basename } from 'node:path';
import type { CaptureInterfaceInfo } from './raw-frame.js';

export function replayInterfaceName(file: string, iface: CaptureInterfaceInfo | undefined, override?: string): string {
  if (override) return override;
  if (iface?.name) return iface.name;
  const index = iface?.index ?? 0;
  return index === 0 ? basename(file) : `${basename(file)}#${index}`;
}
