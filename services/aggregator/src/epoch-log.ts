/**
 * The ClickHouse side of crash safety: epoch intents and partition
 * checkpoints (tables aggregator_intents and aggregator_checkpoints,
 * schemas/clickhouse/0003_aggregator_epochs.sql), and the plan a new owner
 * of a partition follows to continue exactly.
 *
 * Which intents count is decided by Kafka: the committed offset of a
 * partition carries the id of the newest intent as metadata, and a commit is
 * fenced by the consumer-group generation. Intents chain to their
 * predecessor, so walking back from the committed one to a checkpoint gives
 * exactly the epochs to replay; an intent written by an instance that lost
 * the partition before it could commit is never on that chain.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deflate, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { assertIdentifier, type SqlClient } from '@streamlens/common';
import { withRetry, type RetryHooks, type RetryPolicy } from './backoff.js';
import { healthRowCount, type SealedEpoch } from './partition-aggregator.js';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

/** Base64 characters per checkpoint row. */
const CHUNK_CHARS = 4 * 1024 * 1024;
/** Checkpoint rows per INSERT. */
const CHUNKS_PER_INSERT = 8;

const POINTER_PREFIX = 'streamlens-agg:v1:';

export function pointerMetadata(intentId: string): string {
  return POINTER_PREFIX + intentId;
}

/** The intent id in committed-offset metadata, or null when the metadata is not ours. */
export function parsePointer(metadata: string | null | undefined): string | null {
  return metadata && metadata.startsWith(POINTER_PREFIX) ? metadata.slice(POINTER_PREFIX.length) : null;
}

export function newIntentId(partition: number, epoch: number): string {
  return `${partition}-${epoch}-${randomBytes(6).toString('hex')}`;
}

export interface Intent {
  partition: number;
  epoch: number;
  intentId: string;
  prevIntentId: string;
  startOffset: number | null;
  nextOffset: number | null;
  watermarks: Record<string, string>;
  maxKeys: number;
  params: string;
  messages: number;
  records: number;
  flowRows: number;
  outlierRows: number;
  netflowRows: number;
  /** Rows into stream_health, ptp_events, tmats_sightings and alerts. */
  healthRows: number;
}

export function intentOf(e: SealedEpoch, intentId: string, prevIntentId: string, params: string): Intent {
  return {
    partition: e.partition, epoch: e.epoch, intentId, prevIntentId, startOffset: e.startOffset, nextOffset: e.nextOffset,
    watermarks: e.watermarks, maxKeys: e.maxKeys, params, messages: e.messages, records: e.records,
    flowRows: e.flows.length, outlierRows: e.outliers.length, netflowRows: e.netflow.length, healthRows: healthRowCount(e),
  };
}

export interface CheckpointMeta {
  slot: number;
  epoch: number;
  intentId: string;
  nextOffset: number | null;
  chunks: number;
}

export interface RestorePlan {
  /** Checkpoint to start from (null: empty state). */
  base: CheckpointMeta | null;
  /** Intents after the base, oldest first: their epochs are re-sealed with the recorded values. */
  replay: Intent[];
  /** Newest intent of the chain (the predecessor of the next epoch). */
  head: { intentId: string; epoch: number } | null;
  /** Offset to consume from (null: wherever Kafka starts a new consumer). */
  seekTo: number | null;
  warnings: string[];
}

/**
 * Work out where a partition continues from: `pointer` is the intent id
 * committed in Kafka, `intents` the partition's intents from ClickHouse,
 * `checkpoints` its complete checkpoints.
 */
