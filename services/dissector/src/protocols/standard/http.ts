/**
 * HTTP/1.x: the agent decodes a request or status line (and Host) when a TCP
 * segment starts with one, into packet.http; this makes the app summary.
 * message = method, or "status reason"; code = status; server_name = Host;
 * version = HTTP/1.0 or HTTP/1.1. The URI stays in packet.http.
 */
import type { AppInfo, HttpInfo } from '@streamlens/common';
import { appInfo } from './app-info.js';

export const HTTP_PORTS: ReadonlySet<number> = new Set([80, 8000, 8080]);

export function httpApp(http: HttpInfo): AppInfo {
  const version = http.version || null;
  if (http.is_request) return appInfo('http', http.method, null, version, http.host || null);
  const message = http.reason ? `${http.status_code} ${http.reason}` : String(http.status_code);
  return appInfo('http', message, http.status_code, version, http.host || null);
}
