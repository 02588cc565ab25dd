/**
 * A compiled Avro reader that materialises only some fields.
 *
 * The aggregator reads ~20 of the hundreds of fields of an enriched record.
 * Schema resolution in avsc still walks every skipped field through generic
 * code; this compiles the writer schema into one JavaScript function that
 * reads the wanted fields into objects of a fixed shape and skips the rest
 * with the cheapest moves the encoding allows (a block of an array written
 * with its byte size is jumped over whole). Longs become numbers (exact below
 * 2^53, as in avsc) except `timestamp-nanos`, which becomes a bigint; bytes
 * are views into the message (valid while it is).
 *
 * Malformed input (a length past the end, a bad union branch, a read that
 * ends anywhere but at the end of the body) throws ProjectionError.
 */
import type { AvroSchema } from '@streamlens/common';

export class ProjectionError extends Error {
  override name = 'ProjectionError';
}

/** Fields to materialise, by record name (short or full); records not listed are read whole. */
export type ProjectionKeep = Record<string, readonly string[]>;

type Schema = string | AvroSchema | Schema[];

interface Gen {
  /** Named types seen so far (full name → schema). */
  named: Map<string, AvroSchema>;
  /** Generated function names for read / skip of named types. */
  readFns: Map<string, string>;
  skipFns: Map<string, string>;
  code: string[];
  consts: unknown[];
  keep: ProjectionKeep;
  counter: number;
  /**
   * Take record objects, arrays and 4/16-byte buffers from pools that are
   * rewound at the start of every read, instead of allocating them.
   */
  reuse: boolean;
  /** Names of the pool counters (reset at the start of a read). */
  pools: string[];
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function fullName(s: AvroSchema, ns: string | undefined): string {
  const name = String(s.name);
  if (name.includes('.')) return name;
  const n = (s.namespace as string | undefined) ?? ns;
  return n ? `${n}.${name}` : name;
}

function nsOf(full: string): string | undefined {
  const i = full.lastIndexOf('.');
  return i > 0 ? full.slice(0, i) : undefined;
}

function constRef(g: Gen, value: unknown): string {
  g.consts.push(value);
  return `C[${g.consts.length - 1}]`;
}

/** Register named types (records, enums, fixed) in order of definition. */
function resolveName(g: Gen, name: string, ns: string | undefined): AvroSchema {
  const candidates = name.includes('.') ? [name] : [ns ? `${ns}.${name}` : name, name];
  for (const c of candidates) {
    const s = g.named.get(c);
    if (s) return s;
  }
  throw new ProjectionError(`unknown named type ${name}`);
}

/** An expression that reads a value of schema `s`. */
function readExpr(g: Gen, s: Schema, ns: string | undefined): string {
  if (typeof s === 'string') {
    if (PRIMITIVES.has(s)) return primitiveRead(s, g);
    return `${ensureNamed(g, resolveName(g, s, ns), ns, 'read')}()`;
  }
  if (Array.isArray(s)) {
    const branches = s.map((b) => readExpr(g, b, ns));
    const fn = `u${g.counter++}`;
    g.code.push(`function ${fn}() { switch (long()) { ${branches.map((b, i) => `case ${i}: return ${b};`).join(' ')} default: bad('union branch'); } }`);
    return `${fn}()`;
  }
  switch (s.type) {
    case 'record': case 'error': case 'enum': case 'fixed':
      return `${ensureNamed(g, s, ns, 'read')}()`;
    case 'array': {
      const fn = `a${g.counter++}`;
      let init = 'const out = [];';
      if (g.reuse) {
        // Items are written by index and the length set once at the end: `out.length = 0` would free the
        // array's backing store, and every read would allocate it again as it grows.
        const p = newPool(g);
        init = `let out = ${p.store}[${p.counter}]; if (out === undefined) { out = []; ${p.store}[${p.counter}] = out; } ${p.counter}++;`;
      }
      g.code.push(`function ${fn}() { ${init} let k = 0; let n = long(); while (n !== 0) { if (n < 0) { n = -n; long(); } ` +
        `for (let i = 0; i < n; i++) { if (pos > end) bad('array'); out[k++] = ${readExpr(g, s.items as Schema, ns)}; } n = long(); } ` +
        `if (out.length !== k) out.length = k; return out; }`);
      return `${fn}()`;
    }
    case 'map': {
      const fn = `m${g.counter++}`;
      g.code.push(`function ${fn}() { const out = {}; let n = long(); while (n !== 0) { if (n < 0) { n = -n; long(); } ` +
        `for (let i = 0; i < n; i++) { if (pos > end) bad('map'); const k = str(); out[k] = ${readExpr(g, s.values as Schema, ns)}; } n = long(); } return out; }`);
      return `${fn}()`;
    }
    default:
      if (s.type === 'long' && s.logicalType === 'timestamp-nanos') return 'bigLong()';
      if (typeof s.type === 'string' && PRIMITIVES.has(s.type)) return primitiveRead(s.type, g);
      return readExpr(g, s.type as Schema, ns);
  }
}

/** A statement that skips a value of schema `s`. */
function skipStmt(g: Gen, s: Schema, ns: string | undefined): string {
  if (typeof s === 'string') {
    if (PRIMITIVES.has(s)) return primitiveSkip(s);
    return `${ensureNamed(g, resolveName(g, s, ns), ns, 'skip')}();`;
  }
  if (Array.isArray(s)) {
    const fn = `su${g.counter++}`;
    g.code.push(`function ${fn}() { switch (long()) { ${s.map((b, i) => `case ${i}: ${skipStmt(g, b, ns)} return;`).join(' ')} default: bad('union branch'); } }`);
    return `${fn}();`;
  }
  switch (s.type) {
    case 'record': case 'error': case 'enum': case 'fixed':
      return `${ensureNamed(g, s, ns, 'skip')}();`;
    case 'array': case 'map': {
      const fn = `sa${g.counter++}`;
      const item = s.type === 'array' ? skipStmt(g, s.items as Schema, ns) : `skipBytes(); ${skipStmt(g, s.values as Schema, ns)}`;
      g.code.push(`function ${fn}() { let n = long(); while (n !== 0) { if (n < 0) { long(); const size = long(); jump(size); } ` +
        `else { for (let i = 0; i < n; i++) { if (pos > end) bad('array'); ${item} } } n = long(); } }`);
      return `${fn}();`;
    }
    default:
      if (typeof s.type === 'string' && PRIMITIVES.has(s.type)) return primitiveSkip(s.type);
      return skipStmt(g, s.type as Schema, ns);
  }
}

function newPool(g: Gen): { store: string; counter: string } {
  const counter = `p${g.counter++}`;
  g.pools.push(counter);
  return { store: constRef(g, []), counter };
}

function primitiveRead(t: string, g?: Gen): string {
  if (t === 'bytes' && g?.reuse) {
    const p4 = newPool(g);
    const p16 = newPool(g);
    return `bytesPooled(${p4.store}, ${p4.counter}++, ${p16.store}, ${p16.counter}++)`;
  }
  switch (t) {
    case 'null': return 'null';
    case 'boolean': return '(buf[pos++] === 1)';
    // the one-byte case (most values: flags, small counts, ports below 64) inline, the rest in long()
    case 'int': case 'long': return '((t = buf[pos]) < 0x80 ? (pos++, (t >>> 1) ^ -(t & 1)) : long())';
    case 'float': return 'f32()';
    case 'double': return 'f64()';
    case 'bytes': return 'bytes()';
    case 'string': return 'str()';
  }
  throw new ProjectionError(`unknown primitive ${t}`);
}

function primitiveSkip(t: string): string {
  switch (t) {
    case 'null': return '';
    case 'boolean': return 'pos++;';
    case 'int': case 'long': return 'if (buf[pos++] >= 0x80) skipVarint();';
    case 'float': return 'pos += 4;';
    case 'double': return 'pos += 8;';
    case 'bytes': case 'string': return 'skipBytes();';
  }
  throw new ProjectionError(`unknown primitive ${t}`);
}

/** Function name that reads (or skips) the named type `s`, generating it once. */
function ensureNamed(g: Gen, s: AvroSchema, ns: string | undefined, mode: 'read' | 'skip'): string {
  const full = fullName(s, ns);
  if (!g.named.has(full)) g.named.set(full, s);
  const table = mode === 'read' ? g.readFns : g.skipFns;
  const have = table.get(full);
  if (have) return have;
  const fn = `${mode === 'read' ? 'r' : 's'}${g.counter++}`;
  table.set(full, fn);
  const childNs = nsOf(full);
  if (s.type === 'enum') {
    const symbols = constRef(g, s.symbols);
    g.code.push(mode === 'read'
      ? `function ${fn}() { const i = long(); const v = ${symbols}[i]; if (v === undefined) bad('enum index'); return v; }`
      : `function ${fn}() { skipVarint(); }`);
    return fn;
  }
  if (s.type === 'fixed') {
    const size = Number(s.size);
    g.code.push(mode === 'read' ? `function ${fn}() { return fixed(${size}); }` : `function ${fn}() { jump(${size}); }`);
    return fn;
  }
  const fields = (s.fields as AvroSchema[]) ?? [];
  // register nested named types in definition order before generating bodies that refer to them
  for (const f of fields) registerNamed(g, f.type as Schema, childNs);
  if (mode === 'skip') {
    g.code.push(`function ${fn}() { ${fields.map((f) => skipStmt(g, f.type as Schema, childNs)).join(' ')} }`);
    return fn;
  }
  const keep = g.keep[full] ?? g.keep[String(s.name).slice(String(s.name).lastIndexOf('.') + 1)];
  const lines: string[] = [];
  const props: string[] = [];
  fields.forEach((f, i) => {
    const name = String(f.name);
    if (keep && !keep.includes(name)) {
      lines.push(skipStmt(g, f.type as Schema, childNs));
      return;
    }
    lines.push(`const v${i} = ${readExpr(g, f.type as Schema, childNs)};`);
    props.push(`${JSON.stringify(name)}: v${i}`);
  });
  if (keep) {
    const missing = keep.filter((k) => !fields.some((f) => f.name === k));
    if (missing.length) throw new ProjectionError(`record ${full} has no field(s) ${missing.join(', ')}`);
  }
  if (g.reuse) {
    // objects of one shape, created on first use and rewritten by later reads
    const p = newPool(g);
    const sets = props.map((prop) => `o[${prop.slice(0, prop.indexOf(':'))}] = ${prop.slice(prop.indexOf(':') + 2)};`).join(' ');
    g.code.push(`function ${fn}() { ${lines.join(' ')} let o = ${p.store}[${p.counter}]; ` +
      `if (o === undefined) { o = { ${props.join(', ')} }; ${p.store}[${p.counter}] = o; } else { ${sets} } ${p.counter}++; return o; }`);
  } else {
    g.code.push(`function ${fn}() { ${lines.join(' ')} return { ${props.join(', ')} }; }`);
  }
  return fn;
}

function registerNamed(g: Gen, s: Schema, ns: string | undefined): void {
  if (typeof s === 'string') return;
  if (Array.isArray(s)) {
    for (const b of s) registerNamed(g, b, ns);
    return;
  }
  if (s.type === 'record' || s.type === 'error' || s.type === 'enum' || s.type === 'fixed') {
    const full = fullName(s, ns);
    if (!g.named.has(full)) {
      g.named.set(full, s);
      if (Array.isArray(s.fields)) for (const f of s.fields as AvroSchema[]) registerNamed(g, f.type as Schema, nsOf(full));
    }
    return;
  }
  if (s.type === 'array') registerNamed(g, s.items as Schema, ns);
  else if (s.type === 'map') registerNamed(g, s.values as Schema, ns);
  else if (typeof s.type === 'object') registerNamed(g, s.type as Schema, ns);
}

const RUNTIME = `
  let buf, pos, end;
  let t = 0;
  const EMPTY = Buffer.alloc(0);
  function bad(what) { throw new ProjectionError('malformed Avro body: bad ' + what + ' at byte ' + pos); }
  function long() {
    let b = buf[pos++];
    let n = b & 0x7f;
    if (b < 0x80) return (n >>> 1) ^ -(n & 1);
    let k = 7;
    do { b = buf[pos++]; n |= (b & 0x7f) << k; k += 7; } while (b >= 0x80 && k < 28);
    if (b < 0x80) return (n >>> 1) ^ -(n & 1);
    let f = n >>> 0;
    let fk = 268435456;
    do { b = buf[pos++]; if (b === undefined) bad('varint'); f += (b & 0x7f) * fk; fk *= 128; } while (b >= 0x80);
    return f % 2 ? -(f + 1) / 2 : f / 2;
  }
  function bigLong() {
    let n = 0n, shift = 0n, b;
    do { b = buf[pos++]; if (b === undefined) bad('varint'); n |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b >= 0x80);
    return (n >> 1n) ^ -(n & 1n);
  }
  function skipVarint() { while (buf[pos++] >= 0x80); }
  function len() { const n = long(); if (n < 0 || pos + n > end) bad('length'); return n; }
  // Short strings repeat (frame types, protocol names, agent ids): a small cache keyed by a
  // hash of the bytes, checked byte for byte, returns the same string object without decoding.
  const cacheStr = new Array(1024);
  const cacheBytes = new Array(1024);
  function str() {
    const n = len();
    if (n === 0) return '';
    if (n > 32) { const s = buf.utf8Slice(pos, pos + n); pos += n; return s; }
    let h = n;
    for (let i = pos; i < pos + n; i++) h = Math.imul(h ^ buf[i], 16777619);
    const slot = (h ^ (h >>> 15)) & 1023;
    const cached = cacheBytes[slot];
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) if (cached[i] !== buf[pos + i]) { same = false; break; }
      if (same) { pos += n; return cacheStr[slot]; }
    }
    const s = buf.utf8Slice(pos, pos + n);
    cacheBytes[slot] = Uint8Array.prototype.slice.call(buf, pos, pos + n);
    cacheStr[slot] = s;
    pos += n;
    return s;
  }
  function bytes() { const n = len(); const b = buf.subarray(pos, pos + n); pos += n; return b; }
  // addresses into pooled 4- and 16-byte buffers; other lengths as views
  function bytesPooled(pool4, i4, pool16, i16) {
    const n = len();
    if (n === 4) {
      let b = pool4[i4]; if (b === undefined) { b = Buffer.alloc(4); pool4[i4] = b; }
      b[0] = buf[pos]; b[1] = buf[pos + 1]; b[2] = buf[pos + 2]; b[3] = buf[pos + 3]; pos += 4; return b;
    }
    if (n === 16) {
      let b = pool16[i16]; if (b === undefined) { b = Buffer.alloc(16); pool16[i16] = b; }
      buf.copy(b, 0, pos, pos + 16); pos += 16; return b;
    }
    if (n === 0) return EMPTY;
    const b = buf.subarray(pos, pos + n); pos += n; return b;
  }
  function fixed(n) { if (pos + n > end) bad('fixed'); const b = buf.subarray(pos, pos + n); pos += n; return b; }
  function skipBytes() { const n = len(); pos += n; }
  function jump(n) { if (n < 0 || pos + n > end) bad('block size'); pos += n; }
  function f32() { const v = buf.readFloatLE(pos); pos += 4; return v; }
  function f64() { const v = buf.readDoubleLE(pos); pos += 8; return v; }
`;

export type ProjectionReader<T> = (body: Buffer) => T;

export interface ProjectionOptions {
  /**
   * Reuse objects instead of allocating them: records, arrays and 4/16-byte
   * byte values (addresses) come from pools rewound by every read, so what a
   * read returns is valid only until the next read. A read still decodes the
   * whole body before returning, so a malformed message yields nothing.
   */
  reuse?: boolean;
}

/** Compile a reader of `schema` (self-contained, as published) that keeps only `keep`'s fields. */
export function compileProjection<T>(schema: AvroSchema, keep: ProjectionKeep, options: ProjectionOptions = {}): ProjectionReader<T> {
  const g: Gen = { named: new Map(), readFns: new Map(), skipFns: new Map(), code: [], consts: [], keep, counter: 0, reuse: options.reuse ?? false, pools: [] };
  registerNamed(g, schema, undefined);
  const root = ensureNamed(g, schema, undefined, 'read');
  const counters = g.pools.length ? `let ${g.pools.map((p) => `${p} = 0`).join(', ')};` : '';
  const rewind = g.pools.map((p) => `${p} = 0;`).join(' ');
  const source = `${RUNTIME}\n${counters}\n${g.code.join('\n')}\n` +
    `return function read(b) { buf = b; pos = 0; end = b.length; ${rewind} const v = ${root}(); ` +
    `if (pos !== end) bad('length of the body (' + end + ' bytes)'); buf = undefined; return v; };`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('C', 'ProjectionError', source)(g.consts, ProjectionError) as ProjectionReader<T>;
}
