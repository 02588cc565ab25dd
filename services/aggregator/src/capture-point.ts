/**
 * The aggregation state of one capture point (agent_id, interface) within one
 * source partition: its watermark, flow keys with their open windows, and
 * open netflow buckets. `ingest` is the per-record hot path; `close` emits
 * what the watermark has closed.
 */
import { diffNs, type TimeGrid } from './event-time.js';
import { int32At } from '@streamlens/common';
import { Family, FlowKey, FlowTable, packV4Tail, compareKeys, dstIpString, srcIpString, type FrameTypeIds } from './flow-key.js';
import { WindowAgg, flowRow, type FlowRow } from './flow-windows.js';
import { addRunning } from './inter-arrival.js';
import { BucketAgg, netflowRow, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type NetflowPartRow } from './netflow-buckets.js';
import { testOutlier, type OutlierRow, type OutlierRule, type OutlierVerdict } from './outliers.js';
import { Watermark } from './watermark.js';
import type { LocalNetworks } from './local-networks.js';
import type { AggRecord } from './enriched-decoder.js';
import { timeString } from './event-time.js';
import { CapturePointHealth, HealthCounters, type HealthOutput, type StreamHealthParams } from './stream-health/stream-health.js';

/** What every capture point of an aggregator shares. */
export interface AggregationParams {
  window: TimeGrid;
  bucket: TimeGrid;
  latenessNs: number;
  outliers: OutlierRule;
  /** A key silent this long (event time) is forgotten once its windows closed. */
  flowTimeoutNs: number;
  /** Stream health (docs/stream-health.md); null when off. */
  health: StreamHealthParams | null;
}

/** Counters the hot path bumps (plain numbers; the service copies them to metrics). */
export class IngestCounters {
  records = 0;
  late = 0;
  future = 0;
  badTime = 0;
  negativeIat = 0;
  outliers = 0;
  keysCreated = 0;
  keysExpired = 0;
  keysEvicted = 0;
  windowsEmitted = 0;
  windowsFlushedEarly = 0;
  bucketsEmitted = 0;
  readonly health = new HealthCounters();
}

/** What ingest() returns for a record earlier than the watermark (otherwise the record's window index, >= 0). */
export const LATE = -1;

const verdict: OutlierVerdict = { mean: 0, std: 0, sigma: 0 };

export function capturePointKey(agentId: string, iface: string): string {
  return `${agentId}\u0000${iface}`;
}

export class CapturePointState {
  readonly key: string;
  readonly watermark: Watermark;
  readonly table = new FlowTable();
  /** Open windows by window index. */
  readonly windows = new Map<number, Set<WindowAgg>>();
  readonly buckets = new Map<number, BucketAgg>();
  private lastBucket: BucketAgg | null = null;
  /** Processing time of the last record (idle detection; not part of a checkpoint). */
  lastActivityMs = 0;
  /** Telemetry and timing streams (null when stream health is off). */
  readonly health: CapturePointHealth | null;

  constructor(
    readonly agentId: string,
    readonly iface: string,
    readonly params: AggregationParams,
    readonly localNets: LocalNetworks,
    private readonly ftIds: FrameTypeIds,
    private readonly counters: IngestCounters,
  ) {
    this.key = capturePointKey(agentId, iface);
    this.watermark = new Watermark(params.latenessNs);
    this.health = params.health ? new CapturePointHealth(agentId, iface, params.window, params.health, counters.health) : null;
  }

  get openSlots(): number {
    return this.windows.size + this.buckets.size + (this.health !== null ? this.health.openSlots : 0);
  }

