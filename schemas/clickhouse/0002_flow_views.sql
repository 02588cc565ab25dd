-- Whole-history statistics per flow key, merged from the window rows: the
-- seed analyzer's per-flow figures (mean, population std), plus sample std,
-- jitter (std/mean) and its one-sided outlier threshold mean + 3 sample std.
CREATE VIEW IF NOT EXISTS {db}.flow_stats AS
SELECT
    agent_id, interface, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype,
    t_packets AS packets,
    t_bytes AS bytes,
    t_first AS first_ts_ns,
    t_last AS last_ts_ns,
    t_iat_count AS iat_count,
    if(t_iat_count = 0, nan, t_iat_sum / t_iat_count) AS iat_mean_ns,
    if(t_iat_count = 0, nan, sqrt(greatest(t_iat_sumsq / t_iat_count - pow(t_iat_sum / t_iat_count, 2), 0))) AS iat_std_ns,
    if(t_iat_count < 2, nan, iat_std_ns * sqrt(t_iat_count / (t_iat_count - 1))) AS iat_sample_std_ns,
    if(t_iat_count = 0 OR t_iat_sum = 0, nan, iat_std_ns / iat_mean_ns) AS jitter,
    iat_mean_ns + 3 * iat_sample_std_ns AS outlier_threshold_ns,
    t_iat_min AS iat_min_ns,
    t_iat_max AS iat_max_ns,
    t_outliers AS outliers,
    t_protocols AS protocols
FROM
(
    SELECT
        agent_id, interface, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype,
        sum(packets) AS t_packets, sum(bytes) AS t_bytes, min(first_ts_ns) AS t_first, max(last_ts_ns) AS t_last,
        sum(iat_count) AS t_iat_count, sum(iat_sum_ns) AS t_iat_sum, sum(iat_sumsq_ns2) AS t_iat_sumsq,
        if(t_iat_count = 0, 0, minIf(iat_min_ns, iat_count > 0)) AS t_iat_min, max(iat_max_ns) AS t_iat_max,
        sum(outliers) AS t_outliers, arraySort(groupUniqArrayArray(protocols)) AS t_protocols
    FROM {db}.flows
    GROUP BY agent_id, interface, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype
);

-- The seed analyzer's per-(src, dst) view: every frame type and port of a host
-- pair together. Inter-arrival figures here are pooled over the pair's flow
-- keys (each key's inter-arrivals are between its own packets), not the
-- spacing of the pair's packets regardless of type.
CREATE VIEW IF NOT EXISTS {db}.flow_pairs AS
SELECT
    agent_id, interface, src_ip, dst_ip, src_mac, dst_mac,
    t_packets AS packets,
    t_bytes AS bytes,
    t_first AS first_ts_ns,
    t_last AS last_ts_ns,
    t_frame_types AS frame_types,
    t_iat_count AS iat_count,
    if(t_iat_count = 0, nan, t_iat_sum / t_iat_count) AS iat_mean_ns,
    if(t_iat_count = 0, nan, sqrt(greatest(t_iat_sumsq / t_iat_count - pow(t_iat_sum / t_iat_count, 2), 0))) AS iat_std_ns,
    t_outliers AS outliers
FROM
(
    SELECT
        agent_id, interface, src_ip, dst_ip, src_mac, dst_mac,
        sum(packets) AS t_packets, sum(bytes) AS t_bytes, min(first_ts_ns) AS t_first, max(last_ts_ns) AS t_last,
        arraySort(groupUniqArray(frame_type)) AS t_frame_types,
        sum(iat_count) AS t_iat_count, sum(iat_sum_ns) AS t_iat_sum, sum(iat_sumsq_ns2) AS t_iat_sumsq,
        sum(outliers) AS t_outliers
    FROM {db}.flows
    GROUP BY agent_id, interface, src_ip, dst_ip, src_mac, dst_mac
);

-- Per frame type, as the seed reported (count, mean/std inter-arrival).
CREATE VIEW IF NOT EXISTS {db}.frame_type_stats AS
SELECT
    agent_id, interface, frame_type,
    t_packets AS packets,
    t_bytes AS bytes,
    t_iat_count AS iat_count,
    if(t_iat_count = 0, nan, t_iat_sum / t_iat_count) AS iat_mean_ns,
    if(t_iat_count = 0, nan, sqrt(greatest(t_iat_sumsq / t_iat_count - pow(t_iat_sum / t_iat_count, 2), 0))) AS iat_std_ns,
    if(t_iat_count < 2, nan, iat_std_ns * sqrt(t_iat_count / (t_iat_count - 1))) AS iat_sample_std_ns,
    if(t_iat_count = 0 OR t_iat_sum = 0, nan, iat_std_ns / iat_mean_ns) AS jitter,
    t_outliers AS outliers
FROM
(
    SELECT
        agent_id, interface, frame_type,
        sum(packets) AS t_packets, sum(bytes) AS t_bytes, sum(iat_count) AS t_iat_count, sum(iat_sum_ns) AS t_iat_sum,
        sum(iat_sumsq_ns2) AS t_iat_sumsq, sum(outliers) AS t_outliers
    FROM {db}.flows
    GROUP BY agent_id, interface, frame_type
);

-- 1-minute rollups for long retention, filled on insert into flows. A retried
-- insert into flows is deduplicated here too (deduplicate_blocks_in_dependent_materialized_views).
CREATE TABLE IF NOT EXISTS {db}.flows_1m
(
    agent_id        LowCardinality(String),
    interface       LowCardinality(String),
    minute          DateTime('UTC'),
    frame_type      LowCardinality(String),
    src_ip          IPv6,
    dst_ip          IPv6,
    ip_proto        UInt8,
    src_port        UInt16,
    dst_port        UInt16,
    src_mac         UInt64,
    dst_mac         UInt64,
    ethertype       UInt16,
    packets         SimpleAggregateFunction(sum, UInt64),
    bytes           SimpleAggregateFunction(sum, UInt64),
    first_ts_ns     SimpleAggregateFunction(min, UInt64),
    last_ts_ns      SimpleAggregateFunction(max, UInt64),
    iat_count       SimpleAggregateFunction(sum, UInt64),
    iat_sum_ns      SimpleAggregateFunction(sum, UInt64),
    iat_sumsq_ns2   SimpleAggregateFunction(sum, Float64),
    iat_min_ns      SimpleAggregateFunction(min, UInt64),
    iat_max_ns      SimpleAggregateFunction(max, UInt64),
    outliers        SimpleAggregateFunction(sum, UInt64),
    ingested_at     SimpleAggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (agent_id, interface, minute, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype)
TTL ingested_at + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.flows_1m_mv TO {db}.flows_1m AS
SELECT
    agent_id, interface, toStartOfMinute(toDateTime(window_start)) AS minute, frame_type,
    src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype,
    packets, bytes, first_ts_ns, last_ts_ns, iat_count, iat_sum_ns, iat_sumsq_ns2,
    if(iat_count = 0, 18446744073709551615, iat_min_ns) AS iat_min_ns, iat_max_ns, toUInt64(outliers) AS outliers, ingested_at
FROM {db}.flows;
