/**
 * The commands that read results (`sql`, `netflow export`, `health`) read
 * either the embedded store a `streamlens analyze` wrote or a ClickHouse
 * server; these are their shared options and the one way to open either.
 */
import { clickhouseAuthOptions, opt, serverClientOf, type SqlClient } from '@streamlens/common';

export const storeTargetOptions = {
  dataDir: opt.string({ doc: 'embedded store to read (the directory `streamlens analyze` wrote)', default: './streamlens-data', env: 'STREAMLENS_DATA_DIR', placeholder: 'DIR' }),
  clickhouseUrl: opt.string({ doc: 'read this ClickHouse server instead of the embedded store (http(s)://[user:password@]host:port)', env: 'CLICKHOUSE_URL', placeholder: 'URL' }),
  ...clickhouseAuthOptions,
  database: opt.string({ doc: 'database (also the default for unqualified table names)', default: 'streamlens', env: 'STREAMLENS_DATABASE' }),
};

export interface StoreTarget {
  dataDir: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseTlsCa?: string;
  database: string;
}

/** A server client when a URL is given (credentials moved out of the URL), else the embedded store, which must exist. */
export async function openStore(c: StoreTarget): Promise<SqlClient> {
  if (c.clickhouseUrl) {
    return serverClientOf({ ...c, clickhouseUrl: c.clickhouseUrl }, { database: c.database });
  }
  const name = '@streamlens/embedded';
  let mod: { openEmbeddedStore(dir: string, opts: { database: string; mustExist: boolean }): Promise<SqlClient> };
  try {
    mod = await import(name);
  } catch (err) {
    throw new Error(`reading an embedded store needs the full install (npm ci); or pass --clickhouse-url (${(err as Error).message})`, { cause: err });
  }
  return mod.openEmbeddedStore(c.dataDir, { database: c.database, mustExist: true });
}
