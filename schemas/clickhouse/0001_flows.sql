-- Flow windows: one row per capture point, directional flow key, frame type and
-- tumbling window (see docs/tables.md). IP flows are keyed by the 5-tuple with
-- MACs 0; non-IP flows (PTP over Ethernet, ARP, ...) by MACs and EtherType with
-- IPs :: and ports 0. IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d).
-- Retention counts from ingestion, not from capture time: a replay of a
-- years-old capture must not expire on arrival.
--
-- Every aggregator insert carries an insert_deduplication_token naming its
-- epoch and chunk (docs/aggregator.md, crash safety); the deduplication
-- window keeps the last 100000 tokens per table, far more than the blocks
-- written between an insert and its replay after a crash.
CREATE TABLE IF NOT EXISTS {db}.flows
(
    agent_id        LowCardinality(String)  COMMENT 'capture agent',
    interface       LowCardinality(String)  COMMENT 'capture interface',
    window_start_ns UInt64                  COMMENT 'window start, ns since the Unix epoch (aligned to the epoch)',
    window_start    DateTime64(3, 'UTC') DEFAULT fromUnixTimestamp64Nano(toInt64(window_start_ns), 'UTC') COMMENT 'window start for humans',
    window_ns       UInt64                  COMMENT 'window length in ns',
    frame_type      LowCardinality(String)  COMMENT 'frame type (docs/frame-types.md)',
    src_ip          IPv6,
    dst_ip          IPv6,
    ip_proto        UInt8,
    src_port        UInt16,
    dst_port        UInt16,
    src_mac         UInt64                  COMMENT '48-bit MAC; 0 for IP flows',
    dst_mac         UInt64                  COMMENT '48-bit MAC; 0 for IP flows',
    ethertype       UInt16,
    packets         UInt64                  COMMENT 'packets, scaled by sample_rate',
    bytes           UInt64                  COMMENT 'wire bytes, scaled by sample_rate',
    sampled_packets UInt64                  COMMENT 'packets actually seen',
    sample_rate     UInt32                  COMMENT 'agent 1-in-N sampling',
    first_ts_ns     UInt64,
    last_ts_ns      UInt64,
    protocols       Array(LowCardinality(String)) COMMENT 'protocols seen in the window, sorted',
    iat_count       UInt64                  COMMENT 'inter-arrival samples ending in this window',
    iat_sum_ns      UInt64,
    iat_sumsq_ns2   Float64,
    iat_min_ns      UInt64,
    iat_max_ns      UInt64,
    outliers        UInt32                  COMMENT 'rows in flow_outliers for this key and window',
    errors          UInt64                  COMMENT 'records with decode or dissection errors',
    ingested_at     DateTime('UTC') DEFAULT now() COMMENT 'when the row was written; retention (TTL) counts from here, so replays of old captures are kept'
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(window_start)
ORDER BY (agent_id, interface, window_start_ns, frame_type, src_ip, dst_ip, ip_proto, src_port, dst_port, src_mac, dst_mac, ethertype)
TTL ingested_at + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS {db}.flow_outliers
(
    agent_id        LowCardinality(String),
    interface       LowCardinality(String),
    ts_ns           UInt64                  COMMENT 'arrival time of the outlying packet',
    ts              DateTime64(9, 'UTC') DEFAULT fromUnixTimestamp64Nano(toInt64(ts_ns), 'UTC'),
    window_start_ns UInt64,
    frame_no        UInt64,
    frame_type      LowCardinality(String),
    src_ip          IPv6,
    dst_ip          IPv6,
    ip_proto        UInt8,
    src_port        UInt16,
    dst_port        UInt16,
    src_mac         UInt64,
    dst_mac         UInt64,
    ethertype       UInt16,
    iat_ns          UInt64                  COMMENT 'inter-arrival that exceeded the threshold',
    mean_ns         Float64                 COMMENT 'running mean before this packet',
    std_ns          Float64                 COMMENT 'running sample std before this packet',
    sigma           Float64                 COMMENT '(iat_ns - mean_ns) / std_ns',
    threshold_k     Float64,
    ingested_at     DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (agent_id, interface, ts_ns, frame_type, src_ip, dst_ip, src_port, dst_port)
TTL ingested_at + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 100000;

-- Netflow buckets: each aggregator instance writes its share of a bucket (one
-- row per source partition); rows of the same bucket merge, and distinct
-- destinations are unions of exact sets, so the netflow_buckets view is exact
-- however the capture point's packets were spread over partitions.
CREATE TABLE IF NOT EXISTS {db}.netflow_bucket_parts
(
    agent_id         LowCardinality(String),
    interface        LowCardinality(String),
    bucket_start_ns  UInt64,
    bucket_ms        UInt32,
    pkts_in          SimpleAggregateFunction(sum, UInt64),
    pkts_out         SimpleAggregateFunction(sum, UInt64),
    bytes_in         SimpleAggregateFunction(sum, UInt64),
    bytes_out        SimpleAggregateFunction(sum, UInt64),
    syn_count        SimpleAggregateFunction(sum, UInt64),
    fin_count        SimpleAggregateFunction(sum, UInt64),
    rst_count        SimpleAggregateFunction(sum, UInt64),
    udp_count        SimpleAggregateFunction(sum, UInt64),
    tcp_count        SimpleAggregateFunction(sum, UInt64),
    dns_query_count  SimpleAggregateFunction(sum, UInt64),
    tcp_new_flows    SimpleAggregateFunction(sum, UInt64),
    dst_ips          SimpleAggregateFunction(groupUniqArrayArray, Array(IPv6)),
    dst_ports        SimpleAggregateFunction(groupUniqArrayArray, Array(UInt16)),
    ingested_at      SimpleAggregateFunction(max, DateTime('UTC')) DEFAULT now()
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(fromUnixTimestamp64Nano(toInt64(bucket_start_ns), 'UTC'))
ORDER BY (agent_id, interface, bucket_ms, bucket_start_ns)
TTL ingested_at + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 100000;

CREATE VIEW IF NOT EXISTS {db}.netflow_buckets AS
SELECT
    agent_id,
    interface,
    bucket_start_ns,
    fromUnixTimestamp64Nano(toInt64(bucket_start_ns), 'UTC') AS bucket_start,
    bucket_ms,
    sum(pkts_in)         AS pkts_in,
    sum(pkts_out)        AS pkts_out,
    sum(bytes_in)        AS bytes_in,
    sum(bytes_out)       AS bytes_out,
    sum(syn_count)       AS syn_count,
    sum(fin_count)       AS fin_count,
    sum(rst_count)       AS rst_count,
    sum(udp_count)       AS udp_count,
    sum(tcp_count)       AS tcp_count,
    sum(dns_query_count) AS dns_query_count,
    toUInt64(length(groupUniqArrayArray(dst_ips)))   AS unique_dst_ips,
    toUInt64(length(groupUniqArrayArray(dst_ports))) AS unique_dst_ports,
    sum(tcp_new_flows)   AS tcp_new_flows
FROM {db}.netflow_bucket_parts
GROUP BY agent_id, interface, bucket_start_ns, bucket_ms;
