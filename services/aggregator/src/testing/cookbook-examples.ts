/** The examples of docs/sql-cookbook.md, as the cookbook tests run them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
