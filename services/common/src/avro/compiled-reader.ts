/**
 * Avro binary readers compiled from a schema into straight-line JavaScript
 * (new Function): one function per record, with the position in a local,
 * varints of up to three bytes and optional fields read inline. avsc's
 * generic reader spends most of its time in per-value dispatch and Tap
 * objects; a compiled reader reads a PacketBatch or EnrichedBatch several
 * times faster. Values read are avsc's (the tests compare them on random
 * values of every published schema and on real captures): longs as numbers
 * (exact below 2^53), the codec's timestamp-nanos long as bigint, bytes as
 * Buffer views into the message (valid while the message is).
 *
 * The options serve the pipeline's three readers:
 *
 * - `keep` (projection): only the listed fields of a record are
 *   materialised, the others skipped with the cheapest moves the encoding
 *   allows (a block written with its byte size is jumped over whole) — the
 *   aggregator reads ~20 of an enriched record's hundreds of fields.
 * - `reuse` (pooling): records, arrays and 4/16-byte values (addresses) come
 *   from pools rewound at every read, so a warm reader allocates nothing but
 *   byte views; what a read returns is valid until the next read.
 * - `spans`: the extent of every record at a path and of one of its fields
 *   ([start, fieldStart, fieldEnd, end] per record, body offsets), so a
 *   writer can copy those bytes instead of re-encoding them.
 * - `addressPaths`: bytes fields holding IP addresses, whose 4-byte values
 *   come from a bounded cache of shared Buffers (without reuse).
 *
 * Short strings (≤ 32 bytes: frame types, protocol names, flags) are interned
 * through a small cache checked byte for byte, so repeated values cost no
 * decoding and no allocation. Empty bytes are one shared, frozen Buffer.
 *
 * Malformed input (a length or block past the end, a bad union branch or
 * enum index, a body that does not end where the value does) throws the
 * configured error class (AvroBodyError by default), never reads out of
 * bounds, and never allocates more than the body could hold.
 */
import type avro from 'avsc';
import { isTimestampNanos, shortName, typeView, UnsupportedSchema, type AvroTypeView } from './schema-types.js';
import { generatedFunction } from '../generated-code.js';

/** A body that does not decode. */
export class AvroBodyError extends Error {
  override name = 'AvroBodyError';
}

/** Fields to materialise, by record name (short or full); records not listed are read whole. */
export type ReaderKeep = Readonly<Record<string, readonly string[]>>;

export interface ReaderOptions {
  keep?: ReaderKeep;
  /** Pooled records, arrays and 4/16-byte values, valid until the next read (default false). */
  reuse?: boolean;
  /** Note the extent of every record at `path` ("" for the root, "records[]" for a batch's items) and of its `field`. */
  spans?: { path: string; field: string };
  /** Bytes fields (paths such as "records[].src_ip") holding IP addresses: 4-byte values shared from a bounded cache. */
  addressPaths?: readonly string[];
  /** Empty arrays as one shared frozen array (default false: a new array each). */
  sharedEmptyArrays?: boolean;
  /** Error class thrown for malformed bodies (default AvroBodyError). */
  error?: new (message: string) => Error;
}

export interface CompiledReader<T> {
  /** Reads one body, which must end exactly where the value does. */
  read(body: Buffer): T;
  /** Reads one value from buf[at...] (not past `end`); `next` is then the position after it. */
  readAt(buf: Buffer, at: number, end: number): T;
  /** Position after the value of the last readAt. */
  readonly next: number;
  /** With the `spans` option: [start, fieldStart, fieldEnd, end] of each record read by the last read/readAt. */
  readonly spans: number[];
}

/** Strings up to this many bytes go through the intern cache. */
const INTERN_MAX = 32;

/**
 * Runtime shared by the generated functions. `buf`, `end` and `pos` are the
 * input and the hand-off position between functions (each generated function
 * keeps its position in a local `p` and the input in locals `buf`, `end`).
 */
