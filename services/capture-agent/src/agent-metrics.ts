/**
 * The capture agent's metrics: a counter for everything that moves, from the
 * wire to the Kafka acknowledgement or the spool. docs/agent.md lists them
 * from `describe()`.
 */
import { MetricsRegistry, type Counter, type CounterChild, type Gauge, type Histogram } from '@streamlens/common';

/** Counters of one capture interface, held by reference on the hot path. */
export interface InterfaceCounters {
  captured: CounterChild;
  sampledOut: CounterChild;
  decoded: CounterChild;
  errored: CounterChild;
}

export type DropReason = 'spool_full' | 'spool_error' | 'rejected' | 'encode_error' | 'spool_corrupt';
export type SealTrigger = 'records' | 'bytes' | 'linger' | 'span' | 'flush';

export class AgentMetrics {
  readonly registry = new MetricsRegistry('streamlens_agent_');
  readonly captured: Counter;
  readonly sampledOut: Counter;
  readonly decoded: Counter;
  readonly errored: Counter;
  readonly batchesSealed: Counter;
  readonly recordsPublished: Counter;
  readonly batchesPublished: Counter;
  readonly bytesPublished: Counter;
  readonly recordsSpooled: Counter;
  readonly batchesSpooled: Counter;
  readonly recordsDropped: Counter;
  readonly batchesDropped: Counter;
  readonly sendErrors: Counter;
  readonly possibleDuplicates: Counter;
  readonly repartitioned: Counter;
  readonly spoolTornFiles: Counter;
  readonly spoolCorruptSegments: Counter;
  readonly pcapReceived: Gauge;
  readonly pcapDropped: Gauge;
  readonly pcapIfDropped: Gauge;
  readonly publishLatency: Histogram;
  readonly spoolBytes: Gauge;
  readonly spoolSegments: Gauge;
  readonly queueBytes: Gauge;
  readonly inflight: Gauge;
  readonly kafkaUp: Gauge;
  readonly spooling: Gauge;

  constructor() {
    const r = this.registry;
    this.captured = r.counter('packets_captured_total', 'Frames delivered by the capture source (live interface or replayed file)', ['interface']);
    this.sampledOut = r.counter('packets_sampled_out_total', 'Frames skipped by 1-in-N sampling (--sample-rate)', ['interface']);
    this.decoded = r.counter('packets_decoded_total', 'Frames decoded into packet records (including records with a decode error)', ['interface']);
    this.errored = r.counter('packets_errored_total', 'Packet records carrying a decode_error (truncated or malformed frames)', ['interface']);
    this.batchesSealed = r.counter('batches_sealed_total', 'Batches closed, by what closed them (records, bytes, linger, span: records too far apart in time for one base, flush)', ['trigger']);
    this.recordsPublished = r.counter('records_published_total', 'Packet records acknowledged by Kafka (acks=all)');
    this.batchesPublished = r.counter('batches_published_total', 'Kafka messages (batches) acknowledged by Kafka');
    this.bytesPublished = r.counter('bytes_published_total', 'Encoded message bytes acknowledged by Kafka');
    this.recordsSpooled = r.counter('records_spooled_total', 'Packet records written to the on-disk spool');
    this.batchesSpooled = r.counter('batches_spooled_total', 'Batches written to the on-disk spool');
    this.recordsDropped = r.counter('records_dropped_total', 'Packet records given up, by reason (spool_full, spool_error: the spool could not be written, rejected by Kafka, encode_error, spool_corrupt)', ['reason']);
    this.batchesDropped = r.counter('batches_dropped_total', 'Batches given up, by reason', ['reason']);
    this.sendErrors = r.counter('send_errors_total', 'Failed Kafka send attempts (each is retried with the same producer sequence)');
    this.possibleDuplicates = r.counter('possible_duplicates_total', 'Batches resent under a new producer identity after an attempt whose outcome is unknown (consumers can drop repeats by agent_run, batch_seq)');
    this.repartitioned = r.counter('batches_repartitioned_total', 'Batches re-routed because the topic\'s partition count differs from the one they were routed with');
    this.spoolTornFiles = r.counter('spool_torn_files_total', 'Temporary spool files left by a crash and removed at start');
    this.spoolCorruptSegments = r.counter('spool_corrupt_segments_total', 'Spool segments with a damaged entry (the entries before it are still sent; the file is kept aside)');
    this.pcapReceived = r.gauge('pcap_received', 'Frames the kernel passed the capture filter since the interface was opened (libpcap ps_recv)', ['interface']);
    this.pcapDropped = r.gauge('pcap_dropped', 'Frames dropped because the capture buffer was full since the interface was opened (libpcap ps_drop)', ['interface']);
    this.pcapIfDropped = r.gauge('pcap_ifdropped', 'Frames dropped by the network interface or its driver since the interface was opened (libpcap ps_ifdrop)', ['interface']);
    this.publishLatency = r.histogram('publish_latency_seconds', 'Time from closing a batch to its Kafka acknowledgement (spooled batches included)',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600]);
    this.spoolBytes = r.gauge('spool_bytes', 'Bytes held by the spool (segment files and the segment being filled)');
    this.spoolSegments = r.gauge('spool_segments', 'Segment files in the spool directory');
    this.queueBytes = r.gauge('queue_bytes', 'Encoded bytes in memory waiting for a Kafka acknowledgement');
    this.inflight = r.gauge('inflight_sends', 'Kafka sends awaiting an answer');
    this.kafkaUp = r.gauge('kafka_up', '1 while the last Kafka send succeeded, 0 after a failed one');
    this.spooling = r.gauge('spooling', '1 while new batches go to the spool (Kafka down or slow, or a spool to drain)');
  }

  forInterface(name: string): InterfaceCounters {
    return {
      captured: this.captured.labels(name),
      sampledOut: this.sampledOut.labels(name),
      decoded: this.decoded.labels(name),
      errored: this.errored.labels(name),
    };
  }
}
