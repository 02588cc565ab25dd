/**
 * The Dissector: PacketBatch in, EnrichedBatch out, one record at a time, in
 * order. It is the pure stage the Kafka service and the embedded mode wrap.
 *
 * - Each record is classified (classify.ts) and gets cast, protocols, errors
 *   and its protocol section. The payload bytes are dropped from the output
 *   unless keepPayload is set (payload_len stays; the packets topic keeps the
 *   bytes).
 * - A bug on one record never stops the batch: the exception is caught, the
 *   record goes out with `dissector.internal: <message>` in errors, classified
 *   from its own fields (UDP/TCP/ICMP/...; classified_by "fallback"), and the
 *   internal-error counter moves.
 * - Memory across records is bounded: the flows known as Chapter 10, the TFTP
 *   transfers, and the Chapter 10 reassembler all have caps, and their
 *   evictions are counted.
 *
 * Metrics (registry prefix streamlens_dissect_): records in/out, records by
 * frame-type family, errors by code, internal errors, cache entries and
 * evictions, Chapter 10 reassembly outcomes.
 */
import {
  AvroCodec, type AvroValueError, compileValidator, MetricsRegistry, SCHEMA_NAMES, type Counter, type CounterChild, type EnrichedBatch, type EnrichedRecord, type Gauge,
  type Logger, type PacketBatch, type PacketRecord,
} from '@streamlens/common';
import { BoundedMap } from './bounded-map.js';
import { castOf } from './cast.js';
import { classify, classifyTransport, type ClassifyContext } from './classify.js';
import { dissectorSettings, type DissectorSettings } from './dissector-options.js';
import { frameTypeFamily } from './frame-types.js';
import { addError, NO_ERRORS, singleFrameType } from './record-lists.js';
import { Ch10Reassembler, type Ch10ReassemblyStats } from './protocols/chapter10/index.js';
import { IenaSequenceTracker } from './protocols/iena/index.js';
import { TftpTransfers } from './protocols/standard/index.js';

const EMPTY = Buffer.alloc(0);
/** Placeholder until classification sets frame_types (never emitted). */
const EMPTY_LIST: string[] = [];
/** Distinct error codes counted by label; beyond this they count as "other" (labels must stay bounded). */
const MAX_ERROR_LABELS = 512;
const MAX_INTERNAL_MESSAGE = 200;

export interface DissectorInit extends Partial<DissectorSettings> {
  /** Where the dissector's metrics are registered (default: its own registry). */
  registry?: MetricsRegistry;
  /** Internal errors are logged here (the first 10, then every 1000th). */
  logger?: Logger;
}

type ReassemblyCounter = Exclude<keyof Ch10ReassemblyStats, 'open' | 'bufferedBytes'>;
const REASSEMBLY_COUNTERS: readonly ReassemblyCounter[] = [
  'started', 'completed', 'segments', 'reordered', 'orphans', 'duplicates', 'aborted', 'superseded', 'timeouts', 'evictions', 'tooLarge',
];

export class DissectorMetrics {
  readonly recordsIn: Counter;
  readonly recordsOut: Counter;
  readonly frames: Counter;
  readonly errors: Counter;
  readonly internalErrors: Counter;
  readonly cacheEvictions: Counter;
  readonly cacheEntries: Gauge;
  readonly reassembly: Counter;

  constructor(readonly registry: MetricsRegistry) {
    this.recordsIn = registry.counter('records_in_total', 'packet records given to the dissector');
    this.recordsOut = registry.counter('records_out_total', 'enriched records produced (one per record in, always)');
    this.frames = registry.counter('frames_total', 'records by frame-type family (CH10 for TMATS/CH10-*, PTP, IENA, else the frame type)', ['family']);
    this.errors = registry.counter('errors_total', 'error codes put on records (agent decode errors and dissection errors), by code', ['code']);
    this.internalErrors = registry.counter('internal_errors_total', 'records on which the dissector itself failed (marked dissector.internal, classified by the fallback)');
    this.cacheEvictions = registry.counter('cache_evictions_total', 'entries forgotten by a bounded memory to make room, by cache (ch10_flows, iena_sequences, tftp_transfers)', ['cache']);
    this.cacheEntries = registry.gauge('cache_entries', 'entries held by a bounded memory, by cache (ch10_flows, iena_sequences, tftp_transfers, ch10_reassembly)', ['cache']);
    this.reassembly = registry.counter('ch10_reassembly_total', 'segmented Chapter 10 transfers, by event (started, completed, segments, reordered, orphans, duplicates, aborted, superseded, timeouts, evictions, tooLarge)', ['event']);
  }
}

