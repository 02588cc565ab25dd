/**
 * A compiled Avro binary writer for one record schema (the PacketRecord),
 * generated from the schema itself so it follows the contract as fields are
 * added. avsc's generic writer costs ~0.6–1.5 µs per packet record; this one
 * writes straight into the batch buffer with no allocation and checks each
 * value's JavaScript type on the way (a decoder bug throws, naming the field,
 * instead of producing a batch nobody can read).
 *
 * Supported: null, boolean, int, long, float, double, bytes, string, enum,
 * fixed, arrays, records, and unions of null with one other type (the shapes
 * the StreamLens contracts use). `compileRecordWriter` returns undefined for
 * anything else (logical types included), and the caller uses avsc.
 */
import type avro from 'avsc';

/** Holds the buffer a writer writes into; the writer replaces it when it is too small. */
export interface WriteTarget {
  buf: Buffer;
}

export type RecordWriter = (value: unknown, target: WriteTarget, pos: number) => number;

export class RecordTypeError extends Error {
  override name = 'RecordTypeError';
}

function fail(path: string, v: unknown): never {
  const shown = v === undefined ? 'undefined' : v === null ? 'null' : Buffer.isBuffer(v) ? `a ${v.length}-byte Buffer` : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
  throw new RecordTypeError(`record field ${path} has an invalid value: ${shown}`);
}

function writeLong(buf: Buffer, pos: number, n: number): number {
  if (n >= 0 && n < 64) {
    buf[pos] = n << 1;
    return pos + 1;
  }
  if (n >= -0x40000000 && n < 0x40000000) {
    let z = (n << 1) ^ (n >> 31);
    while (z & ~0x7f) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[pos++] = z;
    return pos;
  }
  // Zig-zag of a large value can pass 2^53, where doubles are no longer
  // exact: write its low 7 bits from |n| (exact), then continue with the rest.
  const m = n < 0 ? -n : n;
  const b = m % 64;
  let low = 2 * b - (n < 0 ? 1 : 0);
  let z = (m - b) / 64;
  if (low < 0) {
    low = 127;
    z -= 1;
  }
  if (z === 0) {
    buf[pos++] = low;
    return pos;
  }
  buf[pos++] = low | 0x80;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

function writeBytes(buf: Buffer, pos: number, b: Uint8Array): number {
  const n = b.length;
  pos = writeLong(buf, pos, n);
  if (n <= 32) for (let i = 0; i < n; i++) buf[pos + i] = b[i];
  else buf.set(b, pos);
  return pos + n;
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n < 64) {
    // ASCII fast path: one length byte, one byte per character.
    let p = pos + 1;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return writeStringUtf8(buf, pos, s);
      buf[p++] = c;
    }
    buf[pos] = n << 1;
    return p;
  }
  return writeStringUtf8(buf, pos, s);
}

function writeStringUtf8(buf: Buffer, pos: number, s: string): number {
  const len = Buffer.byteLength(s, 'utf8');
  pos = writeLong(buf, pos, len);
  buf.write(s, pos, len, 'utf8');
  return pos + len;
}

function grow(t: WriteTarget, pos: number, need: number): Buffer {
  const b = Buffer.allocUnsafe(Math.max(t.buf.length * 2, need + 4096));
  t.buf.copy(b, 0, 0, pos);
  t.buf = b;
  return b;
}

interface Emitted {
  /** Bytes at most, for the parts whose size does not depend on the value. */
  fixed: number;
  /** Expressions adding the value-dependent bytes. */
  dyn: string[];
  write: string[];
}

class Gen {
  private n = 0;
  readonly consts: unknown[] = [];
  readonly helpers: string[] = [];

  /** A fresh identifier; the $...$ shape never occurs inside another one, so it can be substituted safely. */
  v(): string {
    return `$${this.n++}$`;
  }

  konst(x: unknown): string {
    this.consts.push(x);
    return `k${this.consts.length - 1}`;
  }

