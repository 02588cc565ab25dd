#!/usr/bin/env node
// Regenerates the self-contained published .avsc files from schemas/avro/*.src.avsc,
// and keeps every published version of the topic schemas in schemas/avro/history
// (<Name>.<fingerprint>.avsc) so readers can still decode what older writers sent.
// `--check` exits 1 when a published or history file is missing or stale (used by the tests).
import { writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AVRO_HISTORY_DIR, AVRO_SCHEMA_DIR, AvroCodec, TOPIC_SCHEMAS, buildPublishedSchemas } from '@streamlens/common';

const check = process.argv.includes('--check');
const { published, fileNames } = buildPublishedSchemas();
let stale = 0;
function want(file, text) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current === text) return;
  if (check) { console.error(`stale or missing: ${file} (run npm run schemas)`); stale++; }
  else { writeFileSync(file, text); console.log(`wrote ${file}`); }
}
for (const [name, schema] of published) want(join(AVRO_SCHEMA_DIR, fileNames.get(name)), JSON.stringify(schema, null, 2) + '\n');
// History: the topic schemas as published now, under their fingerprint.
const codec = new AvroCodec(published.values());
if (!check) mkdirSync(AVRO_HISTORY_DIR, { recursive: true });
for (const name of Object.values(TOPIC_SCHEMAS)) {
  if (!published.has(name)) continue;
  const short = name.slice(name.lastIndexOf('.') + 1);
  want(join(AVRO_HISTORY_DIR, `${short}.${codec.fingerprint(name)}.avsc`), JSON.stringify(published.get(name), null, 2) + '\n');
}
process.exit(stale ? 1 : 0);