  /**
   * Account one record at (sec, ns) and return its flows window index
   * (which stream health reuses); LATE, changing nothing, when it is earlier
   * than the watermark.
   */
  ingest(rec: AggRecord, sec: number, ns: number, sampleRate: number, epoch: number, outliersOut: OutlierRow[]): number {
    const wm = this.watermark;
    if (wm.isLate(sec, ns)) return LATE;
    wm.observe(sec, ns);
    const p = rec.packet;
    const k = this.keyOf(rec, epoch);
    this.table.touch(k, epoch);
    const params = this.params;
    const widx = params.window.index(sec, ns);
    let w = k.cur;
    if (w === null || w.index !== widx) w = this.windowFor(k, widx);

    if (k.hasLast) {
      const iat = diffNs(sec, ns, k.lastSec, k.lastNs);
      if (iat >= 0) {
        if (testOutlier(k, iat, params.outliers, verdict)) {
          w.outliers++;
          this.counters.outliers++;
          outliersOut.push(this.outlierRow(k, w, rec, sec, ns, iat));
        }
        addRunning(k, iat);
        w.addIat(iat);
        k.lastSec = sec;
        k.lastNs = ns;
      } else {
        // Stamped earlier than the key's previous packet (clock step, merged interfaces): no sample.
        this.counters.negativeIat++;
      }
    } else {
      k.hasLast = true;
      k.lastSec = sec;
      k.lastNs = ns;
    }
    const hasError = rec.errors.length > 0 || p.decode_error !== null;
    w.addPacket(sec, ns, p.wire_len, sampleRate, rec.protocols, hasError);

    if (k.family !== Family.L2) this.addToBucket(k, rec, sec, ns, sampleRate);
    return widx;
  }

  /**
   * Stream health of a record ingest() took, with the window index ingest()
   * returned (LATE: the record was found late). The partition calls it after
   * ingest(), not ingest() itself: inlined into ingest(), the tracking used
   * up the flows path's inlining budget and cost it ~10 %
   * (docs/benchmarks.md, "Stream health").
   */
  track(rec: AggRecord, sec: number, ns: number, widx: number, sampleRate: number, epoch: number): void {
    const health = this.health!;
    // sequence continuity and timing need every packet: sampled batches are not tracked
    if (sampleRate !== 1) {
      if (widx !== LATE) this.counters.health.sampledSkipped++;
      return;
    }
    if (widx === LATE) {
      // Too late for its window (and for flows), but it did arrive: a stream's sequence must see it, or
      // timestamps that jump back would look like loss. It counts at the watermark's time.
      const wm = this.watermark;
      health.ingest(rec, wm.wmSec, wm.wmNs, this.params.window.index(wm.wmSec, wm.wmNs), epoch);
    } else {
      health.ingest(rec, sec, ns, widx, epoch);
    }
  }

  private keyOf(rec: AggRecord, epoch: number): FlowKey {
    const p = rec.packet;
    const ft = rec.frame_type;
    const table = this.table;
    if (p.ip_version !== 0) {
      const sl = p.src_ip.length;
      if (sl === 4 && p.dst_ip.length === 4) {
        const src = int32At(p.src_ip, 0);
        const dst = int32At(p.dst_ip, 0);
        const ftId = this.ftIds.id(ft);
        if (ftId >= 0) {
          const tail = packV4Tail(ftId, p.ip_proto, p.src_port, p.dst_port);
          const found = table.getV4(src, dst, tail);
          if (found) return found;
          const k = this.newIpKey(Family.V4, rec);
          k.src4 = src >>> 0;
          k.dst4 = dst >>> 0;
          k.mapKey = tail;
          k.srcLocal = this.localNets.containsV4(k.src4);
          table.add(k, epoch);
          return k;
        }
        const sk = `4|${ft}|${src >>> 0}|${dst >>> 0}|${p.ip_proto}|${p.src_port}|${p.dst_port}`;
        const found = table.getOther(sk);
        if (found) return found;
        const k = this.newIpKey(Family.V4, rec);
        k.src4 = src >>> 0;
        k.dst4 = dst >>> 0;
        k.mapKey = sk;
        k.srcLocal = this.localNets.containsV4(k.src4);
        table.add(k, epoch);
        return k;
      }
      if (sl === 16 && p.dst_ip.length === 16) {
        const sk = `6|${ft}|${p.src_ip.toString('hex')}|${p.dst_ip.toString('hex')}|${p.ip_proto}|${p.src_port}|${p.dst_port}`;
        const found = table.getOther(sk);
        if (found) return found;
        const k = this.newIpKey(Family.V6, rec);
        k.src6 = Buffer.from(p.src_ip);
        k.dst6 = Buffer.from(p.dst_ip);
        k.mapKey = sk;
        k.srcLocal = this.localNets.containsV6(k.src6);
        table.add(k, epoch);
        return k;
      }
    }
    const sk = `E|${ft}|${p.eth_src}|${p.eth_dst}|${p.ethertype}`;
    const found = table.getOther(sk);
    if (found) return found;
    const k = new FlowKey();
    k.family = Family.L2;
    k.frameType = ft;
    k.smac = p.eth_src;
    k.dmac = p.eth_dst;
    k.ethertype = p.ethertype;
    k.mapKey = sk;
    table.add(k, epoch);
    this.counters.keysCreated++;
    return k;
  }

