/**
 * TMATS sightings (table tmats_sightings): per capture point, window, sender
 * and setup-record content, when it was seen and how often, with the
 * program name, data sources and channels the setup record declares. A
 * recorder repeating the same TMATS every second gives one row per window;
 * a changed setup record (another program, channels added) starts a row of
 * its own, so the table shows when a recorder's configuration changed.
 *
 * Only complete setup records count (a segmented TMATS is counted once, by
 * the record whose datagram completed it). TMATS is rare (about one packet a
 * second per recorder), so this path may allocate.
 */
import type { AggRecord, AggTmats } from '../enriched-decoder.js';
import { timeString, type TimeGrid } from '../event-time.js';
import { v4String, v6String } from '../flow-key.js';

const TMATS_DATA_TYPE = 0x01;

export class TmatsSighting {
  packets = 0;
  configChanged = 0;
  firstSec = 0;
  firstNs = 0;
  lastSec = 0;
  lastNs = 0;

  constructor(
    readonly index: number,
    readonly key: string,
    readonly src: string,
    readonly dst: string,
    readonly srcPort: number,
    readonly dstPort: number,
    readonly channelId: number,
    readonly t: TmatsContent,
  ) {}

  add(sec: number, ns: number, configChanged: boolean): void {
    if (this.packets === 0 || sec < this.firstSec || (sec === this.firstSec && ns < this.firstNs)) {
      this.firstSec = sec;
      this.firstNs = ns;
    }
    if (this.packets === 0 || sec > this.lastSec || (sec === this.lastSec && ns > this.lastNs)) {
      this.lastSec = sec;
      this.lastNs = ns;
    }
    this.packets++;
    if (configChanged) this.configChanged++;
  }
}

/** The parts of a setup record a sighting keeps (copied out of the decoder's reused objects). */
export interface TmatsContent {
  irig106_release: number;
  format: string;
  program_name: string;
  test_article: string;
  irig106_edition: string;
  origination_date: string;
  attribute_count: number;
  data_source_ids: string[];
  data_source_types: string[];
  channel_ids: number[];
  channel_types: string[];
  channel_names: string[];
  channel_data_sources: string[];
  channel_recorders: string[];
  channel_enabled: number[];
}

export function tmatsContent(t: AggTmats): TmatsContent {
  return {
    irig106_release: t.irig106_release,
    format: t.format,
    program_name: t.program_name,
    test_article: t.test_article,
    irig106_edition: t.irig106_edition,
    origination_date: t.origination_date,
    attribute_count: t.attribute_count,
    data_source_ids: t.data_sources.map((d) => d.id),
    data_source_types: t.data_sources.map((d) => d.type),
    channel_ids: t.channels.map((c) => c.channel_id),
    channel_types: t.channels.map((c) => c.data_type),
    channel_names: t.channels.map((c) => c.name),
    channel_data_sources: t.channels.map((c) => c.data_source_id),
    channel_recorders: t.channels.map((c) => c.recorder_id),
    channel_enabled: t.channels.map((c) => (c.enabled ? 1 : 0)),
  };
}

/** One row of tmats_sightings. */
export interface TmatsSightingRow extends TmatsContent {
  agent_id: string;
  interface: string;
  window_start_ns: string;
  window_ns: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  channel_id: number;
  first_ts_ns: string;
  last_ts_ns: string;
  packets: number;
  config_changed: number;
}

function ipText(b: Buffer): string {
  return b.length === 4 ? v4String(b.readUInt32BE(0)) : b.length === 16 ? v6String(b) : '::';
}

/** Whether a sighting's content is the setup record `t` (no allocation: a recorder repeats the same one). */
function sameContent(c: TmatsContent, t: AggTmats): boolean {
  if (c.irig106_release !== t.irig106_release || c.format !== t.format || c.program_name !== t.program_name || c.test_article !== t.test_article
    || c.irig106_edition !== t.irig106_edition || c.origination_date !== t.origination_date || c.attribute_count !== t.attribute_count
    || c.data_source_ids.length !== t.data_sources.length || c.channel_ids.length !== t.channels.length) return false;
  for (let i = 0; i < t.data_sources.length; i++) {
    const d = t.data_sources[i];
    if (c.data_source_ids[i] !== d.id || c.data_source_types[i] !== d.type) return false;
  }
  for (let i = 0; i < t.channels.length; i++) {
    const ch = t.channels[i];
    if (c.channel_ids[i] !== ch.channel_id || c.channel_types[i] !== ch.data_type || c.channel_names[i] !== ch.name
      || c.channel_data_sources[i] !== ch.data_source_id || c.channel_recorders[i] !== ch.recorder_id || c.channel_enabled[i] !== (ch.enabled ? 1 : 0)) return false;
  }
  return true;
}