const RUNTIME = `
'use strict';
var BUF, END = 0, pos = 0;
const spans = [];
const EMPTY = Object.freeze(Buffer.alloc(0));
const EMPTY_ARRAY = Object.freeze([]);
function bad(what, at) { throw new ERR('malformed Avro body: ' + what + ' at byte ' + at); }
// A varint of any length (the generated code reads up to three bytes inline): avsc's algorithm,
// bounded, with the frequent longer ones unrolled (4 bytes: a 28-bit value; 5-7 bytes: nanosecond
// offsets and MAC addresses, the low 28 bits in one integer). The sign is bit 0 of the first byte,
// not \`f % 2\`, which V8 computes with a C call for a double.
function longSlow() {
  const buf = BUF;
  let p = pos, b, v;
  const b0 = buf[p], b1 = buf[p + 1], b2 = buf[p + 2], b3 = buf[p + 3];
  if (b0 >= 0x80 && b1 >= 0x80 && b2 >= 0x80) {
    const lo = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | ((b2 & 0x7f) << 14) | ((b3 & 0x7f) << 21);
    p += 4;
    if (b3 < 0x80) {
      v = (lo >>> 1) ^ -(lo & 1);
    } else {
      let hi = 0, k = 1, i = 0;
      do { b = buf[p++]; hi += (b & 0x7f) * k; k *= 128; } while (b >= 0x80 && ++i < 6);
      if (b >= 0x80) bad('varint longer than 10 bytes', pos);
      const f = hi * 268435456 + lo;
      v = (b0 & 1) ? -(f + 1) / 2 : f / 2;
    }
  } else {
    let n = 0, k = 0;
    do { b = buf[p++]; n |= (b & 0x7f) << k; k += 7; } while (b >= 0x80 && k < 21);
    v = (n >> 1) ^ -(n & 1);
  }
  if (p > END) bad('varint runs past the end', pos);
  pos = p;
  return v;
}
function bigLong() {
  let p = pos, n = 0n, s = 0n, b;
  do {
    b = BUF[p++];
    if (b === undefined || s > 63n) bad('varint runs past the end', pos);
    n |= BigInt(b & 0x7f) << s;
    s += 7n;
  } while (b >= 0x80);
  if (p > END) bad('varint runs past the end', pos);
  pos = p;
  return BigInt.asIntN(64, (n >> 1n) ^ -(n & 1n));
}
function skipVarint() {
  let p = pos, i = 0;
  while (BUF[p++] >= 0x80) if (++i > 9) bad('varint longer than 10 bytes', pos);
  if (p > END) bad('varint runs past the end', pos);
  pos = p;
}
// Short strings repeat (frame types, protocol names, TCP flags): a cache keyed by a hash of the
// bytes, checked byte for byte, returns the same string without decoding or allocating.
const internStr = new Array(1024).fill('');
const internBytes = new Array(1024).fill(EMPTY);
function str(p, n) {
  if (n > ${INTERN_MAX}) return BUF.utf8Slice(p, p + n);
  let h = n;
  for (let i = p; i < p + n; i++) h = Math.imul(h ^ BUF[i], 16777619);
  const slot = (h ^ (h >>> 15)) & 1023;
  const c = internBytes[slot];
  if (c.length === n) {
    let i = 0;
    while (i < n && c[i] === BUF[p + i]) i++;
    if (i === n) return internStr[slot];
  }
  const s = BUF.utf8Slice(p, p + n);
  internBytes[slot] = Uint8Array.prototype.slice.call(BUF, p, p + n);
  internStr[slot] = s;
  return s;
}
// IPv4 addresses as shared Buffers: a direct-mapped cache of 16384 entries.
const addrKeys = new Int32Array(16384);
const addrBufs = new Array(16384).fill(EMPTY);
function address4(p) {
  const k = (BUF[p] << 24) | (BUF[p + 1] << 16) | (BUF[p + 2] << 8) | BUF[p + 3];
  const slot = Math.imul(k, 0x9e3779b1) >>> 18;
  const a = addrBufs[slot];
  if (a.length === 4 && addrKeys[slot] === k) return a;
  const b = Buffer.allocUnsafe(4);
  b[0] = BUF[p]; b[1] = BUF[p + 1]; b[2] = BUF[p + 2]; b[3] = BUF[p + 3];
  addrBufs[slot] = b;
  addrKeys[slot] = k;
  return b;
}
// Reuse mode: 4- and 16-byte values (addresses) copied into pooled Buffers.
function pooled(pool, i, p, n) {
  let b = pool[i];
  if (b === undefined) { b = Buffer.alloc(n); pool[i] = b; }
  if (n === 4) { b[0] = BUF[p]; b[1] = BUF[p + 1]; b[2] = BUF[p + 2]; b[3] = BUF[p + 3]; }
  else BUF.copy(b, 0, p, p + n);
  return b;
}
`;