  /** Bound and write code for value expression `e` of type `t`; undefined when unsupported. */
  emit(t: avro.Type, e: string, path: string): Emitted | undefined {
    const P = JSON.stringify(path);
    if (t.constructor.name === 'LogicalType' || (t as { logicalType?: unknown }).logicalType !== undefined) return undefined;
    const len = `((${e} && ${e}.length) | 0)`;
    switch (t.typeName) {
      case 'null':
        return { fixed: 0, dyn: [], write: [`if (${e} !== null) fail(${P}, ${e});`] };
      case 'boolean':
        return { fixed: 1, dyn: [], write: [`if (typeof ${e} !== 'boolean') fail(${P}, ${e}); buf[pos++] = ${e} ? 1 : 0;`] };
      case 'int':
        return { fixed: 5, dyn: [], write: [`if (typeof ${e} !== 'number' || (${e} | 0) !== ${e}) fail(${P}, ${e}); pos = writeLong(buf, pos, ${e});`] };
      case 'long':
        // avsc (the JavaScript readers) accepts |n| <= 2^53 - 2; stay inside what every reader decodes exactly.
        return { fixed: 10, dyn: [], write: [`if (typeof ${e} !== 'number' || Math.floor(${e}) !== ${e} || ${e} > 9007199254740990 || ${e} < -9007199254740990) fail(${P}, ${e}); pos = writeLong(buf, pos, ${e});`] };
      case 'float':
        return { fixed: 4, dyn: [], write: [`if (typeof ${e} !== 'number') fail(${P}, ${e}); buf.writeFloatLE(${e}, pos); pos += 4;`] };
      case 'double':
        return { fixed: 8, dyn: [], write: [`if (typeof ${e} !== 'number') fail(${P}, ${e}); buf.writeDoubleLE(${e}, pos); pos += 8;`] };
      case 'bytes':
        return { fixed: 5, dyn: [len], write: [`if (!(${e} instanceof Uint8Array)) fail(${P}, ${e}); pos = writeBytes(buf, pos, ${e});`] };
      case 'string':
        return { fixed: 5, dyn: [`${len} * 3`], write: [`if (typeof ${e} !== 'string') fail(${P}, ${e}); pos = writeString(buf, pos, ${e});`] };
      case 'fixed': {
        const size = (t as avro.types.FixedType).size;
        return { fixed: size, dyn: [], write: [`if (!(${e} instanceof Uint8Array) || ${e}.length !== ${size}) fail(${P}, ${e}); buf.set(${e}, pos); pos += ${size};`] };
      }
      case 'enum': {
        const idx = this.konst(new Map((t as avro.types.EnumType).symbols.map((s, i) => [s, i])));
        const i = this.v();
        return { fixed: 5, dyn: [], write: [`{ const ${i} = ${idx}.get(${e}); if (${i} === undefined) fail(${P}, ${e}); pos = writeLong(buf, pos, ${i}); }`] };
      }
      case 'array': {
        const it = this.v();
        const item = this.emit((t as avro.types.ArrayType).itemsType, it, `${path}[]`);
        if (!item) return undefined;
        let dyn: string;
        if (item.dyn.length === 0) {
          dyn = `${len} * ${item.fixed}`;
        } else {
          const h = `h${this.helpers.length}`;
          this.helpers.push(`function ${h}(a) { if (!Array.isArray(a)) return 0; let n = 0; for (let i = 0; i < a.length; i++) { const ${it} = a[i]; n += ${item.fixed} + ${item.dyn.join(' + ')}; } return n; }`);
          dyn = `${h}(${e})`;
        }
        return {
          fixed: 11,
          dyn: [dyn],
          write: [`if (!Array.isArray(${e})) fail(${P}, ${e});`,
            `if (${e}.length > 0) { pos = writeLong(buf, pos, ${e}.length); for (let i = 0; i < ${e}.length; i++) { const ${it} = ${e}[i]; ${item.write.join(' ')} } }`,
            'buf[pos++] = 0;'],
        };
      }
      case 'record': {
        const r = this.v();
        let fixed = 0;
        const dyn: string[] = [];
        const write: string[] = [`{ const ${r} = ${e}; if (${r} === null || typeof ${r} !== 'object') fail(${P}, ${r});`];
        for (const f of (t as avro.types.RecordType).fields) {
          const fv = this.v();
          const sub = this.emit(f.type, fv, path ? `${path}.${f.name}` : f.name);
          if (!sub) return undefined;
          fixed += sub.fixed;
          // The bound reads fields through the parent expression (no closures, no locals).
          const access = `${e}[${JSON.stringify(f.name)}]`;
          for (const d of sub.dyn) dyn.push(d.split(fv).join(access));
          write.push(`{ const ${fv} = ${r}[${JSON.stringify(f.name)}]; ${sub.write.join(' ')} }`);
        }
        write.push('}');
        return { fixed, dyn: dyn.length ? [`(${e} ? ${dyn.join(' + ')} : 0)`] : [], write };
      }
      case 'union:unwrapped': {
        const types = (t as unknown as { types: avro.Type[] }).types;
        if (types.length !== 2) return undefined;
        const nullAt = types.findIndex((x) => x.typeName === 'null');
        if (nullAt < 0) return undefined;
        const other = this.emit(types[1 - nullAt], e, path);
        if (!other) return undefined;
        return {
          fixed: 1 + other.fixed,
          dyn: other.dyn.length ? [`(${e} == null ? 0 : ${other.dyn.join(' + ')})`] : [],
          write: [`if (${e} === null) { buf[pos++] = ${nullAt * 2}; } else { if (${e} === undefined) fail(${P}, ${e}); buf[pos++] = ${(1 - nullAt) * 2}; ${other.write.join(' ')} }`],
        };
      }
      default:
        return undefined;
    }
  }
}

/** A writer for records of `type`, or undefined if the schema uses something it does not support. */
export function compileRecordWriter(type: avro.Type): RecordWriter | undefined {
  if (type.typeName !== 'record') return undefined;
  const g = new Gen();
  const em = g.emit(type, 'value', '');
  if (!em) return undefined;
  const src = [
    ...g.helpers,
    'return function writeRecord(value, target, pos) {',
    `  const need = pos + ${em.fixed + 16}${em.dyn.length ? ` + ${em.dyn.join(' + ')}` : ''};`,
    '  let buf = target.buf;',
    '  if (need > buf.length) buf = grow(target, pos, need);',
    `  ${em.write.join('\n  ')}`,
    '  return pos;',
    '};',
  ].join('\n');
  const factory = new Function('fail', 'writeLong', 'writeBytes', 'writeString', 'grow', ...g.consts.map((_, i) => `k${i}`), src) as
    (...args: unknown[]) => RecordWriter;
  return factory(fail, writeLong, writeBytes, writeString, grow, ...g.consts);
}

export { writeLong as writeAvroLong };
