/**
 * Live capture with libpcap through the optional `cap` binding, on one or more
 * interfaces at once (or "any").
 *
 * cap is loaded only here, lazily: installs where it cannot build (no
 * libpcap-dev) still replay files, and live capture then says what to install.
 *
 * cap delivers every frame by a callback into the single Buffer given to
 * open(), and its native side keeps a raw pointer to that Buffer: the Buffer
 * is a field of the interface object, which is never released (if the GC
 * freed it the process would die with heap corruption under load; see
 * retainedForever for cap's other reason), and each frame is decoded and
 * encoded synchronously inside the callback.
 *
 * What cap 0.2 does not offer, and what the agent does about it:
 *   - timestamps: cap does not pass libpcap's, so a frame is stamped when it
 *     reaches JavaScript (monotonic clock anchored to wall time at start);
 *   - snap length: cap captures 65535 bytes; --snaplen cuts in the agent
 *     (wire_len stays exact);
 *   - promiscuous mode: cap always asks for it; --no-promisc adds a kernel
 *     filter keeping what this host sends or would receive (its MAC,
 *     broadcast, multicast);
 *   - statistics: cap has no stats(); when a binding offers one it is used,
 *     otherwise interface drops come from /sys/class/net/<if>/statistics
 *     (what libpcap itself reports as ps_ifdrop on Linux) and ring drops
 *     cannot be seen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@streamlens/common';

/** The part of cap's API the agent uses. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
  stats?: () => Record<string, number>;
}
interface CapModule {
  Cap: (new () => CapHandle) & { deviceList(): { name: string }[] };
}

/** cap's link type names (pcap_datalink DLTs) to pcap LINKTYPE numbers. */
const LINK_TYPES: Record<string, number> = { NULL: 0, ETHERNET: 1, RAW: 101, LINKTYPE_LINUX_SLL: 113, IEEE802_11_RADIO: 127 };

export const CAP_INSTALL_HINT = 'live capture needs the optional "cap" package built against libpcap: install libpcap-dev ' +
  '(Debian/Ubuntu: apt-get install libpcap-dev; RHEL/Fedora: dnf install libpcap-devel) and run `npm rebuild cap`. ' +
  'Replaying files with --read works without it.';

export const PERMISSION_HINT = 'capturing needs root or the CAP_NET_RAW capability: ' +
  'sudo setcap cap_net_raw,cap_net_admin+eip "$(readlink -f "$(command -v node)")", or AmbientCapabilities=CAP_NET_RAW in a systemd unit ' +
  '(deploy/systemd/streamlens-agent.service, docs/agent.md)';

export class LiveCaptureError extends Error {
  override name = 'LiveCaptureError';
}

export async function loadCap(): Promise<CapModule> {
  let mod: unknown;
  const specifier = 'cap'; // a variable: cap ships no type declarations, and must stay optional
  try {
    mod = await import(specifier);
  } catch (err) {
    throw new LiveCaptureError(`${CAP_INSTALL_HINT} (loading it failed: ${(err as Error).message})`, { cause: err });
  }
  const m = ((mod as { default?: unknown }).default ?? mod) as CapModule;
  if (typeof m?.Cap !== 'function') throw new LiveCaptureError(`the installed "cap" package has no Cap class; ${CAP_INSTALL_HINT}`);
  return m;
}

export interface CaptureStats {
  /** Frames handed to the agent. */
  captured: number;
  /** libpcap ps_recv / ps_drop, when the binding reports them. */
  received?: number;
  dropped?: number;
  /** Frames the interface or its driver dropped since the capture started (libpcap ps_ifdrop). */
  ifdropped?: number;
}

export interface LiveInterfaceOptions {
  name: string;
  filter: string;
  snaplen: number;
  promisc: boolean;
  bufferSize: number;
}

/** Receives each frame: buf[0, capLen) captured, the length on the wire, epoch time, frame number on this interface. */
export type FrameHandler = (buf: Buffer, capLen: number, wireLen: number, tsSec: number, tsNs: number, frameNo: number) => void;

/** Epoch time from the monotonic clock: the wall time at start plus elapsed time, split into seconds and ns. */
class CaptureClock {
  private readonly originSec: number;
  private readonly originNs: number;

