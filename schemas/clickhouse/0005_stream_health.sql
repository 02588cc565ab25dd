-- Telemetry stream health (docs/stream-health.md): per IENA, Chapter 10 and
-- PTP stream and flows window, sequence continuity (loss, duplicates,
-- reordering, restarts), timing and PTP pairing; PTP events; TMATS
-- sightings; alerts. Written by the aggregator with the same epochs and
-- insert deduplication tokens as flows, so they are exact after a crash.
-- Kept a year from ingestion: they are small and their value is history.
CREATE TABLE IF NOT EXISTS {db}.stream_health
(
    agent_id        LowCardinality(String)  COMMENT 'capture agent',
    interface       LowCardinality(String)  COMMENT 'capture interface',
    window_start_ns UInt64                  COMMENT 'window start, ns since the Unix epoch (the flows window)',
    window_start    DateTime64(3, 'UTC') DEFAULT fromUnixTimestamp64Nano(toInt64(window_start_ns), 'UTC'),
    window_ns       UInt64                  COMMENT 'window length in ns',
    kind            LowCardinality(String)  COMMENT 'iena, ch10_channel, ch10_transfer or ptp',
    src_ip          IPv6                    COMMENT 'stream source (PTP: the sender of its first message, a label)',
    dst_ip          IPv6                    COMMENT 'stream destination',
    stream_id       UInt32                  COMMENT 'IENA key or Chapter 10 channel id; 0 for ch10_transfer and ptp',
    domain          UInt8                   COMMENT 'PTP domain',
    clock_id        LowCardinality(String)  COMMENT 'PTP clock identity of the stream (16 hex digits); empty otherwise',
    port_number     UInt16                  COMMENT 'PTP port number of that identity',
    message_type    LowCardinality(String)  COMMENT 'PTP message type (Sync, Follow_Up, Delay_Req, ...); empty otherwise',
    keyed_by        LowCardinality(String)  COMMENT 'PTP: source (sourcePortIdentity) or requesting (requestingPortIdentity, responses)',
    counter_bits    UInt8                   COMMENT 'sequence counter width: 16 IENA and PTP, 8 Chapter 10 channel, 24 (or 32 - 4L) transfer',
    packets         UInt64                  COMMENT 'packets of the stream in the window',
    lost            UInt64                  COMMENT 'sum of the gaps: sequence numbers skipped when the sequence jumped forward',
    duplicates      UInt64                  COMMENT 'packets repeating a sequence number already seen',
    out_of_order    UInt64                  COMMENT 'late arrivals filling a gap counted in lost (net loss = lost - out_of_order)',
    restarts        UInt64                  COMMENT 'sequence restarts (after a silence, or a jump back beyond the reorder window)',
    gaps            UInt64                  COMMENT 'gap events (forward jumps)',
    max_gap         UInt64                  COMMENT 'largest gap',
    silences        UInt64                  COMMENT 'packets that ended a silence (no packet for the stream''s silence threshold)',
    first_seq       UInt32                  COMMENT 'sequence of the window''s first packet',
    last_seq        UInt32                  COMMENT 'newest sequence after the window''s last packet',
    first_ts_ns     UInt64                  COMMENT 'first packet in the window',
    last_ts_ns      UInt64                  COMMENT 'last packet in the window',
    iat_count       UInt64                  COMMENT 'intervals between distinct packets (not across a silence)',
    iat_sum_ns      UInt64,
    iat_sumsq_ns2   Float64,
    iat_min_ns      UInt64,
    iat_max_ns      UInt64,
    log_message_interval Int8               COMMENT 'PTP logMessageInterval of the window''s last packet (127: not applicable)',
    advertised_interval_ns UInt64           COMMENT 'PTP: 2^logMessageInterval s in ns (0: not applicable)',
    off_tolerance   UInt64                  COMMENT 'PTP: intervals off the advertised one by more than the tolerance',
    answered        UInt64                  COMMENT 'PTP request (or two-step Sync) stream: requests answered (Follow_Up received)',
    unanswered      UInt64                  COMMENT 'PTP Delay_Req / Pdelay_Req stream: requests without a response in time',
    follow_up_missing UInt64                COMMENT 'PTP: two-step Syncs without Follow_Up; two-step Pdelay_Resps without Pdelay_Resp_Follow_Up',
    unmatched       UInt64                  COMMENT 'PTP response stream: responses that matched no waiting request',
    response_count  UInt64                  COMMENT 'PTP: response times measured (request to response, Sync to Follow_Up)',
    response_sum_ns UInt64,
    response_min_ns UInt64,
    response_max_ns UInt64,
    correction_count UInt64                 COMMENT 'PTP: correctionField values seen',
    correction_sum_ns Float64,
    correction_min_ns Float64,
    correction_max_ns Float64,
    ingested_at     DateTime('UTC') DEFAULT now() COMMENT 'when the row was written; retention counts from here'
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(window_start)
ORDER BY (agent_id, interface, kind, window_start_ns, src_ip, dst_ip, stream_id, domain, clock_id, port_number, message_type, keyed_by)
TTL ingested_at + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS {db}.ptp_events
(
    agent_id        LowCardinality(String),
    interface       LowCardinality(String),
    ts_ns           UInt64                  COMMENT 'when it happened (event time)',
    ts              DateTime64(9, 'UTC') DEFAULT fromUnixTimestamp64Nano(toInt64(ts_ns), 'UTC'),
    domain          UInt8,
    event           LowCardinality(String)  COMMENT 'clock_appeared, clock_silent, gm_seen, gm_change or announce_change',
    clock_id        String                  COMMENT 'the clock (port identity) whose messages showed it',
    port_number     UInt16,
    field           LowCardinality(String)  COMMENT 'announce_change: the Announce field; gm_*: grandmaster',
    old_value       String,
    new_value       String,
    detail          String                  COMMENT 'why (gm_change: better grandmaster, previous grandmaster silent, announcer switched grandmaster)',
    frame_no        UInt64                  COMMENT 'frame number of the message that showed it (0 for clock_silent)',
    ingested_at     DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (agent_id, interface, domain, ts_ns, event, clock_id, port_number, field)
TTL ingested_at + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS {db}.tmats_sightings
(
    agent_id        LowCardinality(String),
    interface       LowCardinality(String),
    window_start_ns UInt64,
    window_start    DateTime64(3, 'UTC') DEFAULT fromUnixTimestamp64Nano(toInt64(window_start_ns), 'UTC'),
    window_ns       UInt64,
    src_ip          IPv6                    COMMENT 'sender (the recorder)',
    dst_ip          IPv6,
    src_port        UInt16,
    dst_port        UInt16,
    channel_id      UInt16                  COMMENT 'Chapter 10 channel of the TMATS packet (normally 0)',
    first_ts_ns     UInt64,
    last_ts_ns      UInt64,
    packets         UInt64                  COMMENT 'complete setup records with this content in the window',
    config_changed  UInt64                  COMMENT 'of those, with the setup-record-changed (SRCC) bit',
    irig106_release UInt8                   COMMENT 'CSDW IRIG 106 release code',
    format          LowCardinality(String)  COMMENT 'ascii or xml',
    program_name    String                  COMMENT 'G\\PN',
    test_article    String                  COMMENT 'G\\TA',
    irig106_edition String                  COMMENT 'G\\106',
    origination_date String                 COMMENT 'G\\OD',
    attribute_count UInt32,
    data_source_ids Array(String)           COMMENT 'G\\DSI-n',
    data_source_types Array(String)         COMMENT 'G\\DST-n',
    channel_ids     Array(Int32)            COMMENT 'R-x\\TK1-n (Chapter 10 channel ids; -1 when not numeric)',
    channel_types   Array(String)           COMMENT 'R-x\\CDT-n',
    channel_names   Array(String)           COMMENT 'R-x\\CDLN-n',
    channel_data_sources Array(String)      COMMENT 'R-x\\DSI-n',
    channel_recorders Array(String)         COMMENT 'R-x\\ID of each channel''s recorder group',
    channel_enabled Array(UInt8)            COMMENT 'R-x\\CHE-n is T',
    ingested_at     DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (agent_id, interface, window_start_ns, src_ip, dst_ip, channel_id, program_name)
TTL ingested_at + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS {db}.alerts
(
    agent_id        LowCardinality(String),
    interface       LowCardinality(String),
    ts_ns           UInt64                  COMMENT 'end of the evaluation window that fired or resolved it',
    ts              DateTime64(9, 'UTC') DEFAULT fromUnixTimestamp64Nano(toInt64(ts_ns), 'UTC'),
    alert_id        String                  COMMENT 'the same for an alert''s firing and its resolution',
    rule            LowCardinality(String),
    state           LowCardinality(String)  COMMENT 'firing or resolved',
    severity        LowCardinality(String),
    metric          LowCardinality(String),
    value           Float64,
    threshold       Float64,
    comparison      LowCardinality(String)  COMMENT 'above or below',
    window_start_ns UInt64                  COMMENT 'start of the evaluation window',
    window_ns       UInt64                  COMMENT 'length of the evaluation window',
    fired_at_ns     UInt64                  COMMENT 'when the alert fired (for resolved rows too)',
    kind            LowCardinality(String),
    src_ip          IPv6,
    dst_ip          IPv6,
    stream_id       UInt32,
    domain          UInt8,
    clock_id        String,
    port_number     UInt16,
    message_type    LowCardinality(String),
    keyed_by        LowCardinality(String),
    stream          String                  COMMENT 'the stream in words',
    ingested_at     DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (agent_id, interface, ts_ns, rule, alert_id, state)
TTL ingested_at + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 100000;

-- Whole-history figures per stream, merged from the window rows.
CREATE VIEW IF NOT EXISTS {db}.stream_stats AS
SELECT
    agent_id, interface, kind, src_ip, dst_ip, stream_id, domain, clock_id, port_number, message_type, keyed_by,
    t_packets AS packets,
    t_lost AS lost,
    t_out_of_order AS out_of_order,
    toUInt64(greatest(toInt64(t_lost) - toInt64(t_out_of_order), 0)) AS net_lost,
    if(t_packets - t_duplicates + net_lost = 0, 0, net_lost / (t_packets - t_duplicates + net_lost)) AS loss_rate,
    t_duplicates AS duplicates,
    t_restarts AS restarts,
    t_gaps AS gaps,
    t_max_gap AS max_gap,
    t_silences AS silences,
    t_first AS first_ts_ns,
    t_last AS last_ts_ns,
    t_first_seq AS first_seq,
    t_last_seq AS last_seq,
    t_iat_count AS iat_count,
    if(t_iat_count = 0, nan, t_iat_sum / t_iat_count) AS iat_mean_ns,
    if(t_iat_count = 0, nan, sqrt(greatest(t_iat_sumsq / t_iat_count - pow(t_iat_sum / t_iat_count, 2), 0))) AS iat_std_ns,
    if(t_iat_count = 0 OR t_iat_sum = 0, nan, iat_std_ns / iat_mean_ns) AS jitter,
    t_iat_min AS iat_min_ns,
    t_iat_max AS iat_max_ns,
    t_advertised AS advertised_interval_ns,
    t_off AS off_tolerance,
    t_answered AS answered,
    t_unanswered AS unanswered,
    t_fu_missing AS follow_up_missing,
    t_unmatched AS unmatched,
    t_resp_count AS response_count,
    if(t_resp_count = 0, nan, t_resp_sum / t_resp_count) AS response_mean_ns,
    t_resp_min AS response_min_ns,
    t_resp_max AS response_max_ns,
    t_corr_count AS correction_count,
    if(t_corr_count = 0, nan, t_corr_sum / t_corr_count) AS correction_mean_ns,
    t_corr_min AS correction_min_ns,
    t_corr_max AS correction_max_ns
FROM
(
    SELECT
        agent_id, interface, kind, src_ip, dst_ip, stream_id, domain, clock_id, port_number, message_type, keyed_by,
        sum(packets) AS t_packets, sum(lost) AS t_lost, sum(out_of_order) AS t_out_of_order, sum(duplicates) AS t_duplicates,
        sum(restarts) AS t_restarts, sum(gaps) AS t_gaps, max(max_gap) AS t_max_gap, sum(silences) AS t_silences,
        min(first_ts_ns) AS t_first, max(last_ts_ns) AS t_last,
        argMin(first_seq, first_ts_ns) AS t_first_seq, argMax(last_seq, last_ts_ns) AS t_last_seq,
        sum(iat_count) AS t_iat_count, sum(iat_sum_ns) AS t_iat_sum, sum(iat_sumsq_ns2) AS t_iat_sumsq,
        if(t_iat_count = 0, 0, minIf(iat_min_ns, iat_count > 0)) AS t_iat_min, max(iat_max_ns) AS t_iat_max,
        argMax(advertised_interval_ns, last_ts_ns) AS t_advertised, sum(off_tolerance) AS t_off,
        sum(answered) AS t_answered, sum(unanswered) AS t_unanswered, sum(follow_up_missing) AS t_fu_missing, sum(unmatched) AS t_unmatched,
        sum(response_count) AS t_resp_count, sum(response_sum_ns) AS t_resp_sum,
        if(t_resp_count = 0, 0, minIf(response_min_ns, response_count > 0)) AS t_resp_min, max(response_max_ns) AS t_resp_max,
        sum(correction_count) AS t_corr_count, sum(correction_sum_ns) AS t_corr_sum,
        if(t_corr_count = 0, 0, minIf(correction_min_ns, correction_count > 0)) AS t_corr_min,
        if(t_corr_count = 0, 0, maxIf(correction_max_ns, correction_count > 0)) AS t_corr_max
    FROM {db}.stream_health
    GROUP BY agent_id, interface, kind, src_ip, dst_ip, stream_id, domain, clock_id, port_number, message_type, keyed_by
);

-- The epochs record the stream-health rows they insert (replay checks).
ALTER TABLE {db}.aggregator_intents ADD COLUMN IF NOT EXISTS health_rows UInt64 DEFAULT 0 COMMENT 'rows the epoch inserts into stream_health, ptp_events, tmats_sightings and alerts';
