/**
 * Batch messages (PacketBatch, EnrichedBatch: an envelope, then an array of
 * records) written record by record: each `add` encodes the record at once
 * (so the caller can reuse the record object and the bytes it points into),
 * and `finish` puts the single-object header and the batch envelope in
 * front. The message is byte-identical to `AvroCodec.encode(name, {...header,
 * records})`.
 *
 * Why: a capture agent encoding millions of records a second keeps nothing
 * but bytes between frames — no array of record objects, no views into
 * capture buffers — and the dissector writes each enriched record while it
 * is still in cache, its packet record copied from the input message by a
 * PassThrough.
 */
import type avro from 'avsc';
import { SCHEMA_NAMES, type BatchHeader, type EnrichedRecord, type PacketRecord } from '../records.js';
import type { AvroCodec } from './codec.js';
import { compileAppender, type CompiledAppender, type PassThrough, type WriterOptions } from './compiled-writer.js';

const ZERO = Buffer.from([0]);
const ENVELOPE = ['agent_id', 'interface', 'link_type', 'agent_run', 'batch_seq', 'base_ts_ns', 'sample_rate'] as const;

/** Zig-zag varint of a non-negative count below 2^31. */
function writeCount(buf: Buffer, at: number, n: number): number {
  let z = n * 2;
  while (z > 0x7f) {
    buf[at++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[at++] = z;
  return at;
}

export class BatchWriter<R> {
  private readonly envelopeFields: { type: avro.Type; defaultValue(): unknown }[];
  private readonly records: CompiledAppender | null;
  private readonly recordType: avro.Type;
  /** avsc fallback for a schema the compiler does not handle: encoded records, concatenated at finish. */
  private readonly slowParts: Buffer[] = [];
  private readonly prefix: Buffer;
  private header: BatchHeader | null = null;
  private n = 0;

  /**
   * `schemaName`: a batch schema of `codec` (envelope fields, then `records`).
   * `options.passPath`: a field of the record ("packet") a PassThrough given to `add` may copy.
   * `appender`: makes the appender of the records' bytes from the record type
   * instead of compiling one (a subclass that also writes records' bytes by
   * other means, through it, and counts them with `appended`).
   */
  constructor(codec: AvroCodec, readonly schemaName: string, options: WriterOptions = {},
    appender?: (recordType: avro.Type) => CompiledAppender) {
    const type = codec.type(schemaName) as unknown as { fields: { name: string; type: avro.Type; defaultValue(): unknown }[] };
    const names = type.fields.map((f) => f.name);
    if (names.join(',') !== [...ENVELOPE, 'records'].join(',')) {
      throw new Error(`${schemaName} fields are ${names.join(',')}: BatchWriter must learn the new layout`);
    }
    this.envelopeFields = type.fields.slice(0, ENVELOPE.length);
    this.recordType = (type.fields[ENVELOPE.length].type as unknown as { itemsType: avro.Type }).itemsType;
    this.records = appender ? appender(this.recordType) : compileAppender(this.recordType, options);
    const fp = BigInt(`0x${codec.fingerprint(schemaName)}`);
    this.prefix = Buffer.alloc(10);
    this.prefix[0] = 0xc3;
    this.prefix[1] = 0x01;
    this.prefix.writeBigUInt64LE(fp, 2);
  }

  /** Start a batch (drops anything added since the last finish). */
  begin(header: BatchHeader): void {
    this.header = header;
    this.n = 0;
    this.records?.reset();
    this.slowParts.length = 0;
  }

  /**
   * Encode one record into the open batch; throws (adding nothing) if it does
   * not match the schema. `pass` may copy the value at the writer's passPath.
   */
  add(rec: R, pass?: PassThrough | null): void {
    if (this.header === null) throw new Error('BatchWriter.add before begin');
    if (this.records) this.records.append(rec, pass);
    else this.slowParts.push(this.recordType.toBuffer(rec));
    this.n++;
  }

  /**
   * For a subclass whose appender wrote a record's bytes itself: count it.
   * Throws if no batch is open (a subclass checks isOpen before writing).
   */
  protected appended(): void {
    if (this.header === null) throw new Error('BatchWriter.add before begin');
    this.n++;
  }

  /** Drop the open batch (nothing is written until the next begin). */
  abort(): void {
    this.header = null;
    this.n = 0;
    this.records?.reset();
    this.slowParts.length = 0;
  }

  /** Whether a batch is open (begin called, finish not yet). */
  get isOpen(): boolean {
    return this.header !== null;
  }

  /** Records in the open batch. */
  get count(): number {
    return this.n;
  }

  /** Encoded size of the open batch's records so far (the message adds the envelope, ~50-100 bytes). */
  get recordBytes(): number {
    return this.records ? this.records.length : this.slowParts.reduce((s, b) => s + b.length, 0);
  }

  /** The single-object message of the open batch; the writer is then empty until the next begin. */
  finish(): Buffer {
    const h = this.header;
    if (h === null) throw new Error('BatchWriter.finish before begin');
    // (As for any record, an absent field with a default takes the default.)
    const envelope = ENVELOPE.map((k, i) => this.envelopeFields[i].type.toBuffer(h[k] === undefined ? this.envelopeFields[i].defaultValue() : h[k]));
    const envLen = envelope.reduce((s, b) => s + b.length, 0);
    // Header, envelope and the records' block count go in front of the records; the array's 0 after them.
    const front = Buffer.allocUnsafe(this.prefix.length + envLen + 5);
    let at = this.prefix.copy(front, 0);
    for (const part of envelope) at += part.copy(front, at);
    if (this.n > 0) at = writeCount(front, at, this.n);
    let out: Buffer;
    if (this.records) {
      out = this.records.take(front.subarray(0, at), ZERO);
    } else {
      out = Buffer.concat([front.subarray(0, at), ...this.slowParts, ZERO]);
    }
    this.header = null;
    this.n = 0;
    this.slowParts.length = 0;
    return out;
  }
}

/** PacketBatch messages written record by record (the capture agent's batches). */
export class PacketBatchWriter extends BatchWriter<PacketRecord> {
  constructor(codec: AvroCodec) {
    super(codec, SCHEMA_NAMES.packetBatch);
  }
}

/** EnrichedBatch messages written record by record; a PassThrough may copy each record's `packet`. */
export class EnrichedBatchWriter extends BatchWriter<EnrichedRecord> {
  constructor(codec: AvroCodec) {
    super(codec, SCHEMA_NAMES.enrichedBatch, { passPath: 'packet' });
  }
}