  private newIpKey(family: Family, rec: AggRecord): FlowKey {
    const p = rec.packet;
    const k = new FlowKey();
    k.family = family;
    k.frameType = rec.frame_type;
    k.proto = p.ip_proto;
    k.sport = p.src_port;
    k.dport = p.dst_port;
    k.ethertype = p.ethertype;
    this.counters.keysCreated++;
    return k;
  }

  /** The key's window with index `idx`, created (and registered as open) when missing. */
  private windowFor(k: FlowKey, idx: number): WindowAgg {
    const cur = k.cur;
    if (cur !== null && idx < cur.index) {
      const older = k.older;
      if (older) for (const o of older) if (o.index === idx) return o;
      const w = this.openWindow(k, idx);
      (k.older ??= []).push(w);
      return w;
    }
    if (cur !== null) (k.older ??= []).push(cur);
    const w = this.openWindow(k, idx);
    k.cur = w;
    return w;
  }

  /** Create a window and register it (also used by checkpoint restore). */
  openWindow(k: FlowKey, idx: number): WindowAgg {
    const w = new WindowAgg(k, idx);
    let set = this.windows.get(idx);
    if (!set) this.windows.set(idx, (set = new Set()));
    set.add(w);
    return w;
  }

  private addToBucket(k: FlowKey, rec: AggRecord, sec: number, ns: number, sampleRate: number): void {
    const idx = this.params.bucket.index(sec, ns);
    let b = this.lastBucket;
    if (b === null || b.index !== idx) {
      b = this.buckets.get(idx) ?? null;
      if (b === null) {
        b = new BucketAgg(idx);
        this.buckets.set(idx, b);
      }
      this.lastBucket = b;
    }
    const p = rec.packet;
    const bytes = p.wire_len * sampleRate;
    if (k.srcLocal) {
      b.pktsOut += sampleRate;
      b.bytesOut += bytes;
    } else {
      b.pktsIn += sampleRate;
      b.bytesIn += bytes;
    }
    const proto = p.ip_proto;
    if (proto === 6) {
      b.tcp += sampleRate;
      const f = p.tcp_flags;
      if (f & TCP_SYN) {
        b.syn += sampleRate;
        if (!(f & TCP_ACK)) b.tcpNewFlows += sampleRate;
      }
      if (f & TCP_FIN) b.fin += sampleRate;
      if (f & TCP_RST) b.rst += sampleRate;
    } else if (proto === 17) {
      b.udp += sampleRate;
    }
    if (p.dns !== null && !p.dns.is_response) b.dnsQueries += sampleRate;
    if (k.family === Family.V4) b.dst4.add(k.dst4);
    else b.dst6.add(p.dst_ip.toString('hex'));
    if (proto === 6 || proto === 17 || proto === 132) b.dstPorts.add(p.dst_port);
  }

