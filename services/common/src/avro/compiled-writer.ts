/**
 * Avro binary writers compiled from a schema: one JavaScript function per
 * record (per place it occurs in the schema) that writes the encoding
 * straight into a reused buffer. The bytes are identical to avsc's (the tests
 * compare them on many random values of every published schema and on real
 * captures); it exists because the capture agent and the dissector encode
 * millions of records a second and avsc's generic writer (Tap objects, a type
 * dispatch per value, a second copy for the single-object header) costs
 * several times more.
 *
 * Validation mirrors avsc's writers (int range, safe longs, Buffer for bytes,
 * string, boolean, union branch by value kind, defaults for undefined record
 * fields). An invalid value throws AvroValueError naming the field's path
 * ("records[].frame_type") and leaves nothing half-written behind.
 *
 * Three shapes share one generator: `compileWriter` (a whole single-object
 * message per call), `compileAppender` (values appended one after another,
 * e.g. the items of a batch as they arrive, then framed by `take`) and
 * `compileValidator` (the writer's checks alone). A writer compiled with
 * `passPath` offers the value at that path (a record field, e.g.
 * "records[].packet") to a PassThrough first, which may copy bytes it
 * already has instead of encoding the value — the dissector copies each
 * packet record from its input message.
 *
 * Schemas with types this compiler does not handle (logical types other than
 * the codec's bigint timestamp-nanos, ambiguous unions) get no compiled
 * writer (null) and stay on avsc.
 */
import type avro from 'avsc';
import { isTimestampNanos, typeView, UnsupportedSchema, type AvroTypeView } from './schema-types.js';
import { generatedFunction } from '../generated-code.js';