interface Occurrence {
  fn: string;
}

class ReaderGen {
  private n = 0;
  private readonly consts: unknown[] = [];
  private readonly fns: string[] = [];
  private readonly poolCounters: string[] = [];
  /** Functions already generated for a record at a path (or, for recursive types, for the type). */
  private readonly readFns = new Map<AvroTypeView, Map<string, Occurrence>>();
  private readonly skipFns = new Map<AvroTypeView, string>();
  private readonly stack: AvroTypeView[] = [];

  constructor(private readonly o: ReaderOptions) {}

  private v(prefix = 'v'): string {
    return `${prefix}${this.n++}`;
  }

  private konst(x: unknown): string {
    this.consts.push(x);
    return `K[${this.consts.length - 1}]`;
  }

  private pool(): { store: string; counter: string } {
    const counter = this.v('c');
    this.poolCounters.push(counter);
    return { store: this.konst([]), counter };
  }

  /** A varint into `target` (declared by the caller): inline up to three bytes, else longSlow. */
  private varint(target: string): string {
    const b = this.v('b');
    const z = this.v('z');
    // Past the end buf[...] is undefined, which fails every "< 0x80" test and lands in longSlow's bounds check.
    return `{ const ${b} = buf[p]; if (${b} < 0x80) { ${target} = (${b} >>> 1) ^ -(${b} & 1); p++; } else { let ${z} = buf[p + 1]; ` +
      `if (${z} < 0x80) { ${z} = (${b} & 0x7f) | (${z} << 7); ${target} = (${z} >>> 1) ^ -(${z} & 1); p += 2; } ` +
      `else if (buf[p + 2] < 0x80) { ${z} = (${b} & 0x7f) | ((${z} & 0x7f) << 7) | (buf[p + 2] << 14); ${target} = (${z} >>> 1) ^ -(${z} & 1); p += 3; } ` +
      `else { pos = p; ${target} = longSlow(); p = pos; } } }`;
  }

  /** A byte length into `target`, checked against the end. */
  private length(target: string): string {
    return `${this.varint(target)} if (${target} < 0 || p + ${target} > end) bad('length ' + ${target} + ' runs past the end', p);`;
  }

  /** Bytes every value of `t` takes at least (0 when it can be empty). */
  private minSize(t: AvroTypeView, seen = new Set<AvroTypeView>()): number {
    switch (t.typeName) {
      case 'null': return 0;
      case 'float': return 4;
      case 'double': return 8;
      case 'fixed': return t.size ?? 0;
      case 'record': case 'error': {
        if (seen.has(t)) return 0;
        seen.add(t);
        return (t.fields ?? []).reduce((s, f) => s + this.minSize(f.type, seen), 0);
      }
      default: return 1;
    }
  }

  /**
   * Item count of the next block into `cnt` (declared by the caller). A negative count carries
   * the block's byte size, read into `sizeVar` when given (else passed over); `sizeVar` is -1 otherwise.
   */
  private blockCount(cnt: string, item: AvroTypeView, sizeVar?: string): string {
    const guard = this.minSize(item) > 0 ? ` if (${cnt} > end - p) bad('block of ' + ${cnt} + ' items cannot fit', p);` : '';
    const size = sizeVar ?? this.v('z');
    const pre = sizeVar ? `${size} = -1; ` : '';
    const decl = sizeVar ? '' : `let ${size}; `;
    return `${pre}${this.varint(cnt)} if (${cnt} < 0) { ${cnt} = -${cnt}; ${decl}${this.varint(size)} }${guard}`;
  }

  private keepOf(t: AvroTypeView): readonly string[] | undefined {
    const keep = this.o.keep;
    if (!keep || !t.name) return undefined;
    return keep[t.name] ?? keep[shortName(t.name)];
  }

