import type { AppInfo } from '@streamlens/common';

/** An AppInfo with every field present (the Avro record has no optional fields in code). */
export function appInfo(
  protocol: string,
  message: string,
  code: number | null = null,
  version: string | null = null,
  serverName: string | null = null,
  detail: string | null = null,
): AppInfo {
  return { protocol, message, server_name: serverName, version, code, detail };
}