/** A value that does not match the schema; `path` names the field. */
export class AvroValueError extends TypeError {
  override name = 'AvroValueError';
  constructor(readonly path: string, value: unknown) {
    super(`invalid value at ${path || '(root)'}: ${describe(value)}`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `a ${v.length}-byte Buffer`;
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * Bytes a writer may copy instead of encoding a value (see passPath). `size`
 * is asked once per value at the path, in order, and answers -1 to let the
 * writer encode it, else the length of the bytes that `write` then puts at
 * buf[at...].
 */
export interface PassThrough {
  size(value: unknown): number;
  write(buf: Buffer, at: number): void;
}

/** Encodes a value into a fresh Buffer: the prefix, then the Avro binary body. */
export type CompiledWriter = (value: unknown, pass?: PassThrough | null) => Buffer;

/**
 * Appends the encodings of values one after another (the items of an Avro
 * array, written as they arrive). A value that fails validation throws and
 * leaves what was appended before it untouched.
 */
export interface CompiledAppender {
  append(value: unknown, pass?: PassThrough | null): void;
  /** Bytes appended since the last reset. */
  readonly length: number;
  /** Copy the appended bytes to target[at...]; returns the end. */
  copyTo(target: Buffer, at: number): number;
  /**
   * The appended bytes between `prefix` and `suffix` as one Buffer, then
   * reset. The values are not copied when the prefix fits the room kept in
   * front of them: the buffer is handed out and the appender starts a new one.
   */
  take(prefix: Buffer, suffix: Buffer): Buffer;
  reset(): void;
}

/** The writer's checks alone: null when the value can be encoded, else the path of the first field that cannot. */
export type CompiledValidator = (value: unknown) => string | null;

export interface WriterOptions {
  /** Path of a record field offered to a PassThrough before it is encoded ("records[].packet"). */
  passPath?: string;
  /** Prefix of every path (errors of a section compiled alone read like the whole record's: "ch10.packets[].seq"). */
  rootPath?: string;
}

/** Room kept in front of appended values for take()'s prefix (a message header and envelope). */
const APPENDER_HEADROOM = 512;

/** Room every fixed-size write sequence may use without its own capacity check. */
const SLACK = 16 * 1024;

/** Value kinds that pick an unwrapped union's branch, as avsc buckets them. */
function bucketOf(t: AvroTypeView): string {
  if (t.typeName === 'abstract:long') return 'abstract';
  switch (t.typeName) {
    case 'null': return 'null';
    case 'boolean': return 'boolean';
    case 'int': case 'long': case 'float': case 'double': return 'number';
    case 'string': case 'enum': return 'string';
    case 'bytes': case 'fixed': return 'buffer';
    case 'array': return 'array';
    case 'map': case 'record': case 'error': return 'object';
    default: throw new UnsupportedSchema(`no compiled writer for Avro type ${t.typeName}`);
  }
}

const BUCKET_TEST: Record<string, (v: string) => string> = {
  null: (v) => `${v} === null`,
  boolean: (v) => `typeof ${v} === 'boolean'`,
  number: (v) => `typeof ${v} === 'number'`,
  string: (v) => `typeof ${v} === 'string'`,
  buffer: (v) => `(${v} instanceof Buffer)`,
  array: (v) => `Array.isArray(${v})`,
  object: (v) => `(${v} !== null && typeof ${v} === 'object' && !Array.isArray(${v}) && !(${v} instanceof Buffer))`,
};

class WriterGen {
  private readonly consts: unknown[] = [];
  /** Record functions by type, then by path ('\0' for the one a recursive type shares). */
  private readonly recordFns = new Map<AvroTypeView, Map<string, string>>();
  private readonly stack: AvroTypeView[] = [];
  private readonly bodies: string[] = [];
  private tmp = 0;

  constructor(private readonly o: WriterOptions) {}

  constant(v: unknown): string {
    this.consts.push(v);
    return `K[${this.consts.length - 1}]`;
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.tmp++}`;
  }

  /** Function writing record type `t` found at `path` (once per path; once per type when recursive). */
  recordFn(t: AvroTypeView, path: string): string {
    const recursive = this.stack.includes(t);
    const key = recursive ? '\u0000' : path;
    let byPath = this.recordFns.get(t);
    if (!byPath) this.recordFns.set(t, (byPath = new Map()));
    const existing = byPath.get(key);
    if (existing) return existing;
    const fn = `w_${(t.name ?? 'anon').replace(/[^A-Za-z0-9_]/g, '_')}_${this.tmp++}`;
    byPath.set(key, fn);
    this.stack.push(t);
    const lines: string[] = [`function ${fn}(v, p) {`, '  if (p > lim) grow(p, 0);'];
    let fixed = 0;
    for (const f of t.fields ?? []) {
      const x = this.fresh('f');
      const fpath = recursive ? `${t.name}.${f.name}` : path ? `${path}.${f.name}` : f.name;
      const dv = f.defaultValue();
      lines.push(`  const ${x} = v[${JSON.stringify(f.name)}];`);
      let write = this.write(f.type, x, fpath);
      if (!recursive && this.o.passPath === fpath) {
        const n = this.fresh('n');
        write = `  let ${n};\n  if (pass !== null && (${n} = pass.size(${x})) >= 0) { if (p + ${n} > lim) grow(p, ${n}); pass.write(buf, p); p += ${n}; }\n  else {\n${write}\n  }`;
      }
      if (dv === undefined) {
        lines.push(write);
      } else {
        const bytes = this.constant(f.type.toBuffer(dv));
        lines.push(`  if (${x} === undefined) p = wRaw(p, ${bytes}); else {`, write, '  }');
      }
      fixed += fixedCost(f.type);
    }
    if (fixed > SLACK) throw new UnsupportedSchema(`record ${t.name} has too many fixed-size fields`);
    lines.push('  return p;', '}');
    this.bodies.push(lines.join('\n'));
    this.stack.pop();
    return fn;
  }

  /** Statements writing value expression `v` of type `t` at `p`. */
  write(t: AvroTypeView, v: string, path: string): string {
    const bad = `bad(${JSON.stringify(path)}, ${v})`;
    if (t.typeName === 'abstract:long') {
      if (!isTimestampNanos(t)) throw new UnsupportedSchema('custom long type');
      return `  if (typeof ${v} !== 'bigint' || ${v} < -9223372036854775808n || ${v} > 9223372036854775807n) ${bad}; p = wBig(p, ${v});`;
    }
    switch (t.typeName) {
      case 'null':
        return `  if (${v} !== null) ${bad};`;
      case 'boolean':
        return `  if (typeof ${v} !== 'boolean') ${bad}; buf[p++] = ${v} ? 1 : 0;`;
      case 'int':
        return `  if (${v} !== (${v} | 0)) ${bad};\n${inlineVarint(v, 'wInt')}`;
      case 'long':
        // avsc's test (a number, v % 1 === 0, within its safe range) without % (a C call for non-Smi doubles).
        return `  if (typeof ${v} !== 'number' || Math.floor(${v}) !== ${v} || !(${v} >= -9007199254740990 && ${v} <= 9007199254740990)) ${bad};\n${inlineVarint(v, 'wLong')}`;
      case 'float':
        return `  if (typeof ${v} !== 'number') ${bad}; buf.writeFloatLE(${v}, p); p += 4;`;
      case 'double':
        return `  if (typeof ${v} !== 'number') ${bad}; buf.writeDoubleLE(${v}, p); p += 8;`;
      case 'string':
        return `  if (typeof ${v} !== 'string') ${bad}; if (${v}.length === 0) buf[p++] = 0; else p = wStr(p, ${v});`;
      case 'bytes': {
        // Short values (addresses, options, small payloads) copied inline; helper calls cost more than the copy.
        const n = this.fresh('n');
        const i = this.fresh('i');
        return [
          `  if (!(${v} instanceof Buffer)) ${bad};`,
          `  const ${n} = ${v}.length;`,
          `  if (${n} < 24 && p + 25 <= lim) {`,
          `    buf[p++] = ${n} << 1;`,
          `    for (let ${i} = 0; ${i} < ${n}; ${i}++) buf[p + ${i}] = ${v}[${i}];`,
          `    p += ${n};`,
          `  } else p = wBytes(p, ${v});`,
        ].join('\n');
      }
      case 'fixed':
        return `  if (!(${v} instanceof Buffer) || ${v}.length !== ${t.size}) ${bad}; p = wRaw(p, ${v});`;
      case 'enum': {
        const idx = this.constant(new Map((t.symbols ?? []).map((s, i) => [s, i])));
        const i = this.fresh('e');
        return `  const ${i} = ${idx}.get(${v}); if (${i} === undefined) ${bad}; p = wInt(p, ${i});`;
      }
      case 'array': {
        const n = this.fresh('n');
        const i = this.fresh('i');
        const item = this.fresh('a');
        return [
          `  if (!Array.isArray(${v})) ${bad};`,
          `  const ${n} = ${v}.length;`,
          `  if (${n} > 0) {`,
          `    p = wLong(p, ${n});`,
          `    for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
          '      if (p > lim) grow(p, 0);',
          `      const ${item} = ${v}[${i}];`,
          this.write(t.itemsType!, item, `${path}[]`),
          '    }',
          '  }',
          '  if (p > lim) grow(p, 0);',
          '  buf[p++] = 0;',
        ].join('\n');
      }
      case 'map': {
        const keys = this.fresh('k');
        const i = this.fresh('i');
        const item = this.fresh('m');
        return [
          `  if (!${v} || typeof ${v} !== 'object' || Array.isArray(${v})) ${bad};`,
          `  const ${keys} = Object.keys(${v});`,
          `  if (${keys}.length > 0) {`,
          `    p = wLong(p, ${keys}.length);`,
          `    for (let ${i} = 0; ${i} < ${keys}.length; ${i}++) {`,
          `      p = wStr(p, ${keys}[${i}]);`,
          '      if (p > lim) grow(p, 0);',
          `      const ${item} = ${v}[${keys}[${i}]];`,
          this.write(t.valuesType!, item, `${path}{}`),
          '    }',
          '  }',
          '  if (p > lim) grow(p, 0);',
          '  buf[p++] = 0;',
        ].join('\n');
      }
      case 'record':
      case 'error':
        return `  if (${v} === null || typeof ${v} !== 'object') ${bad};\n  p = ${this.recordFn(t, path)}(${v}, p);\n  if (p > lim) grow(p, 0);`;
      case 'union:unwrapped': {
        const branches = t.types ?? [];
        if (branches.length > 63) throw new UnsupportedSchema('union with more than 63 branches');
        const buckets = branches.map(bucketOf);
        const plain = buckets.filter((x) => x !== 'abstract');
        if (new Set(plain).size !== plain.length) throw new UnsupportedSchema('union whose branches are not told apart by value kind');
        if (plain.length !== buckets.length) return this.unionWithAbstract(branches, buckets, v, path);
        const parts = branches.map((b, i) => {
          const body = b.typeName === 'null' ? '' : `\n${this.write(b, v, path)}`;
          return `${i === 0 ? '  if' : ' else if'} (${BUCKET_TEST[buckets[i]](v)}) {\n    buf[p++] = ${i * 2};${body}\n  }`;
        });
        return `${parts.join('')} else ${bad};\n  if (p > lim) grow(p, 0);`;
      }
      default:
        throw new UnsupportedSchema(`no compiled writer for Avro type ${t.typeName}`);
    }
  }

  /**
   * A union with custom-long branches (bigint epoch-ns): as avsc does, the
   * value kind picks among the other branches, then every custom branch that
   * accepts the value claims it; two claims are ambiguous and refused.
   */
  private unionWithAbstract(branches: AvroTypeView[], buckets: string[], v: string, path: string): string {
    const bad = `bad(${JSON.stringify(path)}, ${v})`;
    const ui = this.fresh('u');
    const lines = [`  let ${ui} = -1;`];
    let first = true;
    branches.forEach((b, i) => {
      if (buckets[i] === 'abstract') return;
      lines.push(`  ${first ? '' : 'else '}if (${BUCKET_TEST[buckets[i]](v)}) ${ui} = ${i};`);
      first = false;
    });
    branches.forEach((b, i) => {
      if (buckets[i] !== 'abstract') return;
      lines.push(`  if (${this.constant(b)}._isValid(${v})) { if (${ui} !== -1) ${bad}; ${ui} = ${i}; }`);
    });
    lines.push(`  switch (${ui}) {`);
    branches.forEach((b, i) => {
      lines.push(`    case ${i}: {`, `    buf[p++] = ${i * 2};`);
      if (b.typeName !== 'null') lines.push(this.write(b, v, path));
      lines.push('    break; }');
    });
    lines.push(`    default: ${bad};`, '  }', '  if (p > lim) grow(p, 0);');
    return lines.join('\n');
  }

  /** A function TOP(v, p) writing a value of `top` (any type), then `tail`. */
  private topFn(top: AvroTypeView): string {
    const root = this.o.rootPath ?? '';
    if (top.typeName === 'record' || top.typeName === 'error') {
      return `function TOP(v, p) {\n  if (v === null || typeof v !== 'object') bad(${JSON.stringify(root)}, v);\n  return ${this.recordFn(top, root)}(v, p);\n}`;
    }
    return `function TOP(v, p) {\n  if (p > lim) grow(p, 0);\n${this.write(top, 'v', root)}\n  return p;\n}`;
  }

  build(top: AvroTypeView, prefix: Buffer): CompiledWriter {
    return this.generate(top, `
const PREFIX = ${this.constant(prefix)};
return function encode(v, ps) {
  pass = ps === undefined ? null : ps;
  let p = wRaw(0, PREFIX);
  p = TOP(v, p);
  pass = null;
  if (p < buf.length >>> 1) {
    const out = Buffer.allocUnsafe(p);
    buf.copy(out, 0, 0, p);
    return out;
  }
  // A big message: hand the buffer itself out (no copy) and write the next one into a new one.
  const out = buf.subarray(0, p);
  buf = Buffer.allocUnsafeSlow(buf.length);
  return out;
};`) as CompiledWriter;
  }

  buildAppender(top: AvroTypeView): CompiledAppender {
    return this.generate(top, `
const HEAD = ${APPENDER_HEADROOM};
var at = HEAD;
return {
  append(v, ps) {
    const start = at;
    pass = ps === undefined ? null : ps;
    try { at = TOP(v, at); } catch (err) { at = start; throw err; } finally { pass = null; }
  },
  get length() { return at - HEAD; },
  copyTo(target, to) { buf.copy(target, to, HEAD, at); return to + at - HEAD; },
  take(prefix, suffix) {
    const n = at - HEAD;
    let out;
    if (prefix.length > HEAD) {
      out = Buffer.allocUnsafe(prefix.length + n + suffix.length);
      prefix.copy(out, 0);
      buf.copy(out, prefix.length, HEAD, at);
      suffix.copy(out, prefix.length + n);
    } else {
      if (at + suffix.length > lim) grow(at, suffix.length);
      const start = HEAD - prefix.length;
      prefix.copy(buf, start);
      suffix.copy(buf, at);
      const end = at + suffix.length;
      if (end - start < buf.length >>> 1) {
        out = Buffer.allocUnsafe(end - start);
        buf.copy(out, 0, start, end);
      } else {
        out = buf.subarray(start, end);
        buf = Buffer.allocUnsafeSlow(buf.length);
        lim = buf.length - ${SLACK};
      }
    }
    at = HEAD;
    return out;
  },
  reset() { at = HEAD; },
};`) as CompiledAppender;
  }

  buildValidator(top: AvroTypeView): CompiledValidator {
    return this.generate(top, `
return function check(v) {
  try { TOP(v, 0); } catch (err) { if (err instanceof ERR) return err.path; throw err; }
  return null;
};`) as CompiledValidator;
  }

  /** The helpers and record functions, then `tail` (which calls TOP). */
  private generate(top: AvroTypeView, tail: string): unknown {
    const topFn = this.topFn(top);
    const source = `
'use strict';
// var, not let: closure variables declared with let pay a temporal-dead-zone check on every access.
var buf = Buffer.allocUnsafeSlow(1 << 16);
var lim = buf.length - ${SLACK};
var pass = null;
function grow(p, need) {
  let size = buf.length * 2;
  while (size - ${SLACK} < p + need) size *= 2;
  const next = Buffer.allocUnsafeSlow(size);
  buf.copy(next, 0, 0, p);
  buf = next;
  lim = size - ${SLACK};
}
function bad(path, v) { throw new ERR(path, v); }
function wInt(p, n) {
  let m = ((n << 1) ^ (n >> 31)) >>> 0;
  while (m > 0x7f) { buf[p++] = (m & 0x7f) | 0x80; m >>>= 7; }
  buf[p++] = m;
  return p;
}
function wLong(p, n) {
  if (n >= -1073741824 && n < 1073741824) return wInt(p, n);
  // Zigzag value >= 2^31: four 7-bit groups from its low 28 bits, then the rest (< 2^26) as an int.
  const z = n >= 0 ? n * 2 : -n * 2 - 1;
  let hi = Math.floor(z / 268435456);
  const lo = z - hi * 268435456;
  buf[p] = (lo & 0x7f) | 0x80;
  buf[p + 1] = ((lo >>> 7) & 0x7f) | 0x80;
  buf[p + 2] = ((lo >>> 14) & 0x7f) | 0x80;
  buf[p + 3] = ((lo >>> 21) & 0x7f) | 0x80;
  p += 4;
  while (hi > 0x7f) { buf[p++] = (hi & 0x7f) | 0x80; hi >>>= 7; }
  buf[p++] = hi;
  return p;
}
function wBig(p, n) {
  let z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
  while (z >= 128n) { buf[p++] = Number(z & 0x7fn) | 0x80; z >>= 7n; }
  buf[p++] = Number(z);
  return p;
}
/** UTF-8 as avsc writes it up to 64 bytes (lone surrogates as 3-byte sequences). */
function utf8Manual(p, s, n) {
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) buf[p++] = c;
    else if (c < 0x800) { buf[p++] = (c >> 6) | 0xc0; buf[p++] = (c & 0x3f) | 0x80; }
    else if ((c & 0xfc00) === 0xd800 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(++i) & 0x03ff);
      buf[p++] = (c >> 18) | 0xf0; buf[p++] = ((c >> 12) & 0x3f) | 0x80; buf[p++] = ((c >> 6) & 0x3f) | 0x80; buf[p++] = (c & 0x3f) | 0x80;
    } else { buf[p++] = (c >> 12) | 0xe0; buf[p++] = ((c >> 6) & 0x3f) | 0x80; buf[p++] = (c & 0x3f) | 0x80; }
  }
  return p;
}
function wStr(p, s) {
  const n = s.length;
  if (n <= 21) {
    // At most 63 UTF-8 bytes: a one-byte length, written after the text.
    if (p + 64 > lim) grow(p, 64);
    const end = utf8Manual(p + 1, s, n);
    buf[p] = (end - p - 1) << 1;
    return end;
  }
  const len = Buffer.byteLength(s);
  if (p + 10 + len > lim) grow(p, 10 + len);
  p = wLong(p, len);
  if (len > 64) buf.utf8Write(s, p, len);
  else utf8Manual(p, s, n);
  return p + len;
}
function wRaw(p, b) {
  const n = b.length;
  if (p + n > lim) grow(p, n);
  if (n < 48) { for (let i = 0; i < n; i++) buf[p + i] = b[i]; }
  else buf.set(b, p);
  return p + n;
}
function wBytes(p, b) {
  const n = b.length;
  if (p + 10 + n > lim) grow(p, 10 + n);
  if (n < 64) buf[p++] = n << 1;
  else p = wLong(p, n);
  if (n < 48) { for (let i = 0; i < n; i++) buf[p + i] = b[i]; }
  else buf.set(b, p);
  return p + n;
}
${this.bodies.join('\n')}
${topFn}
${tail}`;
    return generatedFunction(['K', 'Buffer', 'ERR'], source)(this.consts, Buffer, AvroValueError);
  }
}

/**
 * Zig-zag varint of the number expression `v` (already validated): one- and
 * two-byte values (|v| < 64, 0 <= v < 8192) written inline, the rest by `helper`.
 */
function inlineVarint(v: string, helper: 'wInt' | 'wLong'): string {
  return `  if (${v} >= 0 && ${v} < 64) buf[p++] = ${v} << 1;
  else if (${v} >= 0 && ${v} < 8192) { buf[p] = ((${v} << 1) & 0x7f) | 0x80; buf[p + 1] = ${v} >> 6; p += 2; }
  else p = ${helper}(p, ${v});`;
}

/** Worst-case bytes a field of type `t` writes without a capacity check of its own. */
function fixedCost(t: AvroTypeView): number {
  switch (t.typeName) {
    case 'boolean': return 1;
    case 'int': case 'enum': return 5;
    case 'long': case 'abstract:long': return 10;
    case 'float': return 4;
    case 'double': return 8;
    case 'union:unwrapped': return 1 + Math.max(0, ...(t.types ?? []).map(fixedCost));
    default: return 0;
  }
}

function compiled<R>(make: () => R): R | null {
  try {
    return make();
  } catch (err) {
    if (err instanceof UnsupportedSchema) return null;
    throw err;
  }
}

/**
 * A writer of whole messages of `type`, each starting with `prefix` (the
 * single-object header). Null when the schema uses something the compiler
 * does not handle.
 */
export function compileWriter(type: avro.Type, prefix: Buffer, options: WriterOptions = {}): CompiledWriter | null {
  return compiled(() => new WriterGen(options).build(typeView(type), prefix));
}

/** An appender for values of `type` (each call has its own buffer), or null as for compileWriter. */
export function compileAppender(type: avro.Type, options: WriterOptions = {}): CompiledAppender | null {
  return compiled(() => new WriterGen(options).buildAppender(typeView(type)));
}

/** The writer's checks for values of `type`, or null as for compileWriter. */
export function compileValidator(type: avro.Type, options: WriterOptions = {}): CompiledValidator | null {
  return compiled(() => new WriterGen(options).buildValidator(typeView(type)));
}
