/**
 * RowBinary INSERT bodies for a ClickHouse server.
 *
 * The pipeline's rows are plain objects (the same ones chDB takes as
 * JSONEachRow). As JSON a flows row is ~600 bytes that the client serialises
 * and compresses and the server parses back; on the aggregator benchmark's
 * sessions mix that cost more CPU than the aggregation itself
 * (docs/benchmarks.md). In RowBinary the same row is ~200 bytes written with
 * Buffer stores, and the server reads it without parsing text.
 *
 * An encoder is compiled per table and column list from the server's own
 * column types (DESCRIBE TABLE), for the types the pipeline's tables use:
 * integers, Float32/64, String, IPv6, Array, Nullable, and the
 * LowCardinality and SimpleAggregateFunction wrappers (other types: no
 * encoder, the table goes as JSONEachRow). A value JSONEachRow would read
 * differently or refuse (a fraction or an out-of-range number for an
 * integer, a non-finite float, a string that is not a decimal or an IPv6
 * address, a missing field) throws RowBinaryMismatch, and the caller sends
 * the block as JSONEachRow instead: the binary path never changes what is
 * stored.
 */
import { GrowableBuffer } from '../growable-buffer.js';
import { generatedFunction } from '../generated-code.js';

/** A value the binary encoding would not store as JSONEachRow does; send the block as JSON. */
export class RowBinaryMismatch extends Error {
  override name = 'RowBinaryMismatch';
}

/** One column as DESCRIBE TABLE gives it. */
export interface ColumnType {
  name: string;
  type: string;
}

// Words of a 64-bit value by division and subtraction: `%` on a double is a C call (fmod) in V8.
const TWO32 = 4294967296;

