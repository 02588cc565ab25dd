/**
 * Packs decoded records into PacketBatch messages, one open batch per
 * partition of one capture interface.
 *
 * Each record is Avro-encoded into its batch the moment it is added (the
 * schema-compiled appender of @streamlens/common, which also checks every
 * field), so the record object can be reused for the next frame and nothing
 * of the capture buffer is kept (cap hands every frame over in the same
 * Buffer). Closing a batch writes the envelope (agent, interface, run,
 * sequence, base time, sample rate) in front of the encoded records: one
 * allocation per message, none per record.
 *
 * A batch closes when it holds `maxRecords`, when the next record would take
 * it past `maxBytes`, when it has been open `lingerMs`, when a record's time
 * is too far from the batch's base for an exact offset, or on flush.
 */
import type avro from 'avsc';
import { AvroCodec, compileAppender, SCHEMA_NAMES, type CompiledAppender, type PacketRecord, RecordRouter } from '@streamlens/common';
import type { SealTrigger } from './agent-metrics.js';
import type { SpoolEntry } from './spool.js';

/** A closed batch, ready for Kafka (the same shape the spool stores). */
export type SealedBatch = SpoolEntry;

const MAX_OFFSET_NS = Number.MAX_SAFE_INTEGER;
const NS = 1_000_000_000;
const NS_BIG = 1_000_000_000n;

/** The PacketBatch schema split into its envelope fields and the record type. */
export class BatchEncoding {
  readonly header: Buffer;
  readonly recordType: avro.Type;
  private readonly fieldTypes: avro.Type[];

  constructor(codec: AvroCodec) {
    const type = codec.type(SCHEMA_NAMES.packetBatch) as avro.types.RecordType;
    const names = type.fields.map((f) => f.name).join(',');
    if (names !== 'agent_id,interface,link_type,agent_run,batch_seq,base_ts_ns,sample_rate,records') {
      throw new Error(`PacketBatch fields changed (${names}); update the batch envelope writer`);
    }
    this.fieldTypes = type.fields.slice(0, 7).map((f) => f.type);
    this.recordType = (type.fields[7].type as avro.types.ArrayType).itemsType;
    const fp = BigInt(`0x${codec.fingerprint(SCHEMA_NAMES.packetBatch)}`);
    this.header = Buffer.alloc(10);
    this.header[0] = 0xc3;
    this.header[1] = 0x01;
    this.header.writeBigUInt64LE(fp, 2);
  }

  /** An appender of encoded records (compiled from the schema; avsc's writer if the schema defeats the compiler). */
  appender(): CompiledAppender {
    return compileAppender(this.recordType) ?? new AvscAppender(this.recordType);
  }

  /** Avro body of the envelope fields, in schema order. */
  envelope(values: [string, string, number, string, number, bigint, number]): Buffer {
    const parts = values.map((v, i) => this.fieldTypes[i].toBuffer(v));
    return Buffer.concat(parts);
  }
}

/** avsc's generic writer behind the appender interface. */
class AvscAppender implements CompiledAppender {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  constructor(private readonly type: avro.Type) {}

  append(value: unknown): void {
    if (!this.type.isValid(value)) throw new TypeError('record does not match the PacketRecord schema');
    let end = this.type.encode(value, this.buf, this.at);
    if (end < 0) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.buf.length - end + 1024));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
      end = this.type.encode(value, this.buf, this.at);
    }
    this.at = end;
  }

  get length(): number {
    return this.at;
  }

  copyTo(target: Buffer, at: number): number {
    return at + this.buf.copy(target, at, 0, this.at);
  }

  reset(): void {
    this.at = 0;
  }
}

