/** The examples of docs/sql-cookbook.md, as the cookbook tests run them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlClient } from '@streamlens/common';

const COOKBOOK = fileURLToPath(new URL('../../../../docs/sql-cookbook.md', import.meta.url));

export interface Example {
  id: string;
  sql: string;
}

/** An `<!-- example: id -->` line, then a ```sql block. */
export function cookbookExamples(text = readFileSync(COOKBOOK, 'utf8')): Example[] {
  const out: Example[] = [];
  const re = /<!-- example: ([a-z0-9-]+) -->\s*```sql\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ id: m[1], sql: m[2].trim() });
  return out;
}

export type CookbookRow = Record<string, unknown>;

/**
 * Run `examples` on database `db` (their `streamlens.` becomes `db.`), each
 * checked by the function of its id; every example needs one and every check
 * an example. Errors name the example and the store.
 */
export async function runCookbookExamples(sql: SqlClient, db: string, examples: Example[],
  checks: Record<string, (rows: CookbookRow[]) => void>): Promise<void> {
  if (examples.map((e) => e.id).sort().join() !== Object.keys(checks).sort().join()) {
    throw new Error(`cookbook examples ${examples.map((e) => e.id).sort().join(', ')} do not match the checks ${Object.keys(checks).sort().join(', ')}`);
  }
  for (const ex of examples) {
    const query = ex.sql.replaceAll('streamlens.', `${db}.`);
    let rows: CookbookRow[];
    try {
      rows = await sql.query<CookbookRow>(query);
    } catch (err) {
      throw new Error(`cookbook example ${ex.id} failed on ${sql.describe}: ${(err as Error).message}`, { cause: err });
    }
    try {
      checks[ex.id](rows);
    } catch (err) {
      (err as Error).message = `cookbook example ${ex.id} on ${sql.kind}: ${(err as Error).message}`;
      throw err;
    }
  }
}
