/**
 * Packs decoded records into PacketBatch messages, one open batch per
 * partition of one capture interface.
 *
 * Each record is Avro-encoded into its batch's buffer the moment it is added,
 * so the record object can be reused for the next frame and nothing of the
 * capture buffer is kept (cap hands every frame over in the same Buffer).
 * Closing a batch writes the envelope (agent, interface, run, sequence, base
 * time, sample rate) in front of the encoded records: one allocation per
 * message, none per record.
 *
 * A batch closes when it holds `maxRecords`, when the next record would take
 * it past `maxBytes`, when it has been open `lingerMs`, or on flush.
 */
import type avro from 'avsc';
import { AvroCodec, SCHEMA_NAMES, type PacketRecord, RecordRouter } from '@streamlens/common';
import type { SealTrigger } from './agent-metrics.js';
import { compileRecordWriter, type RecordWriter, type WriteTarget } from './record-writer.js';
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
  /** Writes one record at `pos` of the target's buffer (growing it), returns the end. */
  readonly writeRecord: RecordWriter;
  private readonly fieldTypes: avro.Type[];

  constructor(codec: AvroCodec) {
    const type = codec.type(SCHEMA_NAMES.packetBatch) as avro.types.RecordType;
    const names = type.fields.map((f) => f.name).join(',');
    if (names !== 'agent_id,interface,link_type,agent_run,batch_seq,base_ts_ns,sample_rate,records') {
      throw new Error(`PacketBatch fields changed (${names}); update the batch envelope writer`);
    }
    this.fieldTypes = type.fields.slice(0, 7).map((f) => f.type);
    this.recordType = (type.fields[7].type as avro.types.ArrayType).itemsType;
    this.writeRecord = compileRecordWriter(this.recordType) ?? avscWriter(this.recordType);
    const fp = BigInt(`0x${codec.fingerprint(SCHEMA_NAMES.packetBatch)}`);
    this.header = Buffer.alloc(10);
    this.header[0] = 0xc3;
    this.header[1] = 0x01;
    this.header.writeBigUInt64LE(fp, 2);
  }

  /** Avro body of the envelope fields, in schema order. */
  envelope(values: [string, string, number, string, number, bigint, number]): Buffer {
    const parts = values.map((v, i) => this.fieldTypes[i].toBuffer(v));
    return Buffer.concat(parts);
  }
}

/** avsc's generic writer, for schemas the compiled writer does not handle. */
function avscWriter(type: avro.Type): RecordWriter {
  return (value, target, pos) => {
    let end = type.encode(value, target.buf, pos);
    if (end < 0) {
      const need = target.buf.length - end;
      const grown = Buffer.allocUnsafe(Math.max(target.buf.length * 2, need + 1024));
      target.buf.copy(grown, 0, 0, pos);
      target.buf = grown;
      end = type.encode(value, target.buf, pos);
    }
    if (!type.isValid(value)) throw new Error('record does not match the PacketRecord schema');
    return end;
  };
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

class OpenBatch implements WriteTarget {
  buf: Buffer;
  pos = 0;
  count = 0;
  baseSec = 0;
  baseNsec = 0;
  openedAt = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
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
      b = new OpenBatch(Math.min(64 * 1024, this.o.maxBytes));
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
    let end: number;
    try {
      end = this.encodeInto(b, rec);
    } catch (err) {
      if (b.count === 0) this.active--;
      throw err;
    }
    if (end + this.envelopeReserve > this.o.maxBytes && b.count > 0) {
      // This record would take the batch past its byte limit: close the batch
      // without it and start the next one with it (its time is the new base).
      this.seal(p, b, 'bytes');
      b.baseSec = tsSec;
      b.baseNsec = tsNsec;
      b.openedAt = now;
      this.active++;
      rec.ts_offset_ns = 0;
      end = this.encodeInto(b, rec);
    }
    b.pos = end;
    b.count++;
    if (b.count >= this.o.maxRecords) this.seal(p, b, 'records');
  }

  private encodeInto(b: OpenBatch, rec: PacketRecord): number {
    return this.enc.writeRecord(rec, b, b.pos);
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

  private seal(p: number, b: OpenBatch, trigger: SealTrigger): void {
    const o = this.o;
    const base = BigInt(b.baseSec) * NS_BIG + BigInt(b.baseNsec);
    const env = this.enc.envelope([o.agentId, o.interfaceName, o.linkType, o.agentRun, o.nextBatchSeq(), base, o.sampleRate]);
    const value = Buffer.allocUnsafe(10 + env.length + 10 + b.pos + 1);
    this.enc.header.copy(value, 0);
    env.copy(value, 10);
    let pos = writeLong(value, 10 + env.length, b.count);
    pos += b.buf.copy(value, pos, 0, b.pos);
    value[pos++] = 0; // end of the records array
    const batch: SealedBatch = {
      partition: p, partitionCount: this.partitions, records: b.count, sealedAt: Date.now(),
      key: this.key, value: value.subarray(0, pos),
    };
    b.pos = 0;
    b.count = 0;
    this.active--;
    o.onSealed(batch, trigger);
  }
}
