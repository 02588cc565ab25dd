/**
 * Tumbling flow windows: one aggregate per key and window (aligned to the
 * epoch), and the `flows` row it becomes when the window closes.
 *
 * The first packet of a window measures its inter-arrival from the last
 * packet of the same key in the previous window, so the window rows of a key
 * sum to the whole-capture figures. Counts are scaled by the agent's 1-in-N
 * sample_rate (sampled_packets keeps what was seen); inter-arrivals are
 * between the packets seen.
 */
import { addIatSample, type IatSums } from './inter-arrival.js';
import { dstIpString, srcIpString, type FlowKey } from './flow-key.js';
import { timeString, type TimeGrid } from './event-time.js';

export class WindowAgg implements IatSums {
  packets = 0;
  bytes = 0;
  sampled = 0;
  sampleRate = 1;
  firstSec = 0;
  firstNs = 0;
  lastSec = 0;
  lastNs = 0;
  /** Protocols seen, in order of appearance (sorted when emitted). */
  protocols: string[] = [];
  iatCount = 0;
  iatSum = 0;
  iatSumSq = 0;
  iatMin = 0;
  iatMax = 0;
  outliers = 0;
  errors = 0;
  /** Emitted (closed, or flushed early with its key). */
  done = false;

  constructor(readonly key: FlowKey, readonly index: number) {}

  addPacket(sec: number, ns: number, wireLen: number, sampleRate: number, protocols: readonly string[], hasError: boolean): void {
    if (this.sampled === 0 || sec < this.firstSec || (sec === this.firstSec && ns < this.firstNs)) {
      this.firstSec = sec;
      this.firstNs = ns;
    }
    if (this.sampled === 0 || sec > this.lastSec || (sec === this.lastSec && ns > this.lastNs)) {
      this.lastSec = sec;
      this.lastNs = ns;
    }
    this.sampled++;
    this.packets += sampleRate;
    this.bytes += wireLen * sampleRate;
    if (sampleRate > this.sampleRate) this.sampleRate = sampleRate;
    if (hasError) this.errors++;
    const seen = this.protocols;
    for (let i = 0; i < protocols.length; i++) {
      const p = protocols[i];
      if (!seen.includes(p)) insertSorted(seen, p);
    }
  }

  addIat(iat: number): void {
    addIatSample(this, iat);
  }
}

/** Adds `p` to the sorted list `list` (a window's protocols: a few names, new ones rare), keeping it sorted. */
export function insertSorted(list: string[], p: string): void {
  let i = list.length;
  list.push(p);
  while (i > 0 && list[i - 1] > p) {
    list[i] = list[i - 1];
    i--;
  }
  list[i] = p;
}

/** One row of `flows` (JSON for ClickHouse; 64-bit values as strings). */
export interface FlowRow {
  agent_id: string;
  interface: string;
  window_start_ns: string;
  window_ns: number;
  frame_type: string;
  src_ip: string;
  dst_ip: string;
  ip_proto: number;
  src_port: number;
  dst_port: number;
  src_mac: number;
  dst_mac: number;
  ethertype: number;
  packets: number;
  bytes: number;
  sampled_packets: number;
  sample_rate: number;
  first_ts_ns: string;
  last_ts_ns: string;
  protocols: string[];
  iat_count: number;
  iat_sum_ns: number;
  iat_sumsq_ns2: number;
  iat_min_ns: number;
  iat_max_ns: number;
  outliers: number;
  errors: number;
}

export function flowRow(agentId: string, iface: string, w: WindowAgg, grid: TimeGrid): FlowRow {
  const k = w.key;
  return {
    agent_id: agentId,
    interface: iface,
    window_start_ns: grid.startString(w.index),
    window_ns: grid.sizeNs,
    frame_type: k.frameType,
    src_ip: srcIpString(k),
    dst_ip: dstIpString(k),
    ip_proto: k.proto,
    src_port: k.sport,
    dst_port: k.dport,
    src_mac: k.smac,
    dst_mac: k.dmac,
    ethertype: k.ethertype,
    packets: w.packets,
    bytes: w.bytes,
    sampled_packets: w.sampled,
    sample_rate: w.sampleRate,
    first_ts_ns: timeString(w.firstSec, w.firstNs),
    last_ts_ns: timeString(w.lastSec, w.lastNs),
    protocols: w.protocols.slice(), // kept sorted
    iat_count: w.iatCount,
    iat_sum_ns: w.iatSum,
    iat_sumsq_ns2: w.iatSumSq,
    iat_min_ns: w.iatMin,
    iat_max_ns: w.iatMax,
    outliers: w.outliers,
    errors: w.errors,
  };
}