/** A RowBinary body being written. */
export class RowBinaryWriter extends GrowableBuffer {
  varuint(n: number): void {
    this.ensure(10);
    const b = this.buf;
    while (n >= 0x80) {
      b[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    b[this.pos++] = n;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v;
    this.buf[this.pos++] = v >>> 8;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  /** A safe integer (|v| < 2^53) as a 64-bit little-endian two's complement. */
  int64(v: number): void {
    const hi = Math.floor(v / TWO32);
    this.u32pair(v - hi * TWO32, hi >>> 0);
  }

  /** A 64-bit little-endian value from its two 32-bit halves (byte stores: Buffer's writers check and dispatch). */
  u32pair(lo: number, hi: number): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >>> 8;
    b[p + 6] = hi >>> 16;
    b[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  string(s: string): void {
    const n = s.length;
    if (n < 128) {
      // short ASCII (names, frame types, protocols): one length byte and a byte per character
      this.ensure(1 + n);
      const b = this.buf;
      const p = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + 1 + i] = c;
      }
      if (i === n) {
        b[p] = n;
        this.pos = p + 1 + n;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varuint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

}

type Encode = (w: RowBinaryWriter, v: unknown) => void;

function mismatch(what: string, v: unknown): never {
  throw new RowBinaryMismatch(`${what}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
}

function intEncoder(bytes: 1 | 2 | 4, signed: boolean): Encode {
  const min = signed ? -(2 ** (bytes * 8 - 1)) : 0;
  const max = signed ? 2 ** (bytes * 8 - 1) - 1 : 2 ** (bytes * 8) - 1;
  const what = `${signed ? 'Int' : 'UInt'}${bytes * 8}`;
  return (w, v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) mismatch(what, v);
    w.ensure(bytes);
    if (bytes === 1) w.buf[w.pos] = v & 0xff;
    else if (bytes === 2) {
      w.buf[w.pos] = v;
      w.buf[w.pos + 1] = v >>> 8;
    } else {
      w.buf[w.pos] = v;
      w.buf[w.pos + 1] = v >>> 8;
      w.buf[w.pos + 2] = v >>> 16;
      w.buf[w.pos + 3] = v >>> 24;
    }
    w.pos += bytes;
  };
}

/** Decimal digits of s as a uint64 (lo, hi) into the writer; false when s is not 1–20 digits below 2^64. */
function writeDecimalU64(w: RowBinaryWriter, s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  if (n <= 15) {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return false;
      v = v * 10 + d;
    }
    w.int64(v);
    return true;
  }
  if (n === 20) {
    if (!/^\d{20}$/.test(s)) return false;
    const b = BigInt(s);
    if (b >= 1n << 64n) return false;
    w.ensure(8);
    w.buf.writeBigUInt64LE(b, w.pos);
    w.pos += 8;
    return true;
  }
  // 16–19 digits: a * 1e9 + b with a < 1e10, b < 1e9, assembled in exact 32-bit words
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (i < n - 9) a = a * 10 + d;
    else b = b * 10 + d;
  }
  const aHi = Math.floor(a / 65536);
  const aLo = a - aHi * 65536;
  const x = aHi * 1e9; // value = x * 65536 + y
  const y = aLo * 1e9 + b;
  const xh = Math.floor(x / 65536);
  const yh = Math.floor(y / TWO32);
  let lo = (x - xh * 65536) * 65536 + (y - yh * TWO32);
  const carry = Math.floor(lo / TWO32);
  const hi = xh + yh + carry;
  lo -= carry * TWO32;
  w.u32pair(lo, hi);
  return true;
}

const encodeU64: Encode = (w, v) => {
  if (typeof v === 'number') {
    if ((v >>> 0) === v) w.u32pair(v, 0); // most counters
    else if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) mismatch('UInt64', v);
    else w.int64(v);
  } else if (typeof v === 'string') {
    if (!writeDecimalU64(w, v)) mismatch('UInt64', v);
  } else if (typeof v === 'bigint') {
    if (v < 0n || v >= 1n << 64n) mismatch('UInt64', v);
    w.ensure(8);
    w.buf.writeBigUInt64LE(v, w.pos);
    w.pos += 8;
  } else {
    mismatch('UInt64', v);
  }
};

const encodeI64: Encode = (w, v) => {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) mismatch('Int64', v);
    w.int64(v);
  } else if (typeof v === 'string' || typeof v === 'bigint') {
    if (typeof v === 'string' && !/^-?\d{1,19}$/.test(v)) mismatch('Int64', v);
    const b = BigInt(v);
    if (b < -(1n << 63n) || b >= 1n << 63n) mismatch('Int64', v);
    w.ensure(8);
    w.buf.writeBigInt64LE(b, w.pos);
    w.pos += 8;
  } else {
    mismatch('Int64', v);
  }
};

const encodeF64: Encode = (w, v) => {
  // JSON has no NaN or infinities (JSON.stringify writes null, stored as 0): leave those to JSON
  if (typeof v !== 'number' || !Number.isFinite(v)) mismatch('Float64', v);
  w.ensure(8);
  w.buf.writeDoubleLE(v, w.pos);
  w.pos += 8;
};

const encodeF32: Encode = (w, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) mismatch('Float32', v);
  w.ensure(4);
  w.buf.writeFloatLE(v, w.pos);
  w.pos += 4;
};

const encodeString: Encode = (w, v) => {
  if (typeof v !== 'string') mismatch('String', v);
  w.string(v);
};

/** Dotted quad s[from, to) into out[at..at+4); false when it is not one. */
function dottedQuad(s: string, from: number, to: number, out: Buffer, at: number): boolean {
  let part = 0;
  let digits = 0;
  let k = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || k > 3) return false;
      out[at + k++] = part;
      part = 0;
      digits = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits === 3) return false;
      part = part * 10 + d;
      if (part > 255) return false;
      digits++;
    }
  }
  return k === 4;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * IPv6 text (RFC 4291: groups, one "::", an embedded dotted quad last) into
 * out[at..at+16); false when s is not such an address (no zone, no brackets).
 */
export function parseIpv6(s: string, out: Buffer, at: number): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  // IPv4-mapped, the form every IPv4 address in the pipeline's rows takes
  if (n >= 14 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58 && s.charCodeAt(6) === 58 && (s.charCodeAt(2) | 0x20) === 102
    && (s.charCodeAt(3) | 0x20) === 102 && (s.charCodeAt(4) | 0x20) === 102 && (s.charCodeAt(5) | 0x20) === 102 && s.indexOf('.', 7) > 0) {
    for (let i = 0; i < 10; i++) out[at + i] = 0;
    out[at + 10] = 0xff;
    out[at + 11] = 0xff;
    return dottedQuad(s, 7, n, out, at + 12);
  }
  const words: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      out.fill(0, at, at + 16);
      return true;
    }
  }
  for (;;) {
    // one group, or a dotted quad as the last 32 bits
    let v = 0;
    let digits = 0;
    let j = i;
    for (; j < n; j++) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) break;
      if (++digits > 4) return false;
      v = v * 16 + d;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      if (words.length > 6) return false;
      const quad = Buffer.allocUnsafe(4);
      if (!dottedQuad(s, i, n, quad, 0)) return false;
      words.push(quad.readUInt16BE(0), quad.readUInt16BE(2));
      break;
    }
    if (digits === 0) return false;
    words.push(v);
    if (words.length > 8) return false;
    if (j === n) break;
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = words.length;
      i = j + 2;
      if (i === n) break;
    } else {
      i = j + 1;
      if (i === n) return false;
    }
  }
  if (gap < 0 ? words.length !== 8 : words.length > 7) return false;
  const zeros = 8 - words.length;
  let k = 0;
  for (let g = 0; g < 8; g++) {
    const v = gap >= 0 && g >= gap && g < gap + zeros ? 0 : words[k++];
    out[at + 2 * g] = v >>> 8;
    out[at + 2 * g + 1] = v & 0xff;
  }
  return true;
}

/**
 * IPv6 text or 16 bytes. Each column's encoder keeps the last text it parsed:
 * consecutive rows often name the same host (a capture point's streams,
 * a busy server's flows), and comparing the text costs far less than parsing it.
 */
function ipv6Encoder(): Encode {
  let lastText: string | null = null;
  const lastBytes = Buffer.alloc(16);
  return (w, v) => {
    w.ensure(16);
    if (typeof v === 'string') {
      const b = w.buf;
      const p = w.pos;
      if (v === lastText) {
        for (let i = 0; i < 16; i++) b[p + i] = lastBytes[i];
      } else if (parseIpv6(v, b, p)) {
        for (let i = 0; i < 16; i++) lastBytes[i] = b[p + i];
        lastText = v;
      } else {
        mismatch('IPv6', v);
      }
    } else if (Buffer.isBuffer(v) && v.length === 16) {
      v.copy(w.buf, w.pos);
    } else {
      mismatch('IPv6', v);
    }
    w.pos += 16;
  };
}

function arrayEncoder(item: Encode): Encode {
  return (w, v) => {
    if (!Array.isArray(v)) mismatch('Array', v);
    w.varuint(v.length);
    for (let i = 0; i < v.length; i++) item(w, v[i]);
  };
}

function nullableEncoder(inner: Encode): Encode {
  return (w, v) => {
    w.ensure(1);
    if (v === null) {
      w.buf[w.pos++] = 1;
      return;
    }
    w.buf[w.pos++] = 0;
    inner(w, v);
  };
}

/** The argument of `Name(...)` in t when t is that wrapper, else null. */
function unwrap(t: string, name: string): string | null {
  return t.startsWith(`${name}(`) && t.endsWith(')') ? t.slice(name.length + 1, -1).trim() : null;
}

/** The encoder of a ClickHouse type, or null when this module does not write it. */
export function encoderForType(type: string): Encode | null {
  const t = storedType(type);
  if (t === null) return null;
  const nullable = unwrap(t, 'Nullable');
  if (nullable !== null) {
    const inner = encoderForType(nullable);
    return inner && nullableEncoder(inner);
  }
  const array = unwrap(t, 'Array');
  if (array !== null) {
    const inner = encoderForType(array);
    return inner && arrayEncoder(inner);
  }
  switch (t) {
    case 'UInt8': return intEncoder(1, false);
    case 'UInt16': return intEncoder(2, false);
    case 'UInt32': return intEncoder(4, false);
    case 'Int8': return intEncoder(1, true);
    case 'Int16': return intEncoder(2, true);
    case 'Int32': return intEncoder(4, true);
    case 'UInt64': return encodeU64;
    case 'Int64': return encodeI64;
    case 'Float64': return encodeF64;
    case 'Float32': return encodeF32;
    case 'String': return encodeString;
    case 'IPv6': return ipv6Encoder();
    default: return null;
  }
}

export interface RowEncoder {
  /** The columns written, in order (the INSERT's column list). */
  readonly columns: readonly string[];
  /** The RowBinary body of `rows`; throws RowBinaryMismatch. */
  encode(rows: readonly object[]): Buffer;
}

/**
 * Columns whose common values are written in the row loop itself, without a
 * call: integers that fit 32 bits (counters, ports, sizes). `test` is true
 * exactly for the numbers the column's encoder would write as `stores` does;
 * anything else goes to the encoder, which writes it or refuses it.
 */
const INLINE: Record<string, { bytes: number; test: (v: string) => string; stores: (v: string) => string[] }> = {
  UInt8: { bytes: 1, test: (v) => `(${v} & 0xff) === ${v}`, stores: (v) => [v] },
  Int8: { bytes: 1, test: (v) => `((${v} << 24) >> 24) === ${v}`, stores: (v) => [v] },
  UInt16: { bytes: 2, test: (v) => `(${v} & 0xffff) === ${v}`, stores: (v) => [v, `${v} >>> 8`] },
  Int16: { bytes: 2, test: (v) => `((${v} << 16) >> 16) === ${v}`, stores: (v) => [v, `${v} >>> 8`] },
  UInt32: { bytes: 4, test: (v) => `(${v} >>> 0) === ${v}`, stores: (v) => [v, `${v} >>> 8`, `${v} >>> 16`, `${v} >>> 24`] },
  Int32: { bytes: 4, test: (v) => `(${v} | 0) === ${v}`, stores: (v) => [v, `${v} >>> 8`, `${v} >>> 16`, `${v} >>> 24`] },
  UInt64: { bytes: 8, test: (v) => `(${v} >>> 0) === ${v}`, stores: (v) => [v, `${v} >>> 8`, `${v} >>> 16`, `${v} >>> 24`, '0', '0', '0', '0'] },
  Int64: {
    bytes: 8, test: (v) => `(${v} | 0) === ${v}`,
    stores: (v) => [v, `${v} >>> 8`, `${v} >>> 16`, `${v} >>> 24`, `${v} >> 31`, `${v} >> 31`, `${v} >> 31`, `${v} >> 31`],
  },
};

/**
 * The stored type under LowCardinality and SimpleAggregateFunction (wrappers
 * that do not change the encoding); null for a SimpleAggregateFunction this
 * module does not read.
 */
export function storedType(type: string): string | null {
  const t = type.trim();
  const lc = unwrap(t, 'LowCardinality');
  if (lc !== null) return storedType(lc);
  const saf = unwrap(t, 'SimpleAggregateFunction');
  if (saf !== null) {
    // SimpleAggregateFunction(name, T): T is what is stored; the name has no commas or parentheses
    const comma = saf.indexOf(',');
    return comma < 0 || /[()]/.test(saf.slice(0, comma)) ? null : storedType(saf.slice(comma + 1));
  }
  return t;
}

/**
 * The loop writing every row: one straight line of property reads (the rows
 * of a table share one shape). INLINE columns are stored into the buffer
 * directly; room for all of a row's inline bytes is made once, and again
 * after each encoder call (which may grow the buffer).
 */
function rowLoop(names: readonly string[], types: readonly string[]): string {
  const inline = types.map((t) => INLINE[storedType(t) ?? '']);
  const after: number[] = [];
  let rest = 0;
  for (let i = names.length - 1; i >= 0; i--) {
    after[i] = rest;
    rest += inline[i]?.bytes ?? 0;
  }
  const lines = ['for (let i = 0; i < rows.length; i++) {', '  const r = rows[i];', `  w.ensure(${rest});`, '  let b = w.buf;', '  let p = w.pos;'];
  names.forEach((name, i) => {
    const v = `v${i}`;
    const call = `w.pos = p; E[${i}](w, ${v}); w.ensure(${after[i]}); b = w.buf; p = w.pos;`;
    lines.push(`  const ${v} = r[${JSON.stringify(name)}];`);
    const k = inline[i];
    if (k === undefined) {
      lines.push(`  ${call}`);
      return;
    }
    const stores = k.stores(v).map((x, j) => `b[p + ${j}] = ${x};`).join(' ');
    // typeof first: the bit operators throw on a bigint, which the encoder takes.
    lines.push(`  if (typeof ${v} === 'number' && ${k.test(v)}) { ${stores} p += ${k.bytes}; }`, `  else { ${call} }`);
  });
  lines.push('  w.pos = p;', '}');
  return lines.join('\n');
}

/**
 * An encoder writing `names` (properties of every row, in this order) with
 * the types of `table`'s columns; null when a name is not an insertable
 * column or has a type this module does not write.
 */
export function compileRowEncoder(names: readonly string[], table: readonly (ColumnType & { default_type?: string })[]): RowEncoder | null {
  const byName = new Map(table.map((c) => [c.name, c]));
  const encoders: Encode[] = [];
  for (const name of names) {
    const col = byName.get(name);
    if (!col || col.default_type === 'MATERIALIZED' || col.default_type === 'ALIAS' || col.default_type === 'EPHEMERAL') return null;
    const e = encoderForType(col.type);
    if (!e) return null;
    encoders.push(e);
  }
  const writeRows = generatedFunction(['E', 'w', 'rows'], rowLoop(names, names.map((n) => byName.get(n)!.type))) as
    (e: Encode[], w: RowBinaryWriter, rows: readonly object[]) => void;
  return {
    columns: [...names],
    encode(rows) {
      const w = new RowBinaryWriter(rows.length * names.length * 8);
      writeRows(encoders, w, rows);
      return w.finish();
    },
  };
}
