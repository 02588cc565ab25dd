/**
 * ClickHouse connection options shared by every command that talks to a
 * server (aggregator, migrate, sql, netflow export, health): credentials
 * (besides or instead of those in the URL) and, for https URLs, the CA that
 * signed the server's certificate when it is not one the system trusts; and
 * the one way to open a client from them. (Certificate authentication, where
 * ClickHouse maps a client certificate to a user, is not offered: user and
 * password over https is what the services use.)
 */
import { readFileSync } from 'node:fs';
import { opt } from '../config/options.js';
import { ConfigError } from '../config/load-config.js';
import { ServerSqlClient, type ServerClientOptions } from './server-client.js';

export const clickhouseAuthOptions = {
  clickhouseUser: opt.string({ doc: 'ClickHouse user (default: the URL\'s, else "default")', env: 'STREAMLENS_CLICKHOUSE_USER' }),
  clickhousePassword: opt.string({ doc: 'ClickHouse password (default: the URL\'s)', secret: true, env: 'STREAMLENS_CLICKHOUSE_PASSWORD' }),
  clickhouseTlsCa: opt.string({ doc: 'PEM file of the CA that signed the server\'s certificate, for an https URL (default: the system CAs)', placeholder: 'FILE' }),
};

export interface ClickHouseConnection {
  clickhouseUrl: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseTlsCa?: string;
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`--${option}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The client options of a connection: credentials moved out of the URL, the CA file read. Throws ConfigError. */
export function serverClientOptionsOf(c: ClickHouseConnection): ServerClientOptions {
  let u: URL;
  try {
    u = new URL(c.clickhouseUrl);
  } catch {
    throw new ConfigError(`--clickhouse-url: not a URL: ${c.clickhouseUrl}`);
  }
  const username = c.clickhouseUser ?? (decodeURIComponent(u.username) || undefined);
  const password = c.clickhousePassword ?? (decodeURIComponent(u.password) || undefined);
  u.username = '';
  u.password = '';
  const options: ServerClientOptions = { url: u.toString(), username, password };
  if (c.clickhouseTlsCa) {
    if (u.protocol !== 'https:') throw new ConfigError('--clickhouse-tls-ca needs an https:// --clickhouse-url');
    options.tls = { caCert: readPem(c.clickhouseTlsCa, 'clickhouse-tls-ca') };
  }
  return options;
}

export function serverClientOf(c: ClickHouseConnection, extra: Partial<ServerClientOptions> = {}): ServerSqlClient {
  return new ServerSqlClient({ ...serverClientOptionsOf(c), ...extra });
}
