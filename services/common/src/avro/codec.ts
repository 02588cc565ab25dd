/**
 * Avro codec for every message StreamLens writes to Kafka.
 *
 * Each message value is an Avro single-object encoding: the marker 0xC3 0x01,
 * the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema, then
 * the Avro binary body. A reader looks the fingerprint up, decodes with the
 * writer schema (resolving to its own reader schema when they differ) and
 * rejects a message whose schema it does not know with AvroSchemaError.
 *
 * Longs decode to JavaScript numbers (exact below 2^53). The one field family
 * that does not fit, `timestamp-nanos` (epoch ns, ~1.7e18), decodes to bigint;
 * the batch schemas keep it to one field per message (base_ts_ns) so the hot
 * per-record fields stay plain numbers.
 */
import type avro from 'avsc';
import { compileWriter, type CompiledWriter } from './compiled-writer.js';
import { fingerprintBytes, rabinFingerprint } from './rabin.js';
import { type AvroSchema, buildPublishedSchemas, readSchemaHistory } from './schema-files.js';
import { parseSchema } from './schema-types.js';

export { parseSchema } from './schema-types.js';

export const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);
const HEADER_LEN = 10;

/** A message that is not Avro of a schema this reader knows. */
export class AvroSchemaError extends Error {
  override name = 'AvroSchemaError';
  constructor(message: string, readonly fingerprint?: string) {
    super(message);
  }
}

