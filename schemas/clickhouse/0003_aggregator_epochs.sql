-- The aggregator's own bookkeeping for exactly-once results (docs/aggregator.md,
-- "Crash safety"). Work on each enriched-topic partition is cut into epochs:
-- before an epoch's rows are inserted its intent is written here (offsets
-- covered, watermarks used, key cap), and every few seconds the partition's
-- state is checkpointed. After a crash or a rebalance the new owner loads the
-- newest checkpoint and replays the intents after it, re-inserting identical
-- blocks under the same deduplication tokens.
CREATE TABLE IF NOT EXISTS {db}.aggregator_intents
(
    group_id        LowCardinality(String)  COMMENT 'Kafka consumer group of the aggregators',
    topic           LowCardinality(String)  COMMENT 'enriched topic',
    kafka_partition UInt32                  COMMENT 'partition of the enriched topic',
    epoch           UInt64                  COMMENT 'epoch number within the partition (1, 2, ...)',
    intent_id       String                  COMMENT 'unique id of the epoch; its inserts carry it in their deduplication tokens',
    prev_intent_id  String                  COMMENT 'the epoch before it in the partition chain (empty for the first)',
    start_offset    Int64                   COMMENT 'first Kafka offset consumed in the epoch (-1: none)',
    next_offset     Int64                   COMMENT 'offset after the last one consumed (-1: nothing consumed yet)',
    watermarks      String                  COMMENT 'JSON object: capture point (agent_id NUL interface) to the watermark, epoch ns, that closed windows',
    max_keys        UInt64                  COMMENT 'open-key cap applied when the epoch was sealed',
    params          String                  COMMENT 'aggregation settings the epoch was computed with (JSON)',
    messages        UInt64                  COMMENT 'Kafka messages consumed in the epoch',
    records         UInt64                  COMMENT 'enriched records consumed in the epoch',
    flow_rows       UInt64                  COMMENT 'rows the epoch inserts into flows',
    outlier_rows    UInt64                  COMMENT 'rows the epoch inserts into flow_outliers',
    netflow_rows    UInt64                  COMMENT 'rows the epoch inserts into netflow_bucket_parts',
    member_id       String                  COMMENT 'consumer-group member that sealed the epoch',
    created_at      DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (group_id, topic, kafka_partition, epoch, intent_id)
TTL created_at + INTERVAL 7 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Partition state after an epoch, in pieces of base64 text (zlib-compressed
-- binary, services/aggregator/src/checkpoint-format.ts). Two slots per
-- partition (epoch % 2): writing one never touches the other, so a crash in
-- the middle of a checkpoint leaves the previous one whole. Older versions of
-- a slot are replaced in background merges.
CREATE TABLE IF NOT EXISTS {db}.aggregator_checkpoints
(
    group_id        LowCardinality(String),
    topic           LowCardinality(String),
    kafka_partition UInt32,
    slot            UInt8                   COMMENT 'epoch % 2',
    chunk           UInt32                  COMMENT 'piece number, 0 .. chunks - 1',
    epoch           UInt64                  COMMENT 'epoch after which the state was taken',
    intent_id       String                  COMMENT 'intent of that epoch',
    next_offset     Int64                   COMMENT 'offset to continue consuming from (-1: from the beginning)',
    chunks          UInt32                  COMMENT 'pieces in this checkpoint',
    state_bytes     UInt64                  COMMENT 'uncompressed state size',
    data            String                  COMMENT 'base64 piece of the compressed state' CODEC(ZSTD(1)),
    created_at      DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(epoch)
ORDER BY (group_id, topic, kafka_partition, slot, chunk);