/**
 * The protocol sections a record carries must be encodable: one value the
 * contract cannot carry (an int past 32 bits, a long past ±2^53, a missing
 * field) would make the whole batch unencodable. Checked against the schema
 * (compiled validators, type and range tests only) for the sections the
 * protocol dissectors build. A failure is a dissector bug on this record: the
 * section is dropped and the record says why; its classification stands
 * (EtherType 0x88F7 stays PTP). The streaming path (dissectEach) runs no
 * validator: the writer's own checks find the same value, with the same path,
 * when it writes the record (dropUnwritableSection).
 */
type SectionCheck = (value: unknown) => string | null;

function sectionValidators(): { ch10: SectionCheck; ptp: SectionCheck; iena: SectionCheck } {
  const codec = AvroCodec.forStreamLens();
  const record = (codec.type(SCHEMA_NAMES.enrichedBatch) as unknown as { fields: { name: string; type: { itemsType: { fields: { name: string; type: unknown }[] } } }[] })
    .fields.find((f) => f.name === 'records')!.type.itemsType;
  const of = (name: string): SectionCheck => {
    const t = record.fields.find((f) => f.name === name)!.type as Parameters<typeof compileValidator>[0];
    return compileValidator(t, { rootPath: name }) ?? (() => null);
  };
  return { ch10: of('ch10'), ptp: of('ptp'), iena: of('iena') };
}

let validators: ReturnType<typeof sectionValidators> | undefined;

/** The message for the first section that cannot be encoded (that section is dropped), or null. */
function checkEncodable(out: EnrichedRecord): string | null {
  if (out.ch10 === null && out.ptp === null && out.iena === null) return null;
  validators ??= sectionValidators();
  let bad: string | null = null;
  if (out.ch10 !== null && (bad = validators.ch10(out.ch10)) !== null) out.ch10 = null;
  else if (out.ptp !== null && (bad = validators.ptp(out.ptp)) !== null) out.ptp = null;
  else if (out.iena !== null && (bad = validators.iena(out.iena)) !== null) out.iena = null;
  return bad === null ? null : unencodableMessage(bad);
}

function unencodableMessage(path: string): string {
  return `${path} holds a value the enriched contract cannot carry`;
}

/** Epoch ms of an epoch-ns base time (exact to the ns fraction a double holds). */
function epochMs(base: bigint): number {
  return Number(base / 1_000_000n) + Number(base % 1_000_000n) / 1e6;
}

export class Dissector {
  readonly settings: DissectorSettings;
  readonly metrics: DissectorMetrics;
  private readonly ctx: ClassifyContext;
  private readonly logger?: Logger;
  private readonly familyChildren = new Map<string, CounterChild>();
  private readonly errorChildren = new Map<string, CounterChild>();
  private readonly reassemblySeen: Record<ReassemblyCounter, number>;
  private readonly evictionsSeen = { ch10: 0, tftp: 0, iena: 0 };
  private internalCount = 0;

  constructor(init: DissectorInit = {}) {
    const defaults = dissectorSettings();
    this.settings = { ...defaults, ...Object.fromEntries(Object.entries(init).filter(([k, v]) => v !== undefined && k in defaults)) };
    const s = this.settings;
    this.logger = init.logger;
    this.metrics = new DissectorMetrics(init.registry ?? new MetricsRegistry('streamlens_dissect_'));
    this.ctx = {
      ch10Ports: new Set(s.ch10Ports),
      ptpPorts: new Set(s.ptpPorts),
      iena: {
        keyTypes: s.ienaKeyTypes,
        ports: new Set(s.ienaPorts),
        ...(s.ienaSequenceMemory > 0 ? { sequences: new IenaSequenceTracker(s.ienaSequenceMemory) } : {}),
      },
      ch10Flows: new BoundedMap<number, string | null>(s.ch10FlowMemory),
      reassembler: s.ch10Reassembly === null ? null : new Ch10Reassembler(s.ch10Reassembly),
      tftp: s.tftpMemory > 0 ? new TftpTransfers(s.tftpMemory) : null,
    };
    this.reassemblySeen = Object.fromEntries(REASSEMBLY_COUNTERS.map((k) => [k, 0])) as Record<ReassemblyCounter, number>;
  }