function tmatsChannel(rec: AggRecord): number {
  const packets = rec.ch10!.packets;
  for (let i = 0; i < packets.length; i++) if (packets[i].data_type === TMATS_DATA_TYPE) return packets[i].channel_id;
  return 0;
}

export class TmatsSightings {
  /** Open windows: index → sightings by key. */
  readonly windows = new Map<number, Map<string, TmatsSighting>>();
  /** The sighting the last TMATS record went to, with its sender's address bytes: the usual next match. */
  private last: TmatsSighting | null = null;
  private lastSrc = Buffer.alloc(16);
  private lastDst = Buffer.alloc(16);
  private lastAddrLen = -1;

  /** A record that carries a complete TMATS setup record. */
  add(rec: AggRecord, t: AggTmats, widx: number, sec: number, ns: number): void {
    const p = rec.packet;
    const ip = p.ip_version !== 0 && (p.src_ip.length === 4 || p.src_ip.length === 16) && p.src_ip.length === p.dst_ip.length;
    const channelId = tmatsChannel(rec);
    const l = this.last;
    // A recorder repeats one setup record about once a second, so each window's first sighting usually has the
    // sender and content of the last one seen (in the previous window): its key and copied content are reused.
    const repeat = l !== null && l.srcPort === p.src_port && l.dstPort === p.dst_port && l.channelId === channelId
      && this.sameAddresses(ip, p.src_ip, p.dst_ip) && sameContent(l.t, t);
    let win = this.windows.get(widx);
    if (repeat && l.index === widx && win?.get(l.key) === l) {
      l.add(sec, ns, t.config_changed);
      return;
    }
    let src: string, dst: string, content: TmatsContent, key: string;
    if (repeat) {
      ({ src, dst, t: content, key } = l);
    } else {
      src = ip ? ipText(p.src_ip) : '::';
      dst = ip ? ipText(p.dst_ip) : '::';
      content = tmatsContent(t);
      key = JSON.stringify([src, dst, p.src_port, p.dst_port, channelId, content]);
    }
    if (!win) this.windows.set(widx, (win = new Map()));
    let s = win.get(key);
    if (!s) win.set(key, (s = new TmatsSighting(widx, key, src, dst, p.src_port, p.dst_port, channelId, content)));
    s.add(sec, ns, t.config_changed);
    this.last = s;
    this.lastAddrLen = ip ? p.src_ip.length : 0;
    if (ip) {
      p.src_ip.copy(this.lastSrc);
      p.dst_ip.copy(this.lastDst);
    }
  }

  private sameAddresses(ip: boolean, src: Buffer, dst: Buffer): boolean {
    const n = ip ? src.length : 0;
    if (n !== this.lastAddrLen) return false;
    for (let i = 0; i < n; i++) if (src[i] !== this.lastSrc[i] || dst[i] !== this.lastDst[i]) return false;
    return true;
  }

  /** Rows of the windows before `closeIdx` (every window when closeIdx is Infinity), in a fixed order. */
  close(closeIdx: number, agentId: string, iface: string, grid: TimeGrid, out: TmatsSightingRow[]): void {
    if (this.windows.size === 0) return;
    const idxs = [...this.windows.keys()].filter((i) => i < closeIdx).sort((a, b) => a - b);
    for (const idx of idxs) {
      const win = this.windows.get(idx)!;
      this.windows.delete(idx);
      const list = [...win.values()].sort((a, b) => a.firstSec - b.firstSec || a.firstNs - b.firstNs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const s of list) out.push(sightingRow(agentId, iface, s, grid));
    }
  }
}

export function sightingRow(agentId: string, iface: string, s: TmatsSighting, grid: TimeGrid): TmatsSightingRow {
  return {
    agent_id: agentId,
    interface: iface,
    window_start_ns: grid.startString(s.index),
    window_ns: grid.sizeNs,
    src_ip: s.src,
    dst_ip: s.dst,
    src_port: s.srcPort,
    dst_port: s.dstPort,
    channel_id: s.channelId,
    first_ts_ns: timeString(s.firstSec, s.firstNs),
    last_ts_ns: timeString(s.lastSec, s.lastNs),
    packets: s.packets,
    config_changed: s.configChanged,
    ...s.t,
  };
}