  /** Statements reading a value of `t` into `target` (a declared local), with `p` the position. */
  read(t: AvroTypeView, target: string, path: string): string {
    if (t.typeName === 'abstract:long') {
      if (!isTimestampNanos(t)) throw new UnsupportedSchema('custom long type');
      return `pos = p; ${target} = bigLong(); p = pos;`;
    }
    switch (t.typeName) {
      case 'null': return `${target} = null;`;
      case 'boolean': return `${target} = buf[p++] !== 0;`;
      case 'int': case 'long': return this.varint(target);
      case 'float': return `if (p + 4 > end) bad('float runs past the end', p); ${target} = buf.readFloatLE(p); p += 4;`;
      case 'double': return `if (p + 8 > end) bad('double runs past the end', p); ${target} = buf.readDoubleLE(p); p += 8;`;
      case 'string': {
        const n = this.v('n');
        return `{ let ${n}; ${this.length(n)} ${target} = ${n} === 0 ? '' : str(p, ${n}); p += ${n}; }`;
      }
      case 'bytes': {
        const n = this.v('n');
        let value: string;
        if (this.o.reuse) {
          const p4 = this.pool();
          const p16 = this.pool();
          value = `${n} === 0 ? EMPTY : ${n} === 4 ? pooled(${p4.store}, ${p4.counter}++, p, 4) : ${n} === 16 ? pooled(${p16.store}, ${p16.counter}++, p, 16) : buf.subarray(p, p + ${n})`;
        } else if (this.o.addressPaths?.includes(path)) {
          value = `${n} === 4 ? address4(p) : ${n} === 0 ? EMPTY : buf.subarray(p, p + ${n})`;
        } else {
          value = `${n} === 0 ? EMPTY : buf.subarray(p, p + ${n})`;
        }
        return `{ let ${n}; ${this.length(n)} ${target} = ${value}; p += ${n}; }`;
      }
      case 'fixed':
        return `if (p + ${t.size} > end) bad('fixed runs past the end', p); ${target} = buf.subarray(p, p + ${t.size}); p += ${t.size};`;
      case 'enum': {
        const syms = this.konst(t.symbols ?? []);
        const i = this.v('e');
        return `{ let ${i}; ${this.varint(i)} if (${i} < 0 || ${i} >= ${syms}.length) bad('enum index ' + ${i}, p); ${target} = ${syms}[${i}]; }`;
      }
      case 'array': {
        const items = t.itemsType!;
        const arr = this.v('a');
        const cnt = this.v('n');
        const item = this.v('i');
        const body = this.read(items, item, `${path}[]`);
        if (this.o.reuse) {
          // Items written by index and the length set once at the end: `length = 0` would free the
          // backing store, and every read would grow it again from nothing.
          const pl = this.pool();
          const k = this.v('k');
          return `{ let ${arr} = ${pl.store}[${pl.counter}]; if (${arr} === undefined) { ${arr} = []; ${pl.store}[${pl.counter}] = ${arr}; } ${pl.counter}++; ` +
            `let ${k} = 0; for (;;) { let ${cnt}; ${this.blockCount(cnt, items)} if (${cnt} === 0) break; ` +
            `for (let i = 0; i < ${cnt}; i++) { let ${item}; ${body} ${arr}[${k}++] = ${item}; } } if (${arr}.length !== ${k}) ${arr}.length = ${k}; ${target} = ${arr}; }`;
        }
        const init = this.o.sharedEmptyArrays ? `let ${arr} = EMPTY_ARRAY;` : `let ${arr} = [];`;
        const fresh = this.o.sharedEmptyArrays ? `if (${arr} === EMPTY_ARRAY) ${arr} = []; ` : '';
        return `{ ${init} for (;;) { let ${cnt}; ${this.blockCount(cnt, items)} if (${cnt} === 0) break; ${fresh}` +
          `for (let i = 0; i < ${cnt}; i++) { let ${item}; ${body} ${arr}.push(${item}); } } ${target} = ${arr}; }`;
      }
      case 'map': {
        const values = t.valuesType!;
        const obj = this.v('o');
        const cnt = this.v('n');
        const key = this.v('k');
        const item = this.v('i');
        const body = this.read(values, item, `${path}{}`);
        const keyRead = this.read({ typeName: 'string' } as AvroTypeView, key, path);
        return `{ const ${obj} = {}; for (;;) { let ${cnt}; ${this.blockCount(cnt, { typeName: 'string' } as AvroTypeView)} if (${cnt} === 0) break; ` +
          `for (let i = 0; i < ${cnt}; i++) { let ${key}; ${keyRead} let ${item}; ${body} ${obj}[${key}] = ${item}; } } ${target} = ${obj}; }`;
      }
      case 'record': case 'error': {
        const fn = this.recordFn(t, path);
        return `pos = p; ${target} = ${fn}(); p = pos;`;
      }
      case 'union:unwrapped': {
        const types = t.types ?? [];
        const idx = this.v('u');
        if (types.length === 2 && (types[0].typeName === 'null' || types[1].typeName === 'null')) {
          // The common optional field: one byte, no switch.
          const nullAt = types[0].typeName === 'null' ? 0 : 1;
          const other = this.read(types[1 - nullAt], target, path);
          return `{ const ${idx} = buf[p++]; if (${idx} === ${nullAt * 2}) ${target} = null; else if (${idx} === ${(1 - nullAt) * 2}) { ${other} } ` +
            `else bad('union branch ' + ${idx}, p - 1); }`;
        }
        const cases = types.map((b, i) => `case ${i}: { ${this.read(b, target, path)} break; }`).join(' ');
        return `{ let ${idx}; ${this.varint(idx)} switch (${idx}) { ${cases} default: bad('union branch ' + ${idx}, p); } }`;
      }
      default:
        throw new UnsupportedSchema(`no compiled reader for Avro type ${t.typeName}`);
    }
  }

