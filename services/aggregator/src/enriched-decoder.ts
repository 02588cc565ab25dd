/**
 * Decodes enriched-topic messages into only the fields the aggregator reads.
 *
 * Messages written with the current published io.streamlens.v1.EnrichedBatch
 * go through a reader compiled for exactly that schema with a projection
 * (common's compileReader), which skips everything else (payload bytes, TMATS
 * text, IENA parameters, PTP TLVs) without building objects for it. With
 * stream health on (the default) the integrity fields of Chapter 10, PTP and
 * IENA are read too. Any other writer schema goes
 * through AvroCodec with a pruned reader schema (schema resolution); an
 * unknown one is an AvroSchemaError, a body that does not decode an
 * AvroDecodeError or AvroBodyError, which the service routes to the DLQ.
 */
import {
  AvroCodec, buildPublishedSchemas, compileReader, readSchemaHistory, SCHEMA_NAMES, SINGLE_OBJECT_MARKER, type AvroSchema, type CompiledReader,
} from '@streamlens/common';

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

/** Chapter 10 packet fields stream health reads. */
export interface AggCh10Packet {
  channel_id: number;
  seq: number;
  data_type: number;
  reassembled: boolean;
}

/** TMATS fields the sightings keep (the text itself is skipped). */
export interface AggTmats {
  irig106_release: number;
  format: string;
  config_changed: boolean;
  program_name: string;
  test_article: string;
  irig106_edition: string;
  origination_date: string;
  data_sources: { id: string; type: string }[];
  channels: { recorder_id: string; channel_id: number; data_source_id: string; data_type: string; enabled: boolean; name: string }[];
  attribute_count: number;
  complete: boolean;
}

export interface AggCh10 {
  udp_format: number;
  udp_seq: number | null;
  udp_seq_bits: number;
  packets: AggCh10Packet[];
  tmats: AggTmats | null;
}

export interface AggPtpAnnounce {
  current_utc_offset: number;
  gm_priority1: number;
  gm_clock_class: number;
  gm_clock_accuracy: number;
  gm_offset_scaled_log_variance: number;
  gm_priority2: number;
  gm_identity: string;
  steps_removed: number;
  time_source: number;
}

export interface AggPtp {
  version: number;
  message_type: number;
  domain: number;
  flags: number;
  correction_scaled_ns: number;
  source_clock_id: string;
  source_port: number;
  sequence_id: number;
  log_message_interval: number;
  requesting_clock_id: string | null;
  requesting_port: number | null;
  announce: AggPtpAnnounce | null;
  management_action: number | null;
}

export interface AggIena {
  key: number;
  sequence: number;
}