export function planRestore(pointer: string | null, intents: readonly Intent[], checkpoints: readonly CheckpointMeta[]): RestorePlan {
  const warnings: string[] = [];
  const byId = new Map(intents.map((i) => [i.intentId, i]));
  const cpById = new Map(checkpoints.map((c) => [c.intentId, c]));
  const newestCheckpoint = [...checkpoints].sort((a, b) => b.epoch - a.epoch)[0] ?? null;
  let start: Intent | undefined;
  if (pointer !== null) {
    start = byId.get(pointer);
    if (!start) {
      const cp = cpById.get(pointer);
      if (cp) return { base: cp, replay: [], head: { intentId: cp.intentId, epoch: cp.epoch }, seekTo: cp.nextOffset, warnings };
      warnings.push(`the committed intent ${pointer} is not in ClickHouse; continuing from the newest checkpoint`);
      return fromCheckpoint(newestCheckpoint, warnings);
    }
  } else if (intents.length > 0) {
    start = [...intents].sort((a, b) => b.epoch - a.epoch)[0];
    warnings.push(`no intent is committed in Kafka for this partition (offsets expired?); following the newest intent ${start.intentId}`);
  } else {
    return fromCheckpoint(newestCheckpoint, warnings);
  }
  const chain: Intent[] = [];
  let base: CheckpointMeta | null = null;
  for (let cur: Intent | undefined = start; cur; ) {
    const cp = cpById.get(cur.intentId);
    if (cp) {
      base = cp;
      break;
    }
    chain.unshift(cur);
    if (!cur.prevIntentId) break;
    const prev = byId.get(cur.prevIntentId);
    if (!prev) {
      const prevCp = cpById.get(cur.prevIntentId);
      if (prevCp) {
        base = prevCp;
        break;
      }
      warnings.push(`the intent chain breaks at ${cur.intentId} (its predecessor ${cur.prevIntentId} is gone); ` +
        'continuing from the newest checkpoint without replay');
      return fromCheckpoint(newestCheckpoint, warnings);
    }
    cur = prev;
  }
  let seekTo: number | null = base ? base.nextOffset : null;
  if (!base) {
    const first = chain.find((i) => i.startOffset !== null);
    seekTo = first ? first.startOffset : null;
  }
  return { base, replay: chain, head: { intentId: start.intentId, epoch: start.epoch }, seekTo, warnings };
}

function fromCheckpoint(cp: CheckpointMeta | null, warnings: string[]): RestorePlan {
  return { base: cp, replay: [], head: cp ? { intentId: cp.intentId, epoch: cp.epoch } : null, seekTo: cp ? cp.nextOffset : null, warnings };
}

const num = (v: unknown): number => Number(v);
const offsetOrNull = (v: unknown): number | null => (Number(v) < 0 ? null : Number(v));

export class EpochLog {
  private readonly db: string;

  constructor(
    private readonly sql: SqlClient,
    database: string,
    readonly groupId: string,
    readonly topic: string,
    private readonly retry: RetryPolicy,
    private readonly hooks: RetryHooks = {},
  ) {
    this.db = assertIdentifier(database, 'database name');
  }

  /** Write intents (one INSERT; a retry is deduplicated). */
  async writeIntents(intents: readonly Intent[], memberId: string): Promise<void> {
    if (intents.length === 0) return;
    const rows = intents.map((i) => ({
      group_id: this.groupId, topic: this.topic, kafka_partition: i.partition, epoch: i.epoch, intent_id: i.intentId,
      prev_intent_id: i.prevIntentId, start_offset: i.startOffset ?? -1, next_offset: i.nextOffset ?? -1,
      watermarks: JSON.stringify(i.watermarks), max_keys: i.maxKeys, params: i.params, messages: i.messages, records: i.records,
      flow_rows: i.flowRows, outlier_rows: i.outlierRows, netflow_rows: i.netflowRows, health_rows: i.healthRows, member_id: memberId,
    }));
    const token = 'intents/' + createHash('sha256').update(intents.map((i) => i.intentId).join(',')).digest('hex');
    await withRetry(`INSERT INTO ${this.db}.aggregator_intents`, this.retry,
      () => this.sql.insert(`${this.db}.aggregator_intents`, rows, { dedupToken: token }), this.hooks);
  }

  /** Store a partition's state after `epoch` in slot epoch % 2. Returns the compressed size. */
  async writeCheckpoint(partition: number, epoch: number, intentId: string, nextOffset: number | null, state: Buffer): Promise<number> {
    const packed = (await deflateAsync(state, { level: 1 })).toString('base64');
    const chunks = Math.max(1, Math.ceil(packed.length / CHUNK_CHARS));
    const rows = Array.from({ length: chunks }, (_, chunk) => ({
      group_id: this.groupId, topic: this.topic, kafka_partition: partition, slot: epoch % 2, chunk, epoch, intent_id: intentId,
      next_offset: nextOffset ?? -1, chunks, state_bytes: state.length, data: packed.slice(chunk * CHUNK_CHARS, (chunk + 1) * CHUNK_CHARS),
    }));
    for (let i = 0; i < rows.length; i += CHUNKS_PER_INSERT) {
      const part = rows.slice(i, i + CHUNKS_PER_INSERT);
      await withRetry(`checkpoint of partition ${partition}`, this.retry,
        () => this.sql.insert(`${this.db}.aggregator_checkpoints`, part), this.hooks);
    }
    return packed.length;
  }