  /** The function reading record `t` found at `path` (generated once per path; once per type when recursive). */
  private recordFn(t: AvroTypeView, path: string): string {
    const recursive = this.stack.includes(t);
    const key = recursive ? '\u0000recursive' : path;
    let byPath = this.readFns.get(t);
    if (!byPath) this.readFns.set(t, (byPath = new Map()));
    if (recursive) {
      // The outer occurrence of this type is being generated: a path-free function serves every depth.
      const existing = byPath.get(key);
      if (existing) return existing.fn;
    } else {
      const existing = byPath.get(key);
      if (existing) return existing.fn;
    }
    const fn = this.v(`r_${(t.name ?? 'anon').replace(/[^A-Za-z0-9]/g, '_')}_`);
    byPath.set(key, { fn });
    this.stack.push(t);
    const fields = t.fields ?? [];
    const keep = this.keepOf(t);
    if (keep) {
      const missing = keep.filter((k) => !fields.some((f) => f.name === k));
      if (missing.length) throw new Error(`record ${t.name} has no field(s) ${missing.join(', ')}`);
    }
    const spans = !recursive && this.o.spans !== undefined && this.o.spans.path === path ? this.o.spans : undefined;
    const lines: string[] = ['let p = pos; const buf = BUF, end = END;'];
    const start = this.v('s');
    let fieldSpan = '';
    if (spans) lines.push(`const ${start} = p;`);
    const kept: { name: string; local: string }[] = [];
    for (const f of fields) {
      const fpath = recursive ? `${t.name}.${f.name}` : path ? `${path}.${f.name}` : f.name;
      if (keep && !keep.includes(f.name)) {
        lines.push(this.skip(f.type));
        continue;
      }
      const local = this.v('f');
      kept.push({ name: f.name, local });
      const body = this.read(f.type, local, fpath);
      if (spans && f.name === spans.field) {
        fieldSpan = this.v('fs');
        lines.push(`let ${local}; const ${fieldSpan} = p; ${body} const ${fieldSpan}e = p;`);
      } else {
        lines.push(`let ${local}; ${body}`);
      }
    }
    if (spans) {
      if (!fieldSpan) throw new Error(`record ${t.name} has no field ${spans.field} to note the span of`);
      lines.push(`spans.push(${start}, ${fieldSpan}, ${fieldSpan}e, p);`);
    }
    const props = kept.map((k) => `${JSON.stringify(k.name)}: ${k.local}`).join(', ');
    if (this.o.reuse) {
      const pl = this.pool();
      const sets = kept.map((k) => `o[${JSON.stringify(k.name)}] = ${k.local};`).join(' ');
      lines.push(`let o = ${pl.store}[${pl.counter}]; if (o === undefined) { o = { ${props} }; ${pl.store}[${pl.counter}] = o; } else { ${sets} } ${pl.counter}++;`);
    } else {
      lines.push(`const o = { ${props} };`);
    }
    lines.push('pos = p;', 'return o;');
    this.fns.push(`function ${fn}() {\n  ${lines.join('\n  ')}\n}`);
    this.stack.pop();
    return fn;
  }

