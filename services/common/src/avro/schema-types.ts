/**
 * How StreamLens parses Avro schemas into avsc types, and the view of those
 * types that the compiled readers and writers (compiled-reader.ts,
 * compiled-writer.ts) generate code from.
 *
 * Longs decode to JavaScript numbers (exact below 2^53). The one field family
 * that does not fit, `timestamp-nanos` (epoch ns, ~1.7e18), is a custom long
 * that reads and writes bigint.
 */
import avro from 'avsc';
import type { AvroSchema } from './schema-files.js';

/** long with logicalType timestamp-nanos: bigint in, bigint out, exact over the whole range. */
const TimestampNanosLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (v: number | string | bigint) => BigInt(v),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

function typeHook(schema: unknown): avro.Type | undefined {
  if (schema && typeof schema === 'object' && (schema as AvroSchema).type === 'long' &&
      (schema as AvroSchema).logicalType === 'timestamp-nanos') {
    return TimestampNanosLong;
  }
  return undefined;
}

/** Parse a schema with StreamLens' long handling (timestamp-nanos as bigint, unions unwrapped). */
export function parseSchema(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { typeHook, wrapUnions: false });
}

/**
 * The parts of an avsc type the code generators read. `typeName` is avsc's:
 * null, boolean, int, long, float, double, bytes, string, fixed, enum, array,
 * map, record, error, union:unwrapped, abstract:long, ...
 */
export interface AvroTypeView {
  typeName: string;
  name?: string;
  size?: number;
  symbols?: string[];
  fields?: { name: string; type: AvroTypeView; defaultValue(): unknown }[];
  itemsType?: AvroTypeView;
  valuesType?: AvroTypeView;
  types?: AvroTypeView[];
  toBuffer(v: unknown): Buffer;
  _isValid?(v: unknown): boolean;
}

export function typeView(t: avro.Type): AvroTypeView {
  return t as unknown as AvroTypeView;
}

/** The codec's bigint timestamp-nanos long (the generators read and write it as a bigint varint). */
export function isTimestampNanos(t: AvroTypeView): boolean {
  return (t as unknown) === TimestampNanosLong;
}

/** A schema feature the generators do not handle: the caller keeps using avsc. */
export class UnsupportedSchema extends Error {
  override name = 'UnsupportedSchema';
}

/** Short name of a named type ("io.streamlens.v1.PacketRecord" → "PacketRecord"). */
export function shortName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}
