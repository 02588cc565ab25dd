/**
 * The dissector's message codec: PacketBatch in, EnrichedBatch out, as Avro
 * single-object messages byte-identical to AvroCodec's, through the reader
 * and writer compiled from the contracts (@streamlens/common's
 * compileReader / compileWriter). Messages written with another PacketBatch
 * schema version go through AvroCodec with its schema resolution. Errors are
 * AvroCodec's: AvroSchemaError (not our message), AvroDecodeError (a known
 * schema whose body does not decode), AvroEncodeError (a value that does not
 * fit the schema, naming the field). Decoded records share read-only values:
 * empty bytes and arrays, short strings, and IPv4 addresses (as the capture
 * agent's decoder shares them too).
 *
 * Pass-through: every enriched record carries its packet record unchanged
 * (only the payload is dropped), so re-encoding ~36 fields per record is
 * wasted work. `encodeEnrichedBatch(out, from)`, given the PacketBatch this
 * codec decoded and that `out` was dissected from, copies each packet
 * record's bytes from the input message instead (leaving out the payload's
 * bytes when the record's payload was dropped). It relies on what the
 * Dissector guarantees: one output record per input record, in order, and
 * packet fields never changed except the payload; a record whose packet is
 * neither the input object nor its payload-less copy is encoded field by field.
 */
import {
  AvroBodyError, AvroCodec, AvroDecodeError, AvroEncodeError, AvroValueError, compileReader, compileWriter, SCHEMA_NAMES, SINGLE_OBJECT_MARKER,
  type CompiledReader, type CompiledWriter, type EnrichedBatch, type PacketBatch, type PacketRecord, type PassThrough,
} from '@streamlens/common';
import { PacketBytes } from './packet-bytes.js';

export const HEADER_LEN = 10;

/** The single-object header of messages of schema `name`. */
export function messageHeader(codec: AvroCodec, name: string): Buffer {
  const h = Buffer.alloc(HEADER_LEN);
  SINGLE_OBJECT_MARKER.copy(h, 0);
  h.writeBigUInt64LE(BigInt(`0x${codec.fingerprint(name)}`), 2);
  return h;
}

/** Bytes fields of a packet record that hold IP addresses. */
export const ADDRESS_FIELDS = ['src_ip', 'dst_ip', 'arp.sender_ip', 'arp.target_ip', 'igmp.group'] as const;

/** Where each packet record of a decoded message lies: [start, payloadStart, payloadEnd, end] per record. */
interface RawSource {
  body: Buffer;
  offsets: number[];
}

/** An AvroDecodeError for a body the compiled reader refused. */
export function decodeError(err: unknown, body: Buffer): unknown {
  if (!(err instanceof AvroBodyError)) return err;
  return new AvroDecodeError(`malformed Avro body for ${SCHEMA_NAMES.packetBatch} (${body.length} bytes): ${err.message}`,
    SCHEMA_NAMES.packetBatch, { cause: err });
}

/** An AvroEncodeError naming the field of a value the compiled writer refused. */
export function encodeError(err: unknown): unknown {
  if (!(err instanceof AvroValueError)) return err;
  return new AvroEncodeError(`value does not match Avro schema ${SCHEMA_NAMES.enrichedBatch}: ${err.message}`, SCHEMA_NAMES.enrichedBatch, [err.path]);
}

export class DissectorBatchCodec {
  readonly packetHeader: Buffer;
  private readonly readPacketBatch: CompiledReader<PacketBatch> | null;
  private readonly writeEnrichedBatch: CompiledWriter | null;
  private readonly sources = new WeakMap<PacketBatch, RawSource>();
  /** Packet records copied from the input message rather than re-encoded (diagnostics, tests). */
  passedThrough = 0;

  constructor(readonly codec: AvroCodec = AvroCodec.forStreamLens()) {
    this.packetHeader = messageHeader(codec, SCHEMA_NAMES.packetBatch);
    this.readPacketBatch = compileReader<PacketBatch>(codec.type(SCHEMA_NAMES.packetBatch), {
      spans: { path: 'records[]', field: 'payload' },
      addressPaths: ADDRESS_FIELDS.map((f) => `records[].${f}`),
      sharedEmptyArrays: true,
    });
    this.writeEnrichedBatch = compileWriter(codec.type(SCHEMA_NAMES.enrichedBatch), messageHeader(codec, SCHEMA_NAMES.enrichedBatch),
      { passPath: 'records[].packet' });
  }

  /** Whether both directions run compiled (false means AvroCodec serves them). */
  get compiled(): boolean {
    return this.readPacketBatch !== null && this.writeEnrichedBatch !== null;
  }

  /** Whether `message` was written with the current PacketBatch schema (the compiled reader's). */
  isCurrentPacketBatch(message: Buffer): boolean {
    return message.length >= HEADER_LEN && message.compare(this.packetHeader, 0, HEADER_LEN, 0, HEADER_LEN) === 0;
  }

  decodePacketBatch(message: Buffer): PacketBatch {
    const read = this.readPacketBatch;
    if (read !== null && this.isCurrentPacketBatch(message)) {
      const body = message.subarray(HEADER_LEN);
      let batch: PacketBatch;
      try {
        batch = read.read(body);
      } catch (err) {
        throw decodeError(err, body);
      }
      this.sources.set(batch, { body, offsets: read.spans.slice() });
      return batch;
    }
    return this.codec.decode<PacketBatch>(message, SCHEMA_NAMES.packetBatch).value;
  }

  /**
   * The EnrichedBatch message. `from`: the PacketBatch (decoded by this codec)
   * that `batch` was dissected from, to copy packet records instead of
   * re-encoding them.
   */
  encodeEnrichedBatch(batch: EnrichedBatch, from?: PacketBatch): Buffer {
    const write = this.writeEnrichedBatch;
    if (write === null) return this.codec.encode(SCHEMA_NAMES.enrichedBatch, batch);
    try {
      return write(batch, from === undefined ? null : this.passThrough(batch, from));
    } catch (err) {
      throw encodeError(err);
    }
  }

  private passThrough(batch: EnrichedBatch, from: PacketBatch): PassThrough | null {
    const src = this.sources.get(from);
    const inputs = from.records;
    if (src === undefined || inputs.length !== batch.records.length || src.offsets.length !== 4 * inputs.length) return null;
    const bytes = new PacketBytes(src.body, src.offsets);
    let i = -1;
    return {
      size: (value: unknown): number => {
        i++;
        const orig = inputs[i];
        const pkt = value as PacketRecord;
        let n: number;
        if (pkt === orig) n = bytes.select(i, false);
        else if (pkt !== null && typeof pkt === 'object' && pkt.payload !== undefined && pkt.payload.length === 0
            && pkt.frame_no === orig.frame_no && pkt.ts_offset_ns === orig.ts_offset_ns) n = bytes.select(i, true);
        else return -1;
        this.passedThrough++;
        return n;
      },
      write: (buf: Buffer, at: number): void => bytes.write(buf, at),
    };
  }
}