/** A message with a known schema whose body does not decode. */
export class AvroDecodeError extends Error {
  override name = 'AvroDecodeError';
  constructor(message: string, readonly schemaName: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A value that does not match the schema it is written with. */
export class AvroEncodeError extends Error {
  override name = 'AvroEncodeError';
  constructor(message: string, readonly schemaName: string, readonly paths: string[]) {
    super(message);
  }
}

interface Writer {
  name: string;
  type: avro.Type;
  fingerprint: bigint;
  fingerprintHex: string;
  header: Buffer;
  /** Schema-compiled encoder (same bytes as avsc, several times faster), when the schema allows one. */
  compiled: CompiledWriter | null;
}

export interface AvroCodecOptions {
  /** Encode with writers compiled from the schemas (default true); false forces avsc's generic writer. */
  compiledWriters?: boolean;
}

export interface Decoded<T = unknown> {
  /** Full name of the writer schema. */
  schema: string;
  value: T;
}

function hex(fp: bigint): string {
  return fp.toString(16).padStart(16, '0');
}

/**
 * Encodes and decodes single-object Avro messages for a set of schemas. Older
 * versions of a schema can be registered with `addWriterSchema` so messages
 * they wrote are resolved to the current reader schema.
 */
export class AvroCodec {
  private readonly byName = new Map<string, Writer>();
  private readonly byFingerprint = new Map<string, { writer: Writer; reader: Writer; resolver?: avro.Resolver }>();

  constructor(schemas: Iterable<AvroSchema>, private readonly options: AvroCodecOptions = {}) {
    for (const s of schemas) this.register(s);
  }

  /**
   * A codec for every published StreamLens schema, which also reads messages
   * written with every earlier published version (schemas/avro/history).
   */
  static forStreamLens(options?: AvroCodecOptions): AvroCodec {
    const codec = new AvroCodec(buildPublishedSchemas().published.values(), options);
    for (const old of readSchemaHistory()) codec.addWriterSchemaIfNew(old);
    return codec;
  }

  /** addWriterSchema for a version that is not already registered (the current one is skipped). */
  addWriterSchemaIfNew(schema: AvroSchema): void {
    const type = parseSchema(schema);
    if (this.byFingerprint.has(hex(rabinFingerprint(JSON.stringify(type.schema()))))) return;
    try {
      this.addWriterSchema(schema);
    } catch (err) {
      throw new AvroSchemaError(`an earlier version of ${type.name} (schemas/avro/history) cannot be resolved to the current one: ` +
        `${(err as Error).message}. Schema changes must stay backward compatible (add fields with defaults).`);
    }
  }

  private makeWriter(schema: AvroSchema): Writer {
    const type = parseSchema(schema);
    const name = type.name;
    if (!name) throw new Error('top-level Avro schemas must be named records');
    const canonical = JSON.stringify(type.schema());
    const fingerprint = rabinFingerprint(canonical);
    const header = Buffer.concat([SINGLE_OBJECT_MARKER, fingerprintBytes(fingerprint)]);
    const compiled = this.options?.compiledWriters === false ? null : compileWriter(type, header);
    return { name, type, fingerprint, fingerprintHex: hex(fingerprint), header, compiled };
  }

  private register(schema: AvroSchema): void {
    const w = this.makeWriter(schema);
    this.byName.set(w.name, w);
    this.byFingerprint.set(w.fingerprintHex, { writer: w, reader: w });
  }

  /** Accept messages written with an older (or newer) version of a known schema. */
  addWriterSchema(schema: AvroSchema): void {
    const w = this.makeWriter(schema);
    const reader = this.byName.get(w.name);
    if (!reader) throw new Error(`no reader schema named ${w.name}`);
    this.byFingerprint.set(w.fingerprintHex, { writer: w, reader, resolver: reader.type.createResolver(w.type) });
  }

  /** Avro type of a registered schema, by full name. */
  type(name: string): avro.Type {
    return this.writer(name).type;
  }

  /** Fingerprint (16 hex digits) of a registered schema. */
  fingerprint(name: string): string {
    return this.writer(name).fingerprintHex;
  }

  private writer(name: string): Writer {
    const w = this.byName.get(name);
    if (!w) throw new AvroSchemaError(`unknown Avro schema name ${name}`);
    return w;
  }

  /** Encode `value` as a single-object message of schema `name`. */
  encode(name: string, value: unknown): Buffer {
    const w = this.writer(name);
    if (w.compiled) {
      try {
        return w.compiled(value);
      } catch {
        // Invalid value: avsc below names the offending path in the error.
      }
    }
    let body: Buffer;
    try {
      body = w.type.toBuffer(value);
    } catch (err) {
      const paths: string[] = [];
      w.type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.')) });
      throw new AvroEncodeError(
        `value does not match Avro schema ${name}${paths.length ? ` at ${paths.slice(0, 5).join(', ')}` : ''}: ${(err as Error).message}`,
        name, paths);
    }
    return Buffer.concat([w.header, body], HEADER_LEN + body.length);
  }

  /** The writer schema's full name, without decoding the body. */
  schemaOf(message: Buffer): string {
    return this.lookup(message).writer.name;
  }

  private lookup(message: Buffer) {
    if (!Buffer.isBuffer(message) || message.length < HEADER_LEN || message[0] !== 0xc3 || message[1] !== 0x01) {
      throw new AvroSchemaError(
        `not an Avro single-object message: expected marker c3 01 and an 8-byte schema fingerprint, got ${
          Buffer.isBuffer(message) ? `${message.length} bytes starting ${message.subarray(0, 4).toString('hex') || '(empty)'}` : typeof message}`);
    }
    const fpHex = hex(message.readBigUInt64LE(2));
    const entry = this.byFingerprint.get(fpHex);
    if (!entry) {
      throw new AvroSchemaError(
        `message written with unknown Avro schema fingerprint ${fpHex}; this reader knows ${[...this.byName.values()].map((w) => `${w.name}=${w.fingerprintHex}`).join(', ')}`,
        fpHex);
    }
    return entry;
  }

  /** Decode a single-object message; throws AvroSchemaError or AvroDecodeError. */
  decode<T = unknown>(message: Buffer, expected?: string): Decoded<T> {
    const entry = this.lookup(message);
    if (expected !== undefined && entry.reader.name !== expected) {
      throw new AvroSchemaError(`expected a ${expected} message, got ${entry.writer.name}`, entry.writer.fingerprintHex);
    }
    try {
      const value = entry.reader.type.fromBuffer(message.subarray(HEADER_LEN), entry.resolver) as T;
      return { schema: entry.reader.name, value };
    } catch (err) {
      throw new AvroDecodeError(
        `malformed Avro body for ${entry.writer.name} (${message.length - HEADER_LEN} bytes): ${(err as Error).message}`,
        entry.writer.name, { cause: err });
    }
  }
}