  constructor() {
    const origin = performance.timeOrigin;
    this.originSec = Math.floor(origin / 1000);
    this.originNs = Math.round((origin - this.originSec * 1000) * 1e6);
  }

  /** Nanoseconds since originSec (exact enough: performance.now() has sub-µs resolution). */
  nsSinceOrigin(): number {
    return this.originNs + Math.round(performance.now() * 1e6);
  }

  get baseSec(): number {
    return this.originSec;
  }
}

function sysStat(iface: string, name: string): number | undefined {
  const f = `/sys/class/net/${iface}/statistics/${name}`;
  if (!existsSync(f)) return undefined;
  const n = Number(readFileSync(f, 'utf8').trim());
  return Number.isFinite(n) ? n : undefined;
}

/** What libpcap reports as ps_ifdrop on Linux: rx_dropped + rx_missed_errors of the interface. */
function interfaceDrops(iface: string): number | undefined {
  const d = sysStat(iface, 'rx_dropped');
  const m = sysStat(iface, 'rx_missed_errors');
  return d === undefined ? undefined : d + (m ?? 0);
}

/**
 * The kernel filter that keeps what a non-promiscuous interface would pass up:
 * frames to or from its MAC, broadcast and multicast (Ethernet-like only).
 */
export function nonPromiscuousFilter(iface: string, userFilter: string): string {
  if (iface === 'any') return userFilter; // the "any" device is never promiscuous
  let type = '';
  let mac = '';
  try {
    type = readFileSync(`/sys/class/net/${iface}/type`, 'utf8').trim();
    mac = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
  } catch {
    return userFilter;
  }
  // ARPHRD_ETHER (1) and ARPHRD_LOOPBACK (772) carry Ethernet headers.
  if ((type !== '1' && type !== '772') || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) return userFilter;
  const own = `(ether dst ${mac} or ether src ${mac} or ether broadcast or ether multicast)`;
  return userFilter ? `${own} and (${userFilter})` : own;
}

/**
 * Every cap object ever created, referenced for the life of the process. cap
 * 0.2 never uv_close()s its poll handle (close() only stops it) and leaves a
 * half-opened pcap handle behind a failed open: if the GC collected such an
 * object, its destructor would free memory libuv still links to, and the
 * process would crash later. Each costs a small object and its 64 KiB buffer.
 */
const retainedForever: unknown[] = [];

/** One open interface. */
class CaptureInterface {
  /** The frame buffer cap writes into; referenced here for as long as cap may write. */
  readonly buffer = Buffer.alloc(65536);
  readonly handle: CapHandle;
  linkType = -1;
  captured = 0;
  isOpen = false;
  private ifDropsAtStart: number | undefined;

  constructor(private readonly cap: CapModule, readonly o: LiveInterfaceOptions) {
    this.handle = new cap.Cap();
    retainedForever.push(this);
  }

  open(onFrame: FrameHandler, clock: CaptureClock): void {
    const filter = this.o.promisc ? this.o.filter : nonPromiscuousFilter(this.o.name, this.o.filter);
    let lt: string;
    try {
      lt = this.handle.open(this.o.name, filter, this.o.bufferSize, this.buffer);
    } catch (err) {
      // Never close a failed handle: cap would stop a poll handle it never started.
      throw new LiveCaptureError(this.explain((err as Error).message, filter), { cause: err });
    }
    this.isOpen = true;
    const m = /^Unknown linktype (\d+)$/.exec(lt);
    this.linkType = m ? Number(m[1]) : LINK_TYPES[lt] ?? -1;
    this.ifDropsAtStart = this.o.name === 'any' ? undefined : interfaceDrops(this.o.name);
    const buffer = this.buffer;
    const snaplen = this.o.snaplen;
    const baseSec = clock.baseSec;
    // One closure per interface, made once; nothing is allocated per frame.
    this.handle.on('packet', (nbytes: number) => {
      const ns = clock.nsSinceOrigin();
      const sec = Math.floor(ns / 1e9);
      this.captured++;
      onFrame(buffer, nbytes < snaplen ? nbytes : snaplen, nbytes, baseSec + sec, ns - sec * 1e9, this.captured);
    });
  }

