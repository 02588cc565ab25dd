/**
 * A RowBlock over RowBinary bytes: the writer that producers append rows to,
 * and the decoding of the bytes back into objects (the JSONEachRow path, and
 * what tests read). Objects take the form ClickHouse's own JSON output gives
 * with output_format_json_quote_64bit_integers: 64-bit integers as decimal
 * strings, IPv6 as text (IPv4-mapped as ::ffff:a.b.c.d).
 */
import { RowBinaryWriter, storedType, type ColumnType } from './row-binary.js';
import type { RowBlock } from './row-block.js';

/**
 * Appends rows to successive blocks (the producer writes a row's columns in
 * order, then endRow(); block() takes the rows written since the last one).
 * The blocks are views of one chunk after another: a producer that hands
 * out a block per seal allocates a chunk every few seals, not a growing
 * buffer each time. `view` writes numbers with one store each.
 */
export class RowBlockWriter extends RowBinaryWriter {
  view: DataView;
  private start = 0;
  private ends: number[] = [];

  constructor(readonly columns: readonly ColumnType[], private readonly chunk = 1 << 18) {
    super(0); // the first chunk comes with the first row
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  override ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // a new chunk, with the rows of the block being written (earlier blocks keep the old one)
    const used = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.chunk, 2 * (used + n)));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
    this.pos = used;
    this.start = 0;
  }

  endRow(): void {
    this.ends.push(this.pos - this.start);
  }

  /** The rows written since the last block (their bytes stay where they are: the writer goes on after them). */
  block(): RowBinaryBlock {
    const b = new RowBinaryBlock(this.columns, this.buf.subarray(this.start, this.pos), this.ends);
    this.start = this.pos;
    this.ends = [];
    return b;
  }
}

export class RowBinaryBlock implements RowBlock {
  /** `ends[i]`: the offset just past row i in `bytes`. */
  constructor(readonly columns: readonly ColumnType[], private readonly bytes: Buffer, private readonly ends: readonly number[]) {}

  /** The rows of several blocks with the same columns, in order, as one block. */
  static concat(columns: readonly ColumnType[], blocks: readonly RowBinaryBlock[]): RowBinaryBlock {
    const parts = blocks.filter((b) => b.length > 0);
    if (parts.length === 1) return parts[0];
    const ends: number[] = [];
    let base = 0;
    for (const b of parts) {
      for (const e of b.ends) ends.push(base + e);
      base += b.bytes.length;
    }
    return new RowBinaryBlock(columns, Buffer.concat(parts.map((b) => b.bytes)), ends);
  }

  get length(): number {
    return this.ends.length;
  }

  rowBinary(): Buffer {
    return this.bytes;
  }

  slice(from: number, to: number): RowBinaryBlock {
    const n = this.ends.length;
    from = Math.max(0, Math.min(from, n));
    to = Math.max(from, Math.min(to, n));
    const start = from === 0 ? 0 : this.ends[from - 1];
    const end = to === 0 ? 0 : this.ends[to - 1];
    const ends: number[] = [];
    for (let i = from; i < to; i++) ends.push(this.ends[i] - start);
    return new RowBinaryBlock(this.columns, this.bytes.subarray(start, end), ends);
  }

  objects(): Record<string, unknown>[] {
    const readers = this.columns.map((c) => {
      const r = readerFor(c.type);
      if (r === null) throw new Error(`a RowBinary block cannot decode column ${c.name} of type ${c.type}`);
      return r;
    });
    const out: Record<string, unknown>[] = [];
    const at = { pos: 0 };
    for (let i = 0; i < this.ends.length; i++) {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < readers.length; c++) row[this.columns[c].name] = readers[c](this.bytes, at);
      if (at.pos !== this.ends[i]) throw new Error(`RowBinary row ${i} ends at byte ${at.pos}, its block says ${this.ends[i]}`);
      out.push(row);
    }
    return out;
  }
}

type Read = (b: Buffer, at: { pos: number }) => unknown;

function fixed(bytes: number, read: (b: Buffer, p: number) => unknown): Read {
  return (b, at) => {
    const v = read(b, at.pos);
    at.pos += bytes;
    return v;
  };
}

function u64Text(b: Buffer, p: number): string {
  const lo = b.readUInt32LE(p);
  const hi = b.readUInt32LE(p + 4);
  return hi === 0 ? String(lo) : (BigInt(hi) * 4294967296n + BigInt(lo)).toString();
}

/** IPv6 text as ClickHouse prints it: RFC 5952, IPv4-mapped addresses as ::ffff:a.b.c.d. */
export function ipv6Text(b: Buffer, p: number): string {
  let mapped = b[p + 10] === 0xff && b[p + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = b[p + i] === 0;
  if (mapped) return `::ffff:${b[p + 12]}.${b[p + 13]}.${b[p + 14]}.${b[p + 15]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(p + i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function readVaruint(b: Buffer, at: { pos: number }): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    const x = b[at.pos++];
    n += (x & 0x7f) * mul;
    if (x < 0x80) return n;
    mul *= 128;
  }
}

/** The reader of a column type (the types producers of blocks write), or null. */
function readerFor(type: string): Read | null {
  switch (storedType(type)) {
    case 'UInt8': return fixed(1, (b, p) => b[p]);
    case 'Int8': return fixed(1, (b, p) => b.readInt8(p));
    case 'UInt16': return fixed(2, (b, p) => b.readUInt16LE(p));
    case 'Int16': return fixed(2, (b, p) => b.readInt16LE(p));
    case 'UInt32': return fixed(4, (b, p) => b.readUInt32LE(p));
    case 'Int32': return fixed(4, (b, p) => b.readInt32LE(p));
    case 'UInt64': return fixed(8, u64Text);
    case 'Int64': return fixed(8, (b, p) => b.readBigInt64LE(p).toString());
    case 'Float32': return fixed(4, (b, p) => b.readFloatLE(p));
    case 'Float64': return fixed(8, (b, p) => b.readDoubleLE(p));
    case 'IPv6': return fixed(16, ipv6Text);
    case 'String': return (b, at) => {
      const n = readVaruint(b, at);
      const s = b.toString('utf8', at.pos, at.pos + n);
      at.pos += n;
      return s;
    };
    default: return null;
  }
}