  private outlierRow(k: FlowKey, w: WindowAgg, rec: AggRecord, sec: number, ns: number, iat: number): OutlierRow {
    return {
      agent_id: this.agentId,
      interface: this.iface,
      ts_ns: timeString(sec, ns),
      window_start_ns: this.params.window.startString(w.index),
      frame_no: rec.packet.frame_no,
      frame_type: k.frameType,
      src_ip: srcIpString(k),
      dst_ip: dstIpString(k),
      ip_proto: k.proto,
      src_port: k.sport,
      dst_port: k.dport,
      src_mac: k.smac,
      dst_mac: k.dmac,
      ethertype: k.ethertype,
      iat_ns: iat,
      mean_ns: verdict.mean,
      std_ns: verdict.std,
      sigma: verdict.sigma,
      threshold_k: this.params.outliers.k,
    };
  }

  /**
   * Emit every window and bucket the watermark has closed (slot end <= watermark),
   * in a deterministic order, and forget keys silent for the flow timeout.
   * `final`: the end of the input (alert rules evaluate their last, partial windows).
   */
  close(flows: FlowRow[], netflow: NetflowPartRow[], health?: HealthOutput, final = false): void {
    const wm = this.watermark;
    if (!wm.hasWm) return;
    if (this.health !== null && health) {
      this.health.close(wm.wmSec, wm.wmNs, wm.maxSec, wm.maxNs, this.params.window.index(wm.wmSec, wm.wmNs), final, this.params.flowTimeoutNs, health);
    }
    const { window, bucket } = this.params;
    const closeW = window.index(wm.wmSec, wm.wmNs);
    const closing: WindowAgg[] = [];
    for (const [idx, set] of this.windows) {
      if (idx >= closeW) continue;
      for (const w of set) closing.push(w);
      this.windows.delete(idx);
    }
    closing.sort((a, b) => a.index - b.index || compareKeys(a.key, b.key));
    for (const w of closing) {
      flows.push(flowRow(this.agentId, this.iface, w, window));
      this.detach(w);
    }
    this.counters.windowsEmitted += closing.length;

    const closeB = bucket.index(wm.wmSec, wm.wmNs);
    const closedBuckets: BucketAgg[] = [];
    for (const [idx, b] of this.buckets) {
      if (idx >= closeB) continue;
      closedBuckets.push(b);
      this.buckets.delete(idx);
      if (this.lastBucket === b) this.lastBucket = null;
    }
    closedBuckets.sort((a, b) => a.index - b.index);
    for (const b of closedBuckets) netflow.push(netflowRow(this.agentId, this.iface, b, bucket));
    this.counters.bucketsEmitted += closedBuckets.length;
    this.expireSilentKeys();
  }

  private detach(w: WindowAgg): void {
    w.done = true;
    const k = w.key;
    if (k.cur === w) {
      k.cur = null;
    } else if (k.older) {
      const i = k.older.indexOf(w);
      if (i >= 0) k.older.splice(i, 1);
    }
    if (k.older && k.older.length === 0) k.older = null;
  }

  /** Keys silent for the flow timeout (and without open windows), oldest first. */
  private expireSilentKeys(): void {
    const wm = this.watermark;
    if (!wm.hasMax) return;
    const timeout = this.params.flowTimeoutNs;
    let k = this.table.head;
    while (k !== null) {
      if (k.cur !== null || diffNs(wm.maxSec, wm.maxNs, k.lastSec, k.lastNs) < timeout) break;
      const next = k.next;
      this.table.remove(k);
      this.counters.keysExpired++;
      k = next;
    }
  }

  /** Emit the key's open windows now (memory cap) and forget it. */
  evict(k: FlowKey, flows: FlowRow[]): void {
    const open: WindowAgg[] = [];
    if (k.cur) open.push(k.cur);
    if (k.older) open.push(...k.older);
    open.sort((a, b) => a.index - b.index);
    for (const w of open) {
      flows.push(flowRow(this.agentId, this.iface, w, this.params.window));
      w.done = true;
      const set = this.windows.get(w.index);
      if (set) {
        set.delete(w);
        if (set.size === 0) this.windows.delete(w.index);
      }
    }
    k.cur = null;
    k.older = null;
    this.counters.windowsFlushedEarly += open.length;
    this.table.remove(k);
    this.counters.keysEvicted++;
  }
}