  /** Complete checkpoints of a partition, newest first. */
  async checkpoints(partition: number): Promise<CheckpointMeta[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT slot, epoch, intent_id, next_offset, chunks, uniqExact(chunk) AS have
       FROM ${this.db}.aggregator_checkpoints
       WHERE group_id = {g:String} AND topic = {t:String} AND kafka_partition = {p:UInt32}
       GROUP BY slot, epoch, intent_id, next_offset, chunks
       HAVING have = chunks
       ORDER BY epoch DESC`, { g: this.groupId, t: this.topic, p: partition });
    return rows.map((r) => ({ slot: num(r.slot), epoch: num(r.epoch), intentId: String(r.intent_id), nextOffset: offsetOrNull(r.next_offset), chunks: num(r.chunks) }));
  }

  /** Intents of a partition from `fromEpoch` on, oldest first. */
  async intents(partition: number, fromEpoch: number): Promise<Intent[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT DISTINCT epoch, intent_id, prev_intent_id, start_offset, next_offset, watermarks, max_keys, params,
              messages, records, flow_rows, outlier_rows, netflow_rows, health_rows
       FROM ${this.db}.aggregator_intents
       WHERE group_id = {g:String} AND topic = {t:String} AND kafka_partition = {p:UInt32} AND epoch >= {e:UInt64}
       ORDER BY epoch, intent_id`, { g: this.groupId, t: this.topic, p: partition, e: fromEpoch });
    return rows.map((r) => ({
      partition, epoch: num(r.epoch), intentId: String(r.intent_id), prevIntentId: String(r.prev_intent_id),
      startOffset: offsetOrNull(r.start_offset), nextOffset: offsetOrNull(r.next_offset),
      watermarks: JSON.parse(String(r.watermarks)) as Record<string, string>, maxKeys: num(r.max_keys), params: String(r.params),
      messages: num(r.messages), records: num(r.records), flowRows: num(r.flow_rows), outlierRows: num(r.outlier_rows), netflowRows: num(r.netflow_rows),
      healthRows: num(r.health_rows),
    }));
  }

  /** The uncompressed state of a checkpoint. */
  async loadState(partition: number, cp: CheckpointMeta): Promise<Buffer> {
    const rows = await this.sql.query<{ chunk: number; data: string }>(
      `SELECT chunk, data FROM ${this.db}.aggregator_checkpoints
       WHERE group_id = {g:String} AND topic = {t:String} AND kafka_partition = {p:UInt32}
         AND slot = {s:UInt8} AND epoch = {e:UInt64} AND intent_id = {i:String}
       ORDER BY chunk LIMIT 1 BY chunk`,
      { g: this.groupId, t: this.topic, p: partition, s: cp.slot, e: cp.epoch, i: cp.intentId });
    if (rows.length !== cp.chunks) throw new Error(`checkpoint ${cp.intentId} of partition ${partition} has ${rows.length} of ${cp.chunks} pieces`);
    return inflateAsync(Buffer.from(rows.map((r) => r.data).join(''), 'base64'));
  }

  /** Everything a new owner needs: the plan and the base state. */
  async restore(partition: number, pointer: string | null): Promise<{ plan: RestorePlan; state: Buffer | null }> {
    const cps = await this.checkpoints(partition);
    const from = cps.length ? Math.min(...cps.map((c) => c.epoch)) : 0;
    let intents = await this.intents(partition, from);
    if (from > 0 && pointer !== null && !intents.some((i) => i.intentId === pointer) && !cps.some((c) => c.intentId === pointer)) {
      intents = await this.intents(partition, 0); // the committed intent is older than every checkpoint found
    }
    const plan = planRestore(pointer, intents, cps);
    const state = plan.base ? await this.loadState(partition, plan.base) : null;
    return { plan, state };
  }
}
