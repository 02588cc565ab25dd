/**
 * The Avro contracts live as .avsc files in schemas/avro/ at the repository
 * root. Source files (*.src.avsc) refer to shared named types; the published
 * files (*.avsc without .src) are self-contained so that a consumer in any
 * language can decode a topic with one file. `npm run schemas` regenerates the
 * published files and a test fails when they are stale.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export type AvroSchema = Record<string, unknown>;

/** schemas/avro at the repository root (same depth from src/ and dist/). */
export const AVRO_SCHEMA_DIR = fileURLToPath(new URL('../../../../schemas/avro/', import.meta.url));

/**
 * Topic schemas: the message value of each topic, by full name. `npm run
 * schemas` keeps every published version of these in schemas/avro/history.
 */
export const TOPIC_SCHEMAS = {
  packets: 'io.streamlens.v1.PacketBatch',
  enriched: 'io.streamlens.v1.EnrichedBatch',
  alerts: 'io.streamlens.v1.AlertRecord',
} as const;

function readJson(path: string): AvroSchema {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AvroSchema;
  } catch (err) {
    throw new Error(`cannot read Avro schema ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function fullName(schema: AvroSchema, ns?: string): string {
  const name = schema.name as string;
  if (name.includes('.')) return name;
  const n = (schema.namespace as string | undefined) ?? ns;
  return n ? `${n}.${name}` : name;
}

/** Every named record/enum/fixed defined anywhere in a schema, by full name. */
function collectNamed(schema: unknown, ns: string | undefined, out: Map<string, AvroSchema>): void {
  if (Array.isArray(schema)) {
    for (const s of schema) collectNamed(s, ns, out);
    return;
  }
  if (schema === null || typeof schema !== 'object') return;
  const s = schema as AvroSchema;
  if (s.type === 'record' || s.type === 'error' || s.type === 'enum' || s.type === 'fixed') {
    const fn = fullName(s, ns);
    out.set(fn, s);
    const childNs = fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : undefined;
    if (Array.isArray(s.fields)) for (const f of s.fields as AvroSchema[]) collectNamed(f.type, childNs, out);
    return;
  }
  if (s.type === 'array') collectNamed(s.items, ns, out);
  if (s.type === 'map') collectNamed(s.values, ns, out);
  if (typeof s.type === 'object') collectNamed(s.type, ns, out);
}

/**
 * Replace the first reference to each shared named type with its definition,
 * so the result stands alone. Later references stay names, as Avro requires.
 */
function inline(schema: unknown, shared: Map<string, AvroSchema>, defined: Set<string>): unknown {
  if (typeof schema === 'string') {
    const def = shared.get(schema);
    if (def && !defined.has(schema)) {
      defined.add(schema);
      return inline(def, shared, defined);
    }
    return schema;
  }
  if (Array.isArray(schema)) return schema.map((s) => inline(s, shared, defined));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as AvroSchema;
  const out: AvroSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'fields' && Array.isArray(v)) {
      out.fields = (v as AvroSchema[]).map((f) => ({ ...f, type: inline(f.type, shared, defined) }));
    } else if (k === 'items' || k === 'values' || (k === 'type' && typeof v === 'object')) {
      out[k] = inline(v, shared, defined);
    } else {
      out[k] = v;
    }
  }
  if (s.name !== undefined && (s.type === 'record' || s.type === 'enum' || s.type === 'fixed')) {
    defined.add(fullName(s));
  }
  return out;
}

export interface SchemaSet {
  /** Self-contained topic and shared schemas, by full name. */
  published: Map<string, AvroSchema>;
  /** File name (without directory) each published schema is written to. */
  fileNames: Map<string, string>;
}

/** Build the self-contained schemas from the source files in `dir`. */
export function buildPublishedSchemas(dir: string = AVRO_SCHEMA_DIR): SchemaSet {
  const files = readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort();
  const sources = files.filter((f) => f.endsWith('.src.avsc'));
  const shared = new Map<string, AvroSchema>();
  const published = new Map<string, AvroSchema>();
  const fileNames = new Map<string, string>();
  // Plain .avsc files that are not generated from a .src.avsc are shared building blocks.
  const generated = new Set(sources.map((f) => f.replace('.src.avsc', '.avsc')));
  for (const f of files) {
    if (f.endsWith('.src.avsc') || generated.has(f)) continue;
    const s = readJson(join(dir, f));
    collectNamed(s, undefined, shared);
    published.set(fullName(s), s);
    fileNames.set(fullName(s), f);
  }
  // Source files may refer to each other (the enriched record embeds the packet record).
  const srcSchemas = sources.map((f) => [f, readJson(join(dir, f))] as const);
  for (const [, s] of srcSchemas) collectNamed(s, undefined, shared);
  for (const [f, s] of srcSchemas) {
    const own = new Set<string>();
    collectNamed(s, undefined, new Map()); // validates shape
    const standalone = inline(s, shared, own) as AvroSchema;
    published.set(fullName(s), standalone);
    fileNames.set(fullName(s), f.replace('.src.avsc', '.avsc'));
  }
  return { published, fileNames };
}

/** Read a published (self-contained) schema file by full name. */
export function readPublishedSchema(name: string, dir: string = AVRO_SCHEMA_DIR): AvroSchema {
  const set = buildPublishedSchemas(dir);
  const s = set.published.get(name);
  if (!s) throw new Error(`no Avro schema named ${name} in ${dir}`);
  return s;
}

/** schemas/avro/history: every published version of the topic schemas, `<Name>.<fingerprint>.avsc`. */
export const AVRO_HISTORY_DIR = join(AVRO_SCHEMA_DIR, 'history');

/**
 * Every earlier published version of the topic schemas. Messages written by
 * an older agent or dissector still decode after an upgrade: the codec
 * resolves them to the current schema (Avro schema resolution), and a test
 * fails if a change makes an old version unresolvable.
 */
export function readSchemaHistory(dir: string = AVRO_HISTORY_DIR): AvroSchema[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort();
  } catch {
    return [];
  }
  return files.map((f) => readJson(join(dir, f)));
}
