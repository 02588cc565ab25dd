/**
 * IGMP (RFC 2236, 3376) from the type and group the agent decoded:
 * message = type name, code = type, detail = the group address when set.
 */
import type { AppInfo, IgmpInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

const IGMP_TYPES: Record<number, string> = {
  0x11: 'Membership Query', 0x12: 'v1 Membership Report', 0x16: 'v2 Membership Report',
  0x17: 'Leave Group', 0x22: 'v3 Membership Report',
};

export function igmpApp(igmp: IgmpInfo): AppInfo {
  const g = igmp.group;
  const group = g && g.length === 4 && (g[0] | g[1] | g[2] | g[3]) !== 0 ? `group=${g[0]}.${g[1]}.${g[2]}.${g[3]}` : null;
  return appInfo('igmp', IGMP_TYPES[igmp.type] ?? `Type 0x${igmp.type.toString(16)}`, igmp.type, null, null, group);
}