  private explain(message: string, filter: string): string {
    const where = `cannot capture on ${this.o.name}`;
    if (/permission|not permitted|EPERM|EACCES/i.test(message)) return `${where}: ${message}; ${PERMISSION_HINT}`;
    if (/no such device|doesn't exist|does not exist/i.test(message)) {
      let names = '';
      try {
        names = this.cap.Cap.deviceList().map((d) => d.name).join(', ');
      } catch { /* listing is best effort */ }
      return `${where}: ${message}${names ? ` (interfaces: ${names})` : ''}`;
    }
    if (/syntax|filter|parse|expression/i.test(message) && filter) return `${where}: bad BPF filter "${filter}": ${message}`;
    return `${where}: ${message}`;
  }

  stats(): CaptureStats {
    const s: CaptureStats = { captured: this.captured };
    const raw = typeof this.handle.stats === 'function' ? this.handle.stats() : undefined;
    if (raw) {
      s.received = raw.ps_recv ?? raw.received;
      s.dropped = raw.ps_drop ?? raw.dropped;
      s.ifdropped = raw.ps_ifdrop ?? raw.ifdropped;
    }
    if (s.ifdropped === undefined && this.ifDropsAtStart !== undefined) {
      const now = interfaceDrops(this.o.name);
      if (now !== undefined) s.ifdropped = Math.max(0, now - this.ifDropsAtStart);
    }
    return s;
  }

  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.handle.removeAllListeners('packet');
    this.handle.close();
  }
}

export interface LiveCaptureOptions {
  interfaces: string[];
  filter: string;
  snaplen: number;
  promisc: boolean;
  bufferSize: number;
  logger: Logger;
}

export class LiveCapture {
  private readonly opened: CaptureInterface[] = [];
  private readonly clock = new CaptureClock();
  private statsSupported = false;
  private finalStats: Map<string, CaptureStats> | undefined;

  constructor(private readonly o: LiveCaptureOptions) {}

  /**
   * Open every interface; `handlerFor` is asked once per interface, after it
   * is open (its link type is known then), for the function that takes its
   * frames. Opens all or none.
   */
  async start(handlerFor: (name: string, linkType: number) => FrameHandler): Promise<void> {
    const cap = await loadCap();
    try {
      for (const name of this.o.interfaces) {
        const ci = new CaptureInterface(cap, { name, filter: this.o.filter, snaplen: this.o.snaplen, promisc: this.o.promisc, bufferSize: this.o.bufferSize });
        let handler: FrameHandler | undefined;
        ci.open((buf, capLen, wireLen, sec, ns, no) => handler!(buf, capLen, wireLen, sec, ns, no), this.clock);
        handler = handlerFor(name, ci.linkType);
        this.opened.push(ci);
        this.statsSupported = typeof ci.handle.stats === 'function';
        this.o.logger.info({ interface: name, linkType: ci.linkType, filter: this.o.filter || undefined, promisc: this.o.promisc, bufferSize: this.o.bufferSize },
          'capturing');
      }
    } catch (err) {
      this.stop();
      throw err;
    }
    if (!this.statsSupported) {
      this.o.logger.warn('the installed cap binding does not report libpcap statistics: kernel ring drops cannot be counted ' +
        '(interface drops are read from /sys/class/net); size --buffer-size for the bursts you expect');
    }
  }

  get statsAvailable(): boolean {
    return this.statsSupported;
  }

  /** Counters of every interface (after stop: as they were when the capture closed). */
  stats(): Map<string, CaptureStats> {
    if (this.opened.length === 0 && this.finalStats) return this.finalStats;
    return new Map(this.opened.map((ci) => [ci.o.name, ci.stats()]));
  }

  /** Close every interface. cap's buffers stay referenced by the closed objects until they are dropped. */
  stop(): void {
    if (this.opened.length) this.finalStats = this.stats();
    for (const ci of this.opened.splice(0)) {
      try {
        ci.close();
      } catch (err) {
        this.o.logger.warn({ interface: ci.o.name, err: (err as Error).message }, 'error closing the capture');
      }
    }
  }
}
