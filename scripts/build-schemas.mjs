#!/usr/bin/env node
// Regenerates the self-contained published .avsc files from schemas/avro/*.src.avsc.
// `--check` exits 1 when a published file is stale (used by the tests).
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPublishedSchemas, AVRO_SCHEMA_DIR } from '@streamlens/common';

const check = process.argv.includes('--check');
const { published, fileNames } = buildPublishedSchemas();
let stale = 0;
for (const [name, schema] of published) {
  const file = join(AVRO_SCHEMA_DIR, fileNames.get(name));
  const text = JSON.stringify(schema, null, 2) + '\n';
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current === text) continue;
  if (check) { console.error(`stale: ${file} (run npm run schemas)`); stale++; }
  else { writeFileSync(file, text); console.log(`wrote ${file}`); }
}
process.exit(stale ? 1 : 0);
