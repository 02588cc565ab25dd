/**
 * Decodes enriched-topic messages into only the fields the aggregator reads.
 *
 * Messages written with the current published io.streamlens.v1.EnrichedBatch
 * go through a reader compiled for exactly that schema (avro-projection.ts),
 * which skips everything else (payload bytes, Chapter 10 / PTP / IENA
 * bodies) without building objects for it. Any other writer schema goes
 * through AvroCodec with a pruned reader schema (schema resolution); an
 * unknown one is an AvroSchemaError, a body that does not decode an
 * AvroDecodeError or ProjectionError, which the service routes to the DLQ.
 */
import { AvroCodec, buildPublishedSchemas, readSchemaHistory, SCHEMA_NAMES, SINGLE_OBJECT_MARKER, type AvroSchema } from '@streamlens/common';
import { compileProjection, type ProjectionReader } from './avro-projection.js';

/** The packet fields the aggregator reads (a subset of PacketRecord). */
export interface AggPacket {
  ts_offset_ns: number;
  frame_no: number;
  wire_len: number;
  eth_src: number;
  eth_dst: number;
  ethertype: number;
  ip_version: number;
  src_ip: Buffer;
  dst_ip: Buffer;
  ip_proto: number;
  src_port: number;
  dst_port: number;
  tcp_flags: number;
  dns: { is_response: boolean } | null;
  decode_error: string | null;
}

/** The enriched-record fields the aggregator reads (a subset of EnrichedRecord). */
export interface AggRecord {
  packet: AggPacket;
  frame_type: string;
  protocols: string[];
  errors: string[];
}

/** The batch fields the aggregator reads (a subset of EnrichedBatch). */
export interface AggBatch {
  agent_id: string;
  interface: string;
  agent_run: string;
  batch_seq: number;
  base_ts_ns: bigint;
  sample_rate: number;
  records: AggRecord[];
}

/** Fields kept, by record name; records not listed keep all their fields. */
const KEEP: Record<string, readonly string[]> = {
  EnrichedBatch: ['agent_id', 'interface', 'agent_run', 'batch_seq', 'base_ts_ns', 'sample_rate', 'records'],
  EnrichedRecord: ['packet', 'frame_type', 'protocols', 'errors'],
  PacketRecord: ['ts_offset_ns', 'frame_no', 'wire_len', 'eth_src', 'eth_dst', 'ethertype', 'ip_version', 'src_ip', 'dst_ip',
    'ip_proto', 'src_port', 'dst_port', 'tcp_flags', 'dns', 'decode_error'],
  DnsInfo: ['is_response'],
};

function shortName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

function prune(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(prune);
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as AvroSchema;
  if (s.type === 'record' && Array.isArray(s.fields)) {
    const keep = KEEP[shortName(String(s.name))];
    const fields = (s.fields as AvroSchema[])
      .filter((f) => !keep || keep.includes(String(f.name)))
      .map((f) => ({ ...f, type: prune(f.type) }));
    if (keep) {
      const missing = keep.filter((n) => !(s.fields as AvroSchema[]).some((f) => f.name === n));
      if (missing.length) throw new Error(`the published ${String(s.name)} schema lacks fields the aggregator reads: ${missing.join(', ')}`);
    }
    return { ...s, fields };
  }
  if (s.type === 'array') return { ...s, items: prune(s.items) };
  if (s.type === 'map') return { ...s, values: prune(s.values) };
  if (typeof s.type === 'object') return { ...s, type: prune(s.type) };
  return s;
}

/** The aggregator's reader schema: the published enriched batch, pruned. */
export function aggregatorReaderSchema(): AvroSchema {
  const published = buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch);
  if (!published) throw new Error(`no published schema ${SCHEMA_NAMES.enrichedBatch}`);
  return prune(published) as AvroSchema;
}

export class EnrichedDecoder {
  private readonly codec: AvroCodec;
  private readonly header: Buffer;
  private readonly compiled: ProjectionReader<AggBatch>;
  private readonly pooled: ProjectionReader<AggBatch>;

  constructor() {
    const published = buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch)!;
    this.codec = new AvroCodec([aggregatorReaderSchema()]);
    this.codec.addWriterSchema(published);
    // Messages of earlier EnrichedBatch versions (an older dissector still draining) resolve too.
    for (const old of readSchemaHistory()) if (old.name === 'EnrichedBatch') this.codec.addWriterSchemaIfNew(old);
    const full = new AvroCodec([published]);
    this.header = Buffer.alloc(10);
    SINGLE_OBJECT_MARKER.copy(this.header, 0);
    this.header.writeBigUInt64LE(BigInt(`0x${full.fingerprint(SCHEMA_NAMES.enrichedBatch)}`), 2);
    this.compiled = compileProjection<AggBatch>(published, KEEP);
    this.pooled = compileProjection<AggBatch>(published, KEEP, { reuse: true });
  }

  /**
   * Decode one message value into objects reused by the next call of this
   * method (records, packets, arrays, addresses): no allocation per record
   * once warm. The whole message is decoded before it returns, so a malformed
   * one yields nothing. Throws as decode() does.
   */
  decodeReused(value: Buffer): AggBatch {
    if (value.length >= 10 && value.compare(this.header, 0, 10, 0, 10) === 0) return this.pooled(value.subarray(10));
    return this.codec.decode<AggBatch>(value, SCHEMA_NAMES.enrichedBatch).value;
  }

  /** Decode one message value; throws AvroSchemaError / AvroDecodeError / ProjectionError. */
  decode(value: Buffer): AggBatch {
    if (value.length >= 10 && value.compare(this.header, 0, 10, 0, 10) === 0) return this.compiled(value.subarray(10));
    return this.codec.decode<AggBatch>(value, SCHEMA_NAMES.enrichedBatch).value;
  }
}