/** Bytes of an Avro long (zig-zag varint). */
function writeLong(buf: Buffer, pos: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

export interface BatcherOptions {
  agentId: string;
  agentRun: string;
  interfaceName: string;
  linkType: number;
  sampleRate: number;
  maxRecords: number;
  maxBytes: number;
  lingerMs: number;
  partitionCount: number;
  /** Next batch sequence number of this agent run (shared by every interface). */
  nextBatchSeq: () => number;
  onSealed: (batch: SealedBatch, trigger: SealTrigger) => void;
}

class OpenBatch {
  count = 0;
  baseSec = 0;
  baseNsec = 0;
  openedAt = 0;

  constructor(readonly records: CompiledAppender) {}
}

/** The batches of one capture interface. */
export class Batcher {
  private open: (OpenBatch | undefined)[] = [];
  private router: RecordRouter;
  private partitions: number;
  private readonly key: Buffer;
  private readonly envelopeReserve: number;
  /** Batches holding at least one record (for the linger sweep). */
  private active = 0;

  constructor(private readonly enc: BatchEncoding, private readonly o: BatcherOptions) {
    this.router = new RecordRouter(o.agentId, o.interfaceName);
    this.partitions = o.partitionCount;
    this.key = Buffer.from(`${o.agentId}/${o.interfaceName}`);
    this.envelopeReserve = 10 + 64 + Buffer.byteLength(o.agentId) + Buffer.byteLength(o.interfaceName) + Buffer.byteLength(o.agentRun);
  }

  get partitionCount(): number {
    return this.partitions;
  }

  /** Records in open batches. */
  get pendingRecords(): number {
    let n = 0;
    for (const b of this.open) if (b) n += b.count;
    return n;
  }

  /**
   * Add a decoded record captured at tsSec.tsNsec (epoch). The record is
   * encoded at once; the caller may reuse it. Throws only if the record does
   * not match the schema (a decoder bug); the batch is then unchanged.
   */
  add(rec: PacketRecord, tsSec: number, tsNsec: number, now: number): void {
    const p = this.router.partitionOf(rec, this.partitions);
    let b = this.open[p];
    if (!b) {
      b = new OpenBatch(this.enc.appender());
      this.open[p] = b;
    }
    if (b.count > 0) {
      const off = (tsSec - b.baseSec) * NS + (tsNsec - b.baseNsec);
      if (off > MAX_OFFSET_NS || off < -MAX_OFFSET_NS) this.seal(p, b, 'span');
    }
    if (b.count === 0) {
      b.baseSec = tsSec;
      b.baseNsec = tsNsec;
      b.openedAt = now;
      this.active++;
    }
    rec.ts_offset_ns = (tsSec - b.baseSec) * NS + (tsNsec - b.baseNsec);
    const before = b.records.length;
    try {
      b.records.append(rec);
    } catch (err) {
      if (b.count === 0) this.active--;
      throw err;
    }
    if (b.records.length + this.envelopeReserve > this.o.maxBytes && b.count > 0) {
      // This record would take the batch past its byte limit: close the batch
      // without it and start the next one with it (its time is the new base).
      this.seal(p, b, 'bytes', before);
      b.baseSec = tsSec;
      b.baseNsec = tsNsec;
      b.openedAt = now;
      this.active++;
      rec.ts_offset_ns = 0;
      b.records.append(rec);
    }
    b.count++;
    if (b.count >= this.o.maxRecords) this.seal(p, b, 'records');
  }

  /** Close batches open for at least the linger time. */
  sweep(now: number): void {
    if (this.active === 0) return;
    for (let p = 0; p < this.open.length; p++) {
      const b = this.open[p];
      if (b && b.count > 0 && now - b.openedAt >= this.o.lingerMs) this.seal(p, b, 'linger');
    }
  }

  /** Close every open batch. */
  flush(): void {
    for (let p = 0; p < this.open.length; p++) {
      const b = this.open[p];
      if (b && b.count > 0) this.seal(p, b, 'flush');
    }
  }

  /** Route by a new partition count (the topic grew); open batches are closed first. */
  setPartitionCount(n: number): void {
    if (n === this.partitions) return;
    this.flush();
    this.partitions = n;
    this.open = [];
  }

  /** Close the batch: its first `length` encoded bytes (default all) are its records. */
  private seal(p: number, b: OpenBatch, trigger: SealTrigger, length = b.records.length): void {
    const o = this.o;
    const base = BigInt(b.baseSec) * NS_BIG + BigInt(b.baseNsec);
    const env = this.enc.envelope([o.agentId, o.interfaceName, o.linkType, o.agentRun, o.nextBatchSeq(), base, o.sampleRate]);
    const value = Buffer.allocUnsafe(10 + env.length + 10 + b.records.length + 1);
    this.enc.header.copy(value, 0);
    env.copy(value, 10);
    let pos = writeLong(value, 10 + env.length, b.count);
    b.records.copyTo(value, pos);
    pos += length;
    value[pos++] = 0; // end of the records array (over the record left out, if any)
    const batch: SealedBatch = {
      partition: p, partitionCount: this.partitions, records: b.count, sealedAt: Date.now(),
      key: this.key, value: value.subarray(0, pos),
    };
    b.records.reset();
    b.count = 0;
    this.active--;
    o.onSealed(batch, trigger);
  }
}
