/**
 * One PacketBatch message in, its EnrichedBatch messages out: the worker's
 * hot path, record by record. The message is first read whole into pooled
 * record objects (so a malformed message is refused before any record
 * touches the Dissector's state, and reading allocates nothing per record
 * but payload views); then each record is dissected and written into the
 * message of its target partition at once, its packet record copied as bytes
 * from the input (without the payload's bytes unless keepPayload), and
 * forgotten. Nothing of a record outlives it, so the garbage collector finds
 * nothing alive to copy, which is where the batch-at-a-time path
 * (decodePacketBatch → dissectBatch → encodeEnrichedBatch) spends much of
 * its time.
 *
 * The messages are byte-identical to what the batch-at-a-time path and
 * EnrichedRouter produce for the same input (tests compare them on every
 * public capture). Messages of an earlier PacketBatch schema version take
 * that path.
 */
import {
  AvroCodec, AvroValueError, compileReader, EnrichedBatchWriter, RecordRouter, SCHEMA_NAMES, type CompiledReader, type EnrichedRecord,
  type PacketBatch, type PassThrough,
} from '@streamlens/common';
import { decodeError, DissectorBatchCodec, encodeError, HEADER_LEN } from './batch-codec.js';
import type { Dissector } from './dissect.js';
import { EnrichedRouter, type RoutedMessage } from './enriched-router.js';
import { PacketBytes } from './packet-bytes.js';

export interface DissectedMessage {
  /** Records read (and dissected). */
  records: number;
  /** The enriched messages, one per target partition, in the order their first record appeared. */
  messages: RoutedMessage[];
}

const EMPTY = Buffer.alloc(0);

export class MessageDissector {
  private readonly reader: CompiledReader<PacketBatch> | null;
  private readonly writers: EnrichedBatchWriter[] = [];
  private readonly bytes = new PacketBytes(EMPTY, []);
  /** The batch-at-a-time path, for messages of other schema versions. */
  private readonly batchCodec: DissectorBatchCodec;
  private readonly batchRouter: EnrichedRouter;
  private readonly dropPayload: boolean;
  // State of the message being dissected (read by `sink`, a method bound once).
  private batch: PacketBatch | null = null;
  private router: RecordRouter | null = null;
  private order: number[] = [];
  private index = 0;
  private readonly copier: PassThrough;

  constructor(readonly dissector: Dissector, readonly codec: AvroCodec = AvroCodec.forStreamLens(), public partitionCount = 1) {
    this.reader = compileReader<PacketBatch>(codec.type(SCHEMA_NAMES.packetBatch), {
      reuse: true,
      spans: { path: 'records[]', field: 'payload' },
    });
    this.batchCodec = new DissectorBatchCodec(codec);
    this.batchRouter = new EnrichedRouter(this.batchCodec, partitionCount);
    this.dropPayload = !dissector.settings.keepPayload;
    const bytes = this.bytes;
    const drop = this.dropPayload;
    this.copier = {
      size: (value: unknown): number => (value === this.batch!.records[this.index] ? bytes.select(this.index, drop) : -1),
      write: (buf: Buffer, at: number): void => bytes.write(buf, at),
    };
  }

  /**
   * Dissect one message. Throws AvroSchemaError (not a PacketBatch of a known
   * schema) or AvroDecodeError (a body that does not decode) before any
   * record is dissected; the caller sends such a message to the DLQ.
   */
  dissect(message: Buffer): DissectedMessage {
    const reader = this.reader;
    if (reader === null || !this.batchCodec.isCurrentPacketBatch(message)) return this.batchAtATime(message);
    const body = message.subarray(HEADER_LEN);
    let batch: PacketBatch;
    try {
      batch = reader.read(body);
    } catch (err) {
      throw decodeError(err, body);
    }
    this.bytes.reset(body, reader.spans);
    this.batch = batch;
    this.router = this.partitionCount > 1 ? this.batchRouter.routerFor(batch.agent_id, batch.interface) : null;
    this.order = [];
    try {
      this.dissector.dissectEach(batch, this.sink);
    } catch (err) {
      for (const partition of this.order) this.writers[partition].abort();
      throw err;
    } finally {
      this.batch = null;
    }
    const key = `${batch.agent_id}/${batch.interface}`;
    const messages = this.order.map((partition) => ({ partition, key, value: this.writers[partition].finish() }));
    return { records: batch.records.length, messages };
  }

  /** Writes one enriched record into its partition's message (bound once: no closure per message). */
  private readonly sink = (out: EnrichedRecord, i: number): void => {
    const partition = this.router === null ? 0 : this.router.partitionOf(out.packet, this.partitionCount);
    let w = this.writers[partition];
    if (w === undefined) w = this.writers[partition] = new EnrichedBatchWriter(this.codec);
    if (!w.isOpen) {
      w.begin(this.batch!);
      this.order.push(partition);
    }
    this.index = i;
    for (;;) {
      try {
        w.add(out, this.copier);
        return;
      } catch (err) {
        // A protocol section the contract cannot carry is dropped (the Dissector marks and counts the record), and
        // the record written again: a failed add writes nothing. Anything else is a bug the message fails on.
        if (!(err instanceof AvroValueError)) throw err;
        if (!this.dissector.dropUnwritableSection(out, this.batch!.link_type, err)) throw encodeError(err);
      }
    }
  };

  /** Decode whole, dissect whole, route (messages of another PacketBatch version). */
  private batchAtATime(message: Buffer): DissectedMessage {
    const batch = this.batchCodec.decodePacketBatch(message);
    const out = this.dissector.dissectBatch(batch);
    this.batchRouter.partitionCount = this.partitionCount;
    return { records: batch.records.length, messages: this.batchRouter.route(out, batch) };
  }
}