  /** Enrich every record of a batch (the header is copied; records stay in order, none is dropped). */
  dissectBatch(batch: PacketBatch): EnrichedBatch {
    const baseMs = epochMs(batch.base_ts_ns);
    const input = batch.records;
    const records: EnrichedRecord[] = new Array(input.length);
    this.metrics.recordsIn.inc(input.length);
    for (let i = 0; i < input.length; i++) {
      const p = input[i];
      records[i] = this.dissectRecord(p, batch.link_type, baseMs + (p ? p.ts_offset_ns : 0) / 1e6);
    }
    this.metrics.recordsOut.inc(records.length);
    this.syncMemoryMetrics();
    return {
      agent_id: batch.agent_id,
      interface: batch.interface,
      link_type: batch.link_type,
      agent_run: batch.agent_run,
      batch_seq: batch.batch_seq,
      base_ts_ns: batch.base_ts_ns,
      sample_rate: batch.sample_rate,
      records,
    };
  }

  /**
   * Enrich every record of a batch in order, handing each to `sink` as soon
   * as it is done: the streaming path, where the sink encodes the record at
   * once and keeps nothing (MessageDissector). Unlike dissectBatch, each
   * record's packet is the input record itself, payload included, whatever
   * keepPayload says: the sink drops the payload's bytes as it writes. The
   * protocol sections are not checked against the contract beforehand (the
   * check costs as much as writing them): a sink whose write fails with an
   * AvroValueError hands it to dropUnwritableSection, and writes again.
   */
  dissectEach(batch: PacketBatch, sink: (out: EnrichedRecord, index: number) => void): void {
    const baseMs = epochMs(batch.base_ts_ns);
    const input = batch.records;
    const linkType = batch.link_type;
    this.metrics.recordsIn.inc(input.length);
    for (let i = 0; i < input.length; i++) {
      const p = input[i];
      sink(this.enrich(p, linkType, baseMs + p.ts_offset_ns / 1e6, false, false), i);
    }
    this.metrics.recordsOut.inc(input.length);
    this.syncMemoryMetrics();
  }

  /** Enrich one record; `timeMs` is its capture time (epoch ms), used by time-dependent decoding. */
  dissectRecord(p: PacketRecord, linkType: number, timeMs: number): EnrichedRecord {
    return this.enrich(p, linkType, timeMs, !this.settings.keepPayload, true);
  }

  /**
   * dissectEach's check, after the fact: writing `out` failed with `err`. When
   * `err` names a value in its ch10, ptp or iena section, that section is
   * dropped and the record marked and counted exactly as a checked record
   * would be (true: write it again). False for anything else: a bug the
   * caller surfaces.
   */
  dropUnwritableSection(out: EnrichedRecord, linkType: number, err: AvroValueError): boolean {
    const end = err.path.search(/[.[]/);
    const section = end < 0 ? err.path : err.path.slice(0, end);
    if ((section !== 'ch10' && section !== 'ptp' && section !== 'iena') || out[section] === null) return false;
    out[section] = null;
    this.sectionDropped(out.packet, linkType, out, unencodableMessage(err.path));
    this.countError(out.errors[out.errors.length - 1]);
    return true;
  }

  /**
   * Classification, sections, errors and counts of one record. `packet` is `p`
   * itself, or with `dropPayload` a copy of it without the payload's bytes.
   * `check`: drop a protocol section the contract cannot carry
   * (checkEncodable) now, for callers that write the record later.
   */
  private enrich(p: PacketRecord, linkType: number, timeMs: number, dropPayload: boolean, check: boolean): EnrichedRecord {
    const out: EnrichedRecord = {
      packet: p, frame_type: '', frame_types: EMPTY_LIST, protocols: [], errors: NO_ERRORS, cast: 'unicast',
      ch10: null, ptp: null, iena: null, app: null, classified_by: '',
    };
    try {
      out.cast = castOf(p);
      classify(p, linkType, out, this.ctx, timeMs);
      if (check) {
        const unencodable = checkEncodable(out);
        if (unencodable !== null) this.sectionDropped(p, linkType, out, unencodable);
      }
      if (out.frame_types === EMPTY_LIST) out.frame_types = singleFrameType(out.frame_type);
      if (dropPayload && p.payload.length > 0) out.packet = { ...p, payload: EMPTY };
    } catch (err) {
      this.fallback(p, linkType, out, err, dropPayload);
    }
    this.count(out);
    return out;
  }

  /** A protocol section the contract cannot carry was dropped: count and mark it like any internal error. */
  private sectionDropped(p: PacketRecord, linkType: number, out: EnrichedRecord, message: string): void {
    this.internalCount++;
    this.metrics.internalErrors.inc();
    if (this.logger && (this.internalCount <= 10 || this.internalCount % 1000 === 0)) {
      this.logger.warn({ frame_no: p.frame_no, link_type: linkType, frame_type: out.frame_type, internal_errors: this.internalCount },
        `dissector produced ${message}; the section was dropped`);
    }
    addError(out, `dissector.internal: ${message}`);
    // A dropped ch10 section leaves its frame_types behind; keep them (they name the packets).
  }

  /** The record as the generic fallback classifies it, marked with the internal error. */
  private fallback(p: PacketRecord, linkType: number, out: EnrichedRecord, err: unknown, dropPayload: boolean): void {
    this.internalCount++;
    this.metrics.internalErrors.inc();
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, MAX_INTERNAL_MESSAGE);
    if (this.logger && (this.internalCount <= 10 || this.internalCount % 1000 === 0)) {
      this.logger.warn({ err, frame_no: p?.frame_no, link_type: linkType, internal_errors: this.internalCount }, 'dissector failed on a record; sent with the fallback classification');
    }
    out.protocols = [];
    out.errors = [];
    out.ch10 = out.ptp = out.iena = out.app = null;
    try {
      if (typeof p.decode_error === 'string') out.errors.push(p.decode_error);
    } catch { /* the record itself is unreadable */ }
    out.errors.push(`dissector.internal: ${message}`);
    try {
      out.cast = castOf(p);
    } catch {
      out.cast = 'unicast';
    }
    try {
      classifyTransport(p, out, 'fallback');
    } catch {
      out.frame_type = 'OTHER';
      out.classified_by = 'fallback';
    }
    out.frame_types = singleFrameType(out.frame_type);
    try {
      if (dropPayload && p.payload?.length > 0) out.packet = { ...p, payload: EMPTY };
    } catch { /* keep the record as it came */ }
  }

