/**
 * The dissector's message codec: PacketBatch in, EnrichedBatch out, as Avro
 * single-object messages byte-identical to AvroCodec's, through readers and
 * writers compiled from the contracts (avro-compiled.ts). Messages written
 * with another PacketBatch schema version (or anything the compiled reader
 * does not cover) go through AvroCodec with its schema resolution. Errors are
 * AvroCodec's: AvroSchemaError (not our message), AvroDecodeError (a known
 * schema whose body does not decode), AvroEncodeError (a value that does not
 * fit the schema, naming the field). Decoded records share read-only values:
 * empty bytes and arrays, and IPv4 addresses (as the capture agent's decoder
 * shares them too).
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
  AvroCodec, AvroDecodeError, AvroEncodeError, SCHEMA_NAMES, SINGLE_OBJECT_MARKER, type EnrichedBatch, type PacketBatch,
  type PacketRecord,
} from '@streamlens/common';
import {
  CompiledAvroError, compileReader, compileWriter, growSink, type CompiledReader, type CompiledSink, type CompiledWriter, type PassThrough,
} from './avro-compiled.js';

const HEADER_LEN = 10;

function header(codec: AvroCodec, name: string): Buffer {
  const h = Buffer.alloc(HEADER_LEN);
  SINGLE_OBJECT_MARKER.copy(h, 0);
  h.writeBigUInt64LE(BigInt(`0x${codec.fingerprint(name)}`), 2);
  return h;
}

/** Where each packet record of a decoded message lies: [start, payloadStart, payloadEnd, end] per record. */
interface RawSource {
  body: Buffer;
  offsets: number[];
}

export class DissectorBatchCodec {
  private readonly packetHeader: Buffer;
  private readonly enrichedHeader: Buffer;
  private readonly readPacketBatch: CompiledReader<PacketBatch> | undefined;
  private readonly writeEnrichedBatch: CompiledWriter | undefined;
  /** Size of the last message written: the next one starts with a buffer a bit larger. */
  private lastSize = 1 << 16;
  private readonly sources = new WeakMap<PacketBatch, RawSource>();
  /** Packet records copied from the input message rather than re-encoded (diagnostics, tests). */
  passedThrough = 0;

  constructor(readonly codec: AvroCodec = AvroCodec.forStreamLens()) {
    this.packetHeader = header(codec, SCHEMA_NAMES.packetBatch);
    this.enrichedHeader = header(codec, SCHEMA_NAMES.enrichedBatch);
    this.readPacketBatch = compileReader<PacketBatch>(codec.type(SCHEMA_NAMES.packetBatch), {
      rawPath: 'records[]', rawField: 'payload',
      addressPaths: ['records[].src_ip', 'records[].dst_ip', 'records[].arp.sender_ip', 'records[].arp.target_ip', 'records[].igmp.group'],
    });
    this.writeEnrichedBatch = compileWriter(codec.type(SCHEMA_NAMES.enrichedBatch), { passPath: 'records[].packet' });
  }

  /** Whether both directions run compiled (false means AvroCodec serves them). */
  get compiled(): boolean {
    return this.readPacketBatch !== undefined && this.writeEnrichedBatch !== undefined;
  }

  decodePacketBatch(message: Buffer): PacketBatch {
    const read = this.readPacketBatch;
    if (read !== undefined && message.length >= HEADER_LEN && message.compare(this.packetHeader, 0, HEADER_LEN, 0, HEADER_LEN) === 0) {
      const body = message.subarray(HEADER_LEN);
      const offsets: number[] = [];
      let batch: PacketBatch;
      try {
        batch = read(body, offsets);
      } catch (err) {
        if (!(err instanceof CompiledAvroError)) throw err;
        throw new AvroDecodeError(`malformed Avro body for ${SCHEMA_NAMES.packetBatch} (${body.length} bytes): ${err.message}`,
          SCHEMA_NAMES.packetBatch, { cause: err });
      }
      this.sources.set(batch, { body, offsets });
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
    if (write === undefined) return this.codec.encode(SCHEMA_NAMES.enrichedBatch, batch);
    // Written in place into the message's own buffer (no copy at the end); the unused tail is small.
    const s: CompiledSink = { buf: Buffer.allocUnsafe(this.lastSize + (this.lastSize >> 3) + 4096), pos: HEADER_LEN };
    this.enrichedHeader.copy(s.buf, 0);
    try {
      write(batch, s, from === undefined ? null : this.passThrough(batch, from));
    } catch (err) {
      if (!(err instanceof CompiledAvroError)) throw err;
      const path = /^field (\S+)/.exec(err.message)?.[1] ?? '';
      throw new AvroEncodeError(`value does not match Avro schema ${SCHEMA_NAMES.enrichedBatch}: ${err.message}`, SCHEMA_NAMES.enrichedBatch, [path]);
    }
    this.lastSize = s.pos;
    return s.buf.subarray(0, s.pos);
  }

  private passThrough(batch: EnrichedBatch, from: PacketBatch): PassThrough | null {
    const src = this.sources.get(from);
    const inputs = from.records;
    if (src === undefined || inputs.length !== batch.records.length || src.offsets.length !== 4 * inputs.length) return null;
    const { body, offsets } = src;
    return (i: number, value: unknown, s: CompiledSink): boolean => {
      const orig = inputs[i];
      const pkt = value as PacketRecord;
      const o = 4 * i;
      if (pkt === orig) {
        const n = offsets[o + 3] - offsets[o];
        body.copy(growSink(s, n), s.pos, offsets[o], offsets[o + 3]);
        s.pos += n;
      } else if (pkt !== null && typeof pkt === 'object' && pkt.payload !== undefined && pkt.payload.length === 0
          && pkt.frame_no === orig.frame_no && pkt.ts_offset_ns === orig.ts_offset_ns) {
        const head = offsets[o + 1] - offsets[o];
        const tail = offsets[o + 3] - offsets[o + 2];
        const buf = growSink(s, head + tail + 1);
        body.copy(buf, s.pos, offsets[o], offsets[o + 1]);
        buf[s.pos + head] = 0; // zero-length payload
        body.copy(buf, s.pos + head + 1, offsets[o + 2], offsets[o + 3]);
        s.pos += head + 1 + tail;
      } else {
        return false;
      }
      this.passedThrough++;
      return true;
    };
  }
}
