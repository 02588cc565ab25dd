-- The embedded mode's record of what it ingested (streamlens analyze / run):
-- analysing a capture already in the store would count its packets twice,
-- so `analyze` looks its content hash up here first and refuses, saying so.
CREATE TABLE IF NOT EXISTS {db}.ingest_runs
(
    run_id          String                  COMMENT 'random id of the run; also the prefix of its insert deduplication tokens',
    kind            LowCardinality(String)  COMMENT 'analyze (files) or run (live)',
    source          String                  COMMENT 'files (comma-separated) or interfaces as given',
    source_sha256   String                  COMMENT 'SHA-256 of the files\' content, in order (empty for live runs)',
    source_bytes    UInt64                  COMMENT 'bytes of the files',
    agent_id        LowCardinality(String)  COMMENT 'agent id the run wrote its rows under',
    status          LowCardinality(String)  COMMENT 'started, completed or failed',
    started_at      DateTime64(3, 'UTC'),
    finished_at     Nullable(DateTime64(3, 'UTC')),
    frames          UInt64                  COMMENT 'frames read',
    records         UInt64                  COMMENT 'records aggregated',
    first_ts_ns     UInt64                  COMMENT 'earliest capture time seen (0 if none)',
    last_ts_ns      UInt64                  COMMENT 'latest capture time seen',
    settings        String                  COMMENT 'the aggregation and dissection settings, JSON',
    version         UInt64                  COMMENT 'row version: the newest row of a run is its state'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (run_id);
