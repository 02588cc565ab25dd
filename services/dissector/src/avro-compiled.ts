/**
 * Avro binary readers and writers compiled from a schema into straight-line
 * JavaScript (new Function), for the dissector's two hot messages: reading
 * PacketBatch and writing EnrichedBatch. avsc's generic types spend much of
 * their time resolving unions and checking longs; these keep the position in
 * a local, read and write one-byte varints inline, test optional fields
 * against null, and check capacity once per record. Output is byte-identical
 * to avsc (a test compares them on real batches); values decode to the same
 * shapes (bytes as Buffer views into the message, timestamp-nanos as bigint;
 * empty bytes and arrays as shared frozen values, and optionally IPv4
 * addresses as shared Buffers, all to be treated as read-only).
 *
 * Supported: null, boolean, int, long (and the codec's timestamp-nanos long as
 * bigint), float, double, bytes, string, enum, fixed, arrays, maps, records,
 * and unions of null with one other type. `compileReader`/`compileWriter`
 * return undefined for anything else and the caller keeps using avsc.
 *
 * Two hooks make the dissector's pass-through possible: a reader can note,
 * for each record at a given path, where it and one of its fields start and
 * end in the message (`rawPath`, `rawField`); a writer can hand the record at
 * a given path to a callback that copies those bytes instead of encoding the
 * fields (`passPath`).
 */
import type avro from 'avsc';

/** A malformed body: bounds, a negative length, a bad union index. */
export class CompiledAvroError extends Error {
  override name = 'CompiledAvroError';
}

// ---- runtime helpers (passed into the generated code) ----

/** Node's Buffer methods behind toString/write, without their argument normalisation. */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, length: number): number;
}

interface Cursor {
  buf: Buffer;
  pos: number;
}

function bad(what: string): never {
  throw new CompiledAvroError(what);
}