  private count(out: EnrichedRecord): void {
    let fam = this.familyChildren.get(out.frame_type);
    if (fam === undefined) {
      fam = this.metrics.frames.labels(frameTypeFamily(out.frame_type));
      this.familyChildren.set(out.frame_type, fam);
    }
    fam.inc();
    const errors = out.errors;
    for (let i = 0; i < errors.length; i++) this.countError(errors[i]);
  }

  private countError(e: string): void {
    let child = this.errorChildren.get(e);
    if (child === undefined) {
      const colon = e.indexOf(':');
      const code = colon < 0 ? e : e.slice(0, colon);
      child = this.metrics.errors.labels(this.errorChildren.size < MAX_ERROR_LABELS ? code : 'other');
      // Messages after ':' vary; cache only plain codes so the map stays bounded.
      if (colon < 0 && this.errorChildren.size < MAX_ERROR_LABELS) this.errorChildren.set(e, child);
    }
    child.inc();
  }

  private syncMemoryMetrics(): void {
    const m = this.metrics;
    const ch10 = this.ctx.ch10Flows;
    m.cacheEntries.set(ch10.size, 'ch10_flows');
    if (ch10.evictions !== this.evictionsSeen.ch10) {
      m.cacheEvictions.labels('ch10_flows').inc(ch10.evictions - this.evictionsSeen.ch10);
      this.evictionsSeen.ch10 = ch10.evictions;
    }
    const seq = this.ctx.iena.sequences;
    if (seq !== undefined) {
      m.cacheEntries.set(seq.size, 'iena_sequences');
      if (seq.evictions !== this.evictionsSeen.iena) {
        m.cacheEvictions.labels('iena_sequences').inc(seq.evictions - this.evictionsSeen.iena);
        this.evictionsSeen.iena = seq.evictions;
      }
    }
    const tftp = this.ctx.tftp;
    if (tftp !== null) {
      m.cacheEntries.set(tftp.size, 'tftp_transfers');
      if (tftp.evictions !== this.evictionsSeen.tftp) {
        m.cacheEvictions.labels('tftp_transfers').inc(tftp.evictions - this.evictionsSeen.tftp);
        this.evictionsSeen.tftp = tftp.evictions;
      }
    }
    const r = this.ctx.reassembler;
    if (r !== null) {
      const st = r.stats();
      m.cacheEntries.set(st.open, 'ch10_reassembly');
      for (const k of REASSEMBLY_COUNTERS) {
        if (st[k] !== this.reassemblySeen[k]) {
          m.reassembly.labels(k).inc(st[k] - this.reassemblySeen[k]);
          this.reassemblySeen[k] = st[k];
        }
      }
    }
  }

  /** Sizes of the bounded memories (tests, diagnostics). */
  memory(): { ch10Flows: number; ch10FlowEvictions: number; tftpTransfers: number; reassembly: Ch10ReassemblyStats | null } {
    return {
      ch10Flows: this.ctx.ch10Flows.size,
      ch10FlowEvictions: this.ctx.ch10Flows.evictions,
      tftpTransfers: this.ctx.tftp?.size ?? 0,
      reassembly: this.ctx.reassembler?.stats() ?? null,
    };
  }
}