/** The enriched-record fields the aggregator reads (a subset of EnrichedRecord). */
export interface AggRecord {
  packet: AggPacket;
  frame_type: string;
  protocols: string[];
  errors: string[];
  /** Present (possibly null) when the decoder reads the integrity fields (stream health on). */
  ch10?: AggCh10 | null;
  ptp?: AggPtp | null;
  iena?: AggIena | null;
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
const KEEP_FLOWS: Record<string, readonly string[]> = {
  EnrichedBatch: ['agent_id', 'interface', 'agent_run', 'batch_seq', 'base_ts_ns', 'sample_rate', 'records'],
  EnrichedRecord: ['packet', 'frame_type', 'protocols', 'errors'],
  PacketRecord: ['ts_offset_ns', 'frame_no', 'wire_len', 'eth_src', 'eth_dst', 'ethertype', 'ip_version', 'src_ip', 'dst_ip',
    'ip_proto', 'src_port', 'dst_port', 'tcp_flags', 'dns', 'decode_error'],
  DnsInfo: ['is_response'],
};

/** With stream health: the integrity fields too (docs/stream-health.md). */
const KEEP_HEALTH: Record<string, readonly string[]> = {
  ...KEEP_FLOWS,
  EnrichedRecord: ['packet', 'frame_type', 'protocols', 'errors', 'ch10', 'ptp', 'iena'],
  Ch10Info: ['udp_format', 'udp_seq', 'udp_seq_bits', 'packets', 'tmats'],
  Ch10Packet: ['channel_id', 'seq', 'data_type', 'reassembled'],
  TmatsInfo: ['irig106_release', 'format', 'config_changed', 'program_name', 'test_article', 'irig106_edition', 'origination_date',
    'data_sources', 'channels', 'attribute_count', 'complete'],
  PtpInfo: ['version', 'message_type', 'domain', 'flags', 'correction_scaled_ns', 'source_clock_id', 'source_port', 'sequence_id',
    'log_message_interval', 'requesting_clock_id', 'requesting_port', 'announce', 'management_action'],
  IenaInfo: ['key', 'sequence'],
};

export interface DecoderOptions {
  /** Read the Chapter 10, PTP and IENA integrity fields (default true). */
  streamHealth?: boolean;
}

function shortName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

function prune(schema: unknown, KEEP: Record<string, readonly string[]>): unknown {
  if (Array.isArray(schema)) return schema.map((x) => prune(x, KEEP));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as AvroSchema;
  if (s.type === 'record' && Array.isArray(s.fields)) {
    const keep = KEEP[shortName(String(s.name))];
    const fields = (s.fields as AvroSchema[])
      .filter((f) => !keep || keep.includes(String(f.name)))
      .map((f) => ({ ...f, type: prune(f.type, KEEP) }));
    if (keep) {
      const missing = keep.filter((n) => !(s.fields as AvroSchema[]).some((f) => f.name === n));
      if (missing.length) throw new Error(`the published ${String(s.name)} schema lacks fields the aggregator reads: ${missing.join(', ')}`);
    }
    return { ...s, fields };
  }
  if (s.type === 'array') return { ...s, items: prune(s.items, KEEP) };
  if (s.type === 'map') return { ...s, values: prune(s.values, KEEP) };
  if (typeof s.type === 'object') return { ...s, type: prune(s.type, KEEP) };
  return s;
}

/** The aggregator's reader schema: the published enriched batch, pruned. */
export function aggregatorReaderSchema(options: DecoderOptions = {}): AvroSchema {
  const published = buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch);
  if (!published) throw new Error(`no published schema ${SCHEMA_NAMES.enrichedBatch}`);
  return prune(published, options.streamHealth === false ? KEEP_FLOWS : KEEP_HEALTH) as AvroSchema;
}

export class EnrichedDecoder {
  private readonly codec: AvroCodec;
  private readonly header: Buffer;
  private readonly compiled: CompiledReader<AggBatch>;
  private readonly pooled: CompiledReader<AggBatch>;

  constructor(options: DecoderOptions = {}) {
    const published = buildPublishedSchemas().published.get(SCHEMA_NAMES.enrichedBatch)!;
    const KEEP = options.streamHealth === false ? KEEP_FLOWS : KEEP_HEALTH;
    this.codec = new AvroCodec([aggregatorReaderSchema(options)]);
    this.codec.addWriterSchema(published);
    // Messages of earlier EnrichedBatch versions (an older dissector still draining) resolve too.
    for (const old of readSchemaHistory()) if (old.name === 'EnrichedBatch') this.codec.addWriterSchemaIfNew(old);
    const full = new AvroCodec([published]);
    this.header = Buffer.alloc(10);
    SINGLE_OBJECT_MARKER.copy(this.header, 0);
    this.header.writeBigUInt64LE(BigInt(`0x${full.fingerprint(SCHEMA_NAMES.enrichedBatch)}`), 2);
    const type = full.type(SCHEMA_NAMES.enrichedBatch);
    const reader = (reuse: boolean) => {
      const r = compileReader<AggBatch>(type, { keep: KEEP, reuse });
      if (!r) throw new Error(`no compiled reader for ${SCHEMA_NAMES.enrichedBatch}`);
      return r;
    };
    this.compiled = reader(false);
    this.pooled = reader(true);
  }

  /**
   * Decode one message value into objects reused by the next call of this
   * method (records, packets, arrays, addresses): no allocation per record
   * once warm. The whole message is decoded before it returns, so a malformed
   * one yields nothing. Throws as decode() does.
   */
  decodeReused(value: Buffer): AggBatch {
    if (value.length >= 10 && value.compare(this.header, 0, 10, 0, 10) === 0) return this.pooled.read(value.subarray(10));
    return this.codec.decode<AggBatch>(value, SCHEMA_NAMES.enrichedBatch).value;
  }

  /** Decode one message value; throws AvroSchemaError / AvroDecodeError / AvroBodyError. */
  decode(value: Buffer): AggBatch {
    if (value.length >= 10 && value.compare(this.header, 0, 10, 0, 10) === 0) return this.compiled.read(value.subarray(10));
    return this.codec.decode<AggBatch>(value, SCHEMA_NAMES.enrichedBatch).value;
  }
}