/** Any varint (the generated code handles one-byte ones inline). */
function readLong(c: Cursor): number {
  const buf = c.buf;
  let pos = c.pos;
  if (pos >= buf.length) bad(`value runs past the end at byte ${pos}`);
  let b = buf[pos++];
  let n = b & 0x7f;
  let scale = 128;
  while (b & 0x80) {
    if (pos >= buf.length || scale > 2 ** 63) bad(`varint runs past the end at byte ${c.pos}`);
    b = buf[pos++];
    n += (b & 0x7f) * scale;
    scale *= 128;
  }
  c.pos = pos;
  // Zig-zag; exact for |value| < 2^53.
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function readBigLong(c: Cursor): bigint {
  const buf = c.buf;
  let pos = c.pos;
  let n = 0n;
  let k = 0n;
  for (;;) {
    if (pos >= buf.length || k > 63n) bad('varint runs past the end');
    const b = buf[pos++];
    n |= BigInt(b & 0x7f) << k;
    k += 7n;
    if (!(b & 0x80)) break;
  }
  c.pos = pos;
  return (n >> 1n) ^ -(n & 1n);
}

function badLength(n: number, pos: number, len: number): never {
  bad(`length ${n} at byte ${pos} runs past the end (${len})`);
}

function readString(buf: Buffer, start: number, n: number): string {
  if (n < 24) {
    for (let i = start; i < start + n; i++) {
      if (buf[i] >= 0x80) return (buf as unknown as FastSlices).utf8Slice(start, start + n);
    }
    return (buf as unknown as FastSlices).latin1Slice(start, start + n);
  }
  return (buf as unknown as FastSlices).utf8Slice(start, start + n);
}

/** Item count of the next array/map block (negative counts carry a byte size: skip it). */
function readBlockCount(c: Cursor): number {
  let n = readLong(c);
  if (n < 0) {
    n = -n;
    readLong(c);
  }
  // Every item but a null takes a byte at least; a count past the end is a lie.
  if (n > c.buf.length - c.pos + 1) bad(`block of ${n} items at byte ${c.pos} cannot fit in ${c.buf.length - c.pos} bytes`);
  return n;
}

/** Shared values for empty bytes and arrays (frozen: nobody can fill them). */
const EMPTY_BYTES = Object.freeze(Buffer.alloc(0)) as Buffer;
const EMPTY_ARRAY: unknown[] = Object.freeze([]) as unknown as unknown[];

/** IPv4 address Buffers by value, bounded (cleared when full). */
const ADDRESSES = new Map<number, Buffer>();
const MAX_ADDRESSES = 65536;

function address4(buf: Buffer, pos: number): Buffer {
  const k = buf[pos] * 0x1000000 + (buf[pos + 1] << 16 | buf[pos + 2] << 8 | buf[pos + 3]);
  let a = ADDRESSES.get(k);
  if (a === undefined) {
    if (ADDRESSES.size >= MAX_ADDRESSES) ADDRESSES.clear();
    a = Buffer.from(buf.subarray(pos, pos + 4));
    ADDRESSES.set(k, a);
  }
  return a;
}

interface Sink {
  buf: Buffer;
  pos: number;
}

/** Room for n more bytes at s.pos (the buffer may be replaced). */
function grow(s: Sink, n: number): Buffer {
  if (s.pos + n > s.buf.length) {
    const b = Buffer.allocUnsafe(Math.max(s.buf.length * 2, s.pos + n + 65536));
    s.buf.copy(b, 0, 0, s.pos);
    s.buf = b;
  }
  return s.buf;
}

/** A varint that does not fit one byte (room for 10 bytes is already there). */
function writeLong(buf: Buffer, pos: number, n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) {
    let z = (n << 1) ^ (n >> 31);
    while (z & ~0x7f) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[pos++] = z;
    return pos;
  }
  // Beyond 31 bits: zig-zag with doubles, exact up to 2^53.
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

function writeBigLong(buf: Buffer, pos: number, v: bigint): number {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  while (z >= 0x80n) {
    buf[pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[pos++] = Number(z);
  return pos;
}

/** A string (room for its worst case, 3 bytes per UTF-16 unit + 10, is already there). */
function writeString(buf: Buffer, pos: number, v: string): number {
  const n = v.length;
  if (n < 64) {
    let p = pos + 1;
    for (let i = 0; i < n; i++) {
      const ch = v.charCodeAt(i);
      if (ch >= 0x80) return writeUtf8(buf, pos, v);
      buf[p++] = ch;
    }
    buf[pos] = n << 1;
    return p;
  }
  return writeUtf8(buf, pos, v);
}

function writeUtf8(buf: Buffer, pos: number, v: string): number {
  const len = Buffer.byteLength(v, 'utf8');
  pos = writeLong(buf, pos, len);
  (buf as unknown as FastSlices).utf8Write(v, pos, len);
  return pos + len;
}

/** Bytes (room for length + 10 is already there). */
function writeBytes(buf: Buffer, pos: number, v: Uint8Array): number {
  const n = v.length;
  pos = n < 64 ? (buf[pos] = n << 1, pos + 1) : writeLong(buf, pos, n);
  if (n <= 32) for (let i = 0; i < n; i++) buf[pos + i] = v[i];
  else buf.set(v, pos);
  return pos + n;
}

function invalid(path: string, v: unknown): never {
  const shown = v === undefined ? 'undefined' : v === null ? 'null' : Buffer.isBuffer(v) ? `a ${v.length}-byte Buffer`
    : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v === 'bigint' ? `${v}n` : typeof v;
  throw new CompiledAvroError(`field ${path || '(root)'} has an invalid value: ${shown}`);
}

// ---- code generation ----

type AnyType = avro.Type & { typeName: string };

/**
 * The StreamLens codec maps `long` + logicalType timestamp-nanos to bigint
 * through avsc's abstract long (the only abstract long it registers).
 */
function isTimestampNanos(t: AnyType): boolean {
  return t.typeName === 'abstract:long';
}

/**
 * Room every record, array item or map entry makes before its writes: enough
 * for all its fixed-size fields and its short strings/bytes (≤ 64 units, 194
 * bytes at most each); longer ones make their own room.
 */
const MARGIN = 16384;
const SHORT = 64;

export interface ReaderHooks {
  /** Path of a record (e.g. "records[]") whose byte extent is noted in the `raw` array. */
  rawPath?: string;
  /** Field of that record whose extent is noted too (e.g. "payload"). */
  rawField?: string;
  /**
   * Paths of bytes fields holding IP addresses (e.g. "records[].src_ip"):
   * 4-byte values come from a bounded cache of shared Buffers, one per
   * address, instead of a new view each (treat them as read-only).
   */
  addressPaths?: readonly string[];
}

export interface WriterHooks {
  /** Path of a record field (e.g. "records[].packet") offered to the pass-through callback first. */
  passPath?: string;
}

class Gen {
  private n = 0;
  readonly consts: unknown[] = [];

  constructor(readonly hooks: ReaderHooks & WriterHooks = {}) {}

  v(): string {
    return `v${this.n++}`;
  }

  konst(x: unknown): string {
    this.consts.push(x);
    return `k${this.consts.length - 1}`;
  }

  /** A varint into `target`: inline up to three bytes (|value| < 2^20), else through readLong. */
  private long(target: string): string {
    const b = this.v();
    const z = this.v();
    // Past the end buf[...] is undefined, which fails every `< 0x80` test and lands in readLong's bounds check.
    return `{ const ${b} = buf[pos]; if (${b} < 0x80) { ${target} = (${b} >>> 1) ^ -(${b} & 1); pos++; } else { let ${z} = buf[pos + 1]; ` +
      `if (${z} < 0x80) { ${z} = (${b} & 0x7f) | (${z} << 7); ${target} = (${z} >>> 1) ^ -(${z} & 1); pos += 2; } ` +
      `else if (buf[pos + 2] < 0x80) { ${z} = (${b} & 0x7f) | ((${z} & 0x7f) << 7) | (buf[pos + 2] << 14); ${target} = (${z} >>> 1) ^ -(${z} & 1); pos += 3; } ` +
      `else { c.pos = pos; ${target} = readLong(c); pos = c.pos; } } }`;
  }

  /** A length (bytes/string) into `target`, checked against the end. */
  private length(target: string): string {
    return `${this.long(target)} if (${target} < 0 || pos + ${target} > buf.length) badLength(${target}, pos, buf.length);`;
  }

  /** Statements that read a value of type t into `target` (an assignable expression), with `buf`, `pos`, `c` in scope. */
  read(t: AnyType, target: string, path: string): string | undefined {
    if (isTimestampNanos(t)) return `c.pos = pos; ${target} = readBigLong(c); pos = c.pos;`;
    switch (t.typeName) {
      case 'null': return `${target} = null;`;
      case 'boolean': return `${target} = buf[pos++] !== 0;`;
      case 'int':
      case 'long': return this.long(target);
      case 'float': return `if (pos + 4 > buf.length) bad('truncated float'); ${target} = buf.readFloatLE(pos); pos += 4;`;
      case 'double': return `if (pos + 8 > buf.length) bad('truncated double'); ${target} = buf.readDoubleLE(pos); pos += 8;`;
      case 'string': {
        const n = this.v();
        return `{ let ${n}; ${this.length(n)} ${target} = readString(buf, pos, ${n}); pos += ${n}; }`;
      }
      case 'bytes': {
        const n = this.v();
        if (this.hooks.addressPaths?.includes(path)) {
          return `{ let ${n}; ${this.length(n)} ${target} = ${n} === 4 ? address4(buf, pos) : ${n} === 0 ? EMPTY_BYTES : buf.subarray(pos, pos + ${n}); pos += ${n}; }`;
        }
        return `{ let ${n}; ${this.length(n)} ${target} = ${n} === 0 ? EMPTY_BYTES : buf.subarray(pos, pos + ${n}); pos += ${n}; }`;
      }
      case 'fixed': {
        const size = (t as unknown as avro.types.FixedType).size;
        return `if (pos + ${size} > buf.length) bad('truncated fixed'); ${target} = buf.subarray(pos, pos + ${size}); pos += ${size};`;
      }
      case 'enum': {
        const syms = this.konst((t as unknown as avro.types.EnumType).symbols);
        const i = this.v();
        return `{ let ${i}; ${this.long(i)} if (${i} < 0 || ${i} >= ${syms}.length) bad('enum index ' + ${i}); ${target} = ${syms}[${i}]; }`;
      }
      case 'array': {
        const arr = this.v();
        const cnt = this.v();
        const item = this.v();
        const body = this.read((t as unknown as avro.types.ArrayType).itemsType as AnyType, item, `${path}[]`);
        if (!body) return undefined;
        // An empty array (the common case: no VLAN tags, no extension headers) is one shared frozen value.
        return `{ let ${arr} = EMPTY_ARRAY; for (;;) { c.pos = pos; const ${cnt} = readBlockCount(c); pos = c.pos; if (${cnt} === 0) break; ` +
          `if (${arr} === EMPTY_ARRAY) ${arr} = []; for (let i = 0; i < ${cnt}; i++) { let ${item}; ${body} ${arr}.push(${item}); } } ${target} = ${arr}; }`;
      }
      case 'map': {
        const obj = this.v();
        const cnt = this.v();
        const item = this.v();
        const key = this.v();
        const body = this.read((t as unknown as avro.types.MapType).valuesType as AnyType, item, `${path}{}`);
        if (!body) return undefined;
        return `{ const ${obj} = {}; for (;;) { c.pos = pos; const ${cnt} = readBlockCount(c); pos = c.pos; if (${cnt} === 0) break; ` +
          `for (let i = 0; i < ${cnt}; i++) { let ${key}; ${this.read({ typeName: 'string' } as AnyType, key, path)} let ${item}; ${body} ${obj}[${key}] = ${item}; } } ${target} = ${obj}; }`;
      }
      case 'record': {
        const fields = (t as unknown as avro.types.RecordType).fields;
        const locals = fields.map(() => this.v());
        const noteRaw = this.hooks.rawPath === path;
        const parts: string[] = [];
        const start = this.v();
        if (noteRaw) parts.push(`const ${start} = pos;`);
        let fieldStart = '';
        for (let i = 0; i < fields.length; i++) {
          const body = this.read(fields[i].type as AnyType, locals[i], path ? `${path}.${fields[i].name}` : fields[i].name);
          if (!body) return undefined;
          if (noteRaw && fields[i].name === this.hooks.rawField) {
            fieldStart = this.v();
            parts.push(`let ${locals[i]}; const ${fieldStart} = pos; ${body} const ${fieldStart}e = pos;`);
          } else {
            parts.push(`let ${locals[i]}; ${body}`);
          }
        }
        if (noteRaw) {
          if (!fieldStart) return undefined;
          parts.push(`if (raw !== null) raw.push(${start}, ${fieldStart}, ${fieldStart}e, pos);`);
        }
        const literal = `{ ${fields.map((f, i) => `${JSON.stringify(f.name)}: ${locals[i]}`).join(', ')} }`;
        return `{ ${parts.join(' ')} ${target} = ${literal}; }`;
      }
      case 'union:unwrapped': {
        const types = (t as unknown as { types: AnyType[] }).types;
        if (types.length !== 2) return undefined;
        const nullAt = types.findIndex((x) => x.typeName === 'null');
        if (nullAt < 0) return undefined;
        const other = this.read(types[1 - nullAt], target, path);
        if (!other) return undefined;
        const idx = this.v();
        return `{ const ${idx} = buf[pos++]; if (${idx} === ${nullAt * 2}) { ${target} = null; } else if (${idx} === ${(1 - nullAt) * 2}) { ${other} } else bad('union index ' + ${idx} + ' at byte ' + (pos - 1)); }`;
      }
      default:
        return undefined;
    }
  }

  /** A one- or two-byte varint inline (0 ≤ value < 8192), else through writeLong (room is already there). */
  private wlong(e: string): string {
    return `if (${e} >= 0 && ${e} < 64) buf[pos++] = ${e} << 1; else if (${e} >= 0 && ${e} < 8192) { buf[pos++] = ((${e} << 1) & 0x7f) | 0x80; buf[pos++] = ${e} >>> 6; } else pos = writeLong(buf, pos, ${e});`;
  }

  /** Make room for `n` bytes (an expression) at pos. */
  private room(n: string): string {
    return `if (pos + ${n} > buf.length) { s.pos = pos; buf = grow(s, ${n}); }`;
  }

  /** Statements that write value expression `e` (a local) of type t, with `buf`, `pos`, `s` in scope. */
  write(t: AnyType, e: string, path: string): string | undefined {
    const P = JSON.stringify(path);
    if (isTimestampNanos(t)) return `if (typeof ${e} !== 'bigint') invalid(${P}, ${e}); pos = writeBigLong(buf, pos, ${e});`;
    switch (t.typeName) {
      case 'null': return `if (${e} !== null) invalid(${P}, ${e});`;
      case 'boolean': return `if (typeof ${e} !== 'boolean') invalid(${P}, ${e}); buf[pos++] = ${e} ? 1 : 0;`;
      case 'int': return `if (typeof ${e} !== 'number' || (${e} | 0) !== ${e}) invalid(${P}, ${e}); ${this.wlong(e)}`;
      // avsc reads longs exactly up to |2^53 - 2|; refuse what a JavaScript reader would mangle.
      case 'long': return `if (typeof ${e} !== 'number' || Math.floor(${e}) !== ${e} || ${e} > 9007199254740990 || ${e} < -9007199254740990) invalid(${P}, ${e}); ${this.wlong(e)}`;
      case 'float': return `if (typeof ${e} !== 'number') invalid(${P}, ${e}); buf.writeFloatLE(${e}, pos); pos += 4;`;
      case 'double': return `if (typeof ${e} !== 'number') invalid(${P}, ${e}); buf.writeDoubleLE(${e}, pos); pos += 8;`;
      case 'string':
        return `if (typeof ${e} !== 'string') invalid(${P}, ${e}); if (${e}.length > ${SHORT}) { ${this.room(`${e}.length * 3 + 16`)} } pos = writeString(buf, pos, ${e});`;
      case 'bytes':
        return `if (!(${e} instanceof Uint8Array)) invalid(${P}, ${e}); if (${e}.length > ${SHORT}) { ${this.room(`${e}.length + 16`)} } pos = writeBytes(buf, pos, ${e});`;
      case 'fixed': {
        const size = (t as unknown as avro.types.FixedType).size;
        return `if (!(${e} instanceof Uint8Array) || ${e}.length !== ${size}) invalid(${P}, ${e}); ${this.room(String(size))} buf.set(${e}, pos); pos += ${size};`;
      }
      case 'enum': {
        const idx = this.konst(new Map((t as unknown as avro.types.EnumType).symbols.map((x, i) => [x, i])));
        const i = this.v();
        return `{ const ${i} = ${idx}.get(${e}); if (${i} === undefined) invalid(${P}, ${e}); ${this.wlong(i)} }`;
      }
      case 'array': {
        const it = this.v();
        const body = this.write((t as unknown as avro.types.ArrayType).itemsType as AnyType, it, `${path}[]`);
        if (!body) return undefined;
        return `if (!Array.isArray(${e})) invalid(${P}, ${e}); if (${e}.length > 0) { ${this.wlong(`${e}.length`)} ` +
          `for (let i = 0; i < ${e}.length; i++) { ${this.room(String(MARGIN))} const ${it} = ${e}[i]; ${body} } } buf[pos++] = 0;`;
      }
      case 'map': {
        const it = this.v();
        const keys = this.v();
        const body = this.write((t as unknown as avro.types.MapType).valuesType as AnyType, it, `${path}{}`);
        if (!body) return undefined;
        return `if (${e} === null || typeof ${e} !== 'object') invalid(${P}, ${e}); { const ${keys} = Object.keys(${e}); if (${keys}.length > 0) { ${this.wlong(`${keys}.length`)} ` +
          `for (let i = 0; i < ${keys}.length; i++) { ${this.room(`${keys}[i].length * 3 + ${MARGIN}`)} pos = writeString(buf, pos, ${keys}[i]); const ${it} = ${e}[${keys}[i]]; ${body} } } buf[pos++] = 0; }`;
      }
      case 'record': {
        const parts: string[] = [`if (${e} === null || typeof ${e} !== 'object') invalid(${P}, ${e}); ${this.room(String(MARGIN))}`];
        for (const f of (t as unknown as avro.types.RecordType).fields) {
          const fv = this.v();
          const fpath = path ? `${path}.${f.name}` : f.name;
          const sub = this.write(f.type as AnyType, fv, fpath);
          if (!sub) return undefined;
          // A field left undefined takes its schema default, as avsc does.
          const def = f.defaultValue();
          const key = JSON.stringify(f.name);
          const value = def === undefined ? `${e}[${key}]` : `(${e}[${key}] === undefined ? ${this.konst(def)} : ${e}[${key}])`;
          if (this.hooks.passPath === fpath) {
            parts.push(`{ const ${fv} = ${value}; s.pos = pos; if (pass !== null && pass(i, ${fv}, s)) { buf = s.buf; pos = s.pos; } else { ${sub} } }`);
          } else {
            parts.push(`{ const ${fv} = ${value}; ${sub} }`);
          }
        }
        return parts.join(' ');
      }
      case 'union:unwrapped': {
        const types = (t as unknown as { types: AnyType[] }).types;
        if (types.length !== 2) return undefined;
        const nullAt = types.findIndex((x) => x.typeName === 'null');
        if (nullAt < 0) return undefined;
        const other = this.write(types[1 - nullAt], e, path);
        if (!other) return undefined;
        return `if (${e} === null) { buf[pos++] = ${nullAt * 2}; } else { if (${e} === undefined) invalid(${P}, ${e}); buf[pos++] = ${(1 - nullAt) * 2}; ${other} }`;
      }
      default:
        return undefined;
    }
  }
}

/**
 * Type and range checks of a value against a schema, without writing: the
 * same tests the writer makes (ints within 32 bits, longs within ±2^53 - 2,
 * strings, bytes, arrays, records, null unions). Returns null when the value
 * can be encoded, else the path of the first field that cannot.
 */
class CheckGen {
  private n = 0;

  v(): string {
    return `v${this.n++}`;
  }

  check(t: AnyType, e: string, path: string): string | undefined {
    const P = JSON.stringify(path);
    if (isTimestampNanos(t)) return `if (typeof ${e} !== 'bigint') return ${P};`;
    switch (t.typeName) {
      case 'null': return `if (${e} !== null) return ${P};`;
      case 'boolean': return `if (typeof ${e} !== 'boolean') return ${P};`;
      case 'int': return `if (typeof ${e} !== 'number' || (${e} | 0) !== ${e}) return ${P};`;
      case 'long': return `if (typeof ${e} !== 'number' || Math.floor(${e}) !== ${e} || ${e} > 9007199254740990 || ${e} < -9007199254740990) return ${P};`;
      case 'float':
      case 'double': return `if (typeof ${e} !== 'number') return ${P};`;
      case 'string': return `if (typeof ${e} !== 'string') return ${P};`;
      case 'bytes': return `if (!(${e} instanceof Uint8Array)) return ${P};`;
      case 'fixed': return `if (!(${e} instanceof Uint8Array) || ${e}.length !== ${(t as unknown as avro.types.FixedType).size}) return ${P};`;
      case 'enum': return `if (!${JSON.stringify((t as unknown as avro.types.EnumType).symbols)}.includes(${e})) return ${P};`;
      case 'array': {
        const it = this.v();
        const body = this.check((t as unknown as avro.types.ArrayType).itemsType as AnyType, it, `${path}[]`);
        if (!body) return undefined;
        return `if (!Array.isArray(${e})) return ${P}; for (let i = 0; i < ${e}.length; i++) { const ${it} = ${e}[i]; ${body} }`;
      }
      case 'map': {
        const it = this.v();
        const body = this.check((t as unknown as avro.types.MapType).valuesType as AnyType, it, `${path}{}`);
        if (!body) return undefined;
        return `if (${e} === null || typeof ${e} !== 'object') return ${P}; for (const k in ${e}) { const ${it} = ${e}[k]; ${body} }`;
      }
      case 'record': {
        const parts = [`if (${e} === null || typeof ${e} !== 'object') return ${P};`];
        for (const f of (t as unknown as avro.types.RecordType).fields) {
          const fv = this.v();
          const sub = this.check(f.type as AnyType, fv, path ? `${path}.${f.name}` : f.name);
          if (!sub) return undefined;
          const key = JSON.stringify(f.name);
          // Undefined takes the field's default when there is one.
          parts.push(f.defaultValue() === undefined ? `{ const ${fv} = ${e}[${key}]; ${sub} }` : `{ const ${fv} = ${e}[${key}]; if (${fv} !== undefined) { ${sub} } }`);
        }
        return parts.join(' ');
      }
      case 'union:unwrapped': {
        const types = (t as unknown as { types: AnyType[] }).types;
        if (types.length !== 2) return undefined;
        const nullAt = types.findIndex((x) => x.typeName === 'null');
        if (nullAt < 0) return undefined;
        const other = this.check(types[1 - nullAt], e, path);
        if (!other) return undefined;
        return `if (${e} !== null) { ${other} }`;
      }
      default:
        return undefined;
    }
  }
}

export type CompiledValidator = (value: unknown) => string | null;

/** A validator for values of `type` (null when encodable, else the bad field's path), or undefined. */
export function compileValidator(type: avro.Type, root = ''): CompiledValidator | undefined {
  const g = new CheckGen();
  const body = g.check(type as AnyType, 'value', root);
  if (!body) return undefined;
  return new Function(`return function check(value) { ${body} return null; };`)() as CompiledValidator;
}

/** Reads one body; `raw` (when not null) receives [start, fieldStart, fieldEnd, end] per record at the hook path. */
export type CompiledReader<T> = (body: Buffer, raw: number[] | null) => T;
/**
 * Writes one value into the sink from s.pos; `pass(i, value, s)` (when not
 * null) may write the record field at the hook path itself (for the i-th item
 * of the enclosing array) and return true.
 */
export type CompiledWriter = (value: unknown, sink: Sink, pass: PassThrough | null) => void;
export type PassThrough = (index: number, value: unknown, sink: Sink) => boolean;
export type { Sink as CompiledSink };
export { grow as growSink };

/** A reader of Avro bodies of `type` (throws CompiledAvroError on malformed input), or undefined. */
export function compileReader<T>(type: avro.Type, hooks: ReaderHooks = {}): CompiledReader<T> | undefined {
  const g = new Gen(hooks);
  const body = g.read(type as AnyType, 'out', '');
  if (!body) return undefined;
  const src = `return function read(buf, raw) { const c = { buf, pos: 0 }; let pos = 0; let out; ${body} ` +
    `if (pos > buf.length) bad('body runs past the end'); if (pos !== buf.length) bad((buf.length - pos) + ' bytes left after the value'); return out; };`;
  const factory = new Function('bad', 'badLength', 'readLong', 'readBigLong', 'readString', 'readBlockCount', 'EMPTY_BYTES', 'EMPTY_ARRAY',
    'address4', ...g.consts.map((_, i) => `k${i}`), src);
  return factory(bad, badLength, readLong, readBigLong, readString, readBlockCount, EMPTY_BYTES, EMPTY_ARRAY, address4, ...g.consts) as CompiledReader<T>;
}

/** A writer of values of `type` into a growable sink (throws CompiledAvroError naming a bad field), or undefined. */
export function compileWriter(type: avro.Type, hooks: WriterHooks = {}): CompiledWriter | undefined {
  const g = new Gen(hooks);
  const body = g.write(type as AnyType, 'value', '');
  if (!body) return undefined;
  const src = `return function write(value, s, pass) { let buf = s.buf; let pos = s.pos; const i = -1; ${body} s.buf = buf; s.pos = pos; };`;
  const factory = new Function('invalid', 'grow', 'writeLong', 'writeBigLong', 'writeString', 'writeBytes', ...g.consts.map((_, i) => `k${i}`), src);
  return factory(invalid, grow, writeLong, writeBigLong, writeString, writeBytes, ...g.consts) as CompiledWriter;
}