  /** Statements skipping a value of `t` at `p`. */
  skip(t: AvroTypeView): string {
    switch (t.typeName) {
      case 'null': return '';
      case 'boolean': return 'p++;';
      // one- and two-byte varints skipped inline (past the end, undefined fails "< 0x80": skipVarint's bounds check)
      case 'int': case 'long': case 'enum': case 'abstract:long':
        return 'if (buf[p] < 0x80) p++; else if (buf[p + 1] < 0x80) p += 2; else { pos = p; skipVarint(); p = pos; }';
      case 'float': return 'p += 4;';
      case 'double': return 'p += 8;';
      case 'fixed': return `p += ${t.size};`;
      case 'string': case 'bytes': {
        const n = this.v('n');
        return `{ let ${n}; ${this.length(n)} p += ${n}; }`;
      }
      case 'array': case 'map': {
        const item = t.typeName === 'array' ? this.skip(t.itemsType!) : `${this.skip({ typeName: 'string' } as AvroTypeView)} ${this.skip(t.valuesType!)}`;
        const cnt = this.v('n');
        const size = this.v('z');
        const guardType = t.typeName === 'array' ? t.itemsType! : ({ typeName: 'string' } as AvroTypeView);
        // A block written with its byte size is jumped over whole.
        return `for (;;) { let ${cnt}, ${size}; ${this.blockCount(cnt, guardType, size)} if (${cnt} === 0) break; ` +
          `if (${size} >= 0) { if (p + ${size} > end) bad('block runs past the end', p); p += ${size}; } ` +
          `else for (let i = 0; i < ${cnt}; i++) { if (p > end) bad('block runs past the end', p); ${item} } }`;
      }
      case 'record': case 'error': {
        let fn = this.skipFns.get(t);
        if (!fn) {
          fn = this.v(`s_${(t.name ?? 'anon').replace(/[^A-Za-z0-9]/g, '_')}_`);
          this.skipFns.set(t, fn);
          const body = (t.fields ?? []).map((f) => this.skip(f.type)).join(' ');
          this.fns.push(`function ${fn}() { let p = pos; const buf = BUF, end = END; ${body} pos = p; }`);
        }
        return `pos = p; ${fn}(); p = pos;`;
      }
      case 'union:unwrapped': {
        const idx = this.v('u');
        const cases = (t.types ?? []).map((b, i) => `case ${i}: { ${this.skip(b)} break; }`).join(' ');
        return `{ let ${idx}; ${this.varint(idx)} switch (${idx}) { ${cases} default: bad('union branch ' + ${idx}, p); } }`;
      }
      default:
        throw new UnsupportedSchema(`no compiled reader for Avro type ${t.typeName}`);
    }
  }

  build<T>(top: AvroTypeView): CompiledReader<T> {
    const root = this.v('root');
    const body = this.read(top, root, '');
    const counters = this.poolCounters.length ? `var ${this.poolCounters.map((c) => `${c} = 0`).join(', ')};` : '';
    const rewind = this.poolCounters.map((c) => `${c} = 0;`).join(' ');
    const source = `${RUNTIME}
${counters}
${this.fns.join('\n')}
function readRoot() { let p = pos; const buf = BUF, end = END; let ${root}; ${body} pos = p; return ${root}; }
return {
  read(b) {
    BUF = b; END = b.length; pos = 0; spans.length = 0; ${rewind}
    const v = readRoot();
    const p = pos, end = END;
    BUF = undefined;
    if (p !== end) bad(p < end ? (end - p) + ' bytes left after the value' : 'value runs past the end', p);
    return v;
  },
  readAt(b, at, e) {
    BUF = b; END = e; pos = at; spans.length = 0; ${rewind}
    const v = readRoot();
    BUF = undefined;
    if (pos > END) bad('value runs past the end', pos);
    return v;
  },
  get next() { return pos; },
  spans,
};`;
    return generatedFunction(['K', 'Buffer', 'ERR'], source)(this.consts, Buffer, this.o.error ?? AvroBodyError) as CompiledReader<T>;
  }
}

/**
 * A reader for values of `type` (any Avro type avsc parsed with StreamLens'
 * long handling). Null when the schema uses something the compiler does not
 * handle (a custom long other than timestamp-nanos, a wrapped union), and
 * the caller keeps using avsc; an impossible projection throws.
 */
export function compileReader<T>(type: avro.Type, options: ReaderOptions = {}): CompiledReader<T> | null {
  try {
    return new ReaderGen(options).build<T>(typeView(type));
  } catch (err) {
    if (err instanceof UnsupportedSchema) return null;
    throw err;
  }
}
