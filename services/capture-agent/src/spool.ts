/**
 * The on-disk spool: Kafka messages the agent accepted but Kafka has not
 * acknowledged, kept in order in a bounded directory while Kafka is down or
 * slow, and across agent restarts.
 *
 * Layout of the directory:
 *   seg-<16 hex>.spool       a segment: "SLSPOOL1", then entries (below), in send order;
 *                            segments are drained in name order
 *   seg-<16 hex>.acks        which entries of that segment Kafka already acknowledged
 *                            (bitmap), so a restart does not send them again
 *   *.tmp                    a file being written; one found at start is a crash's
 *                            leftover and is removed (its data never became a segment)
 *   corrupt/                 segments with a damaged entry, kept for inspection
 *   spool.lock               pid of the agent using the directory
 *
 * A segment is written to a temporary name, fsynced, renamed, and the
 * directory fsynced: after a crash a segment is either whole or absent.
 *
 * Entry: u32 length of what follows the CRC, u32 CRC-32 of it, u32 partition,
 * u32 partition count it was routed with, u32 records, f64 time the batch was
 * closed (ms since the epoch), u16 key length, key, value (the Avro message).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('SLSPOOL1');
const ENTRY_FIXED = 8 + 4 + 4 + 4 + 8 + 2;
const FRESH_ID = 2 ** 40;
const SEGMENT_RE = /^seg-([0-9a-f]{16})\.spool$/;

export interface SpoolEntry {
  partition: number;
  /** Partition count of the topic when the batch was routed. */
  partitionCount: number;
  records: number;
  /** When the batch was closed (ms since the epoch), for the publish latency. */
  sealedAt: number;
  key: Buffer;
  value: Buffer;
}

export interface SegmentInfo {
  id: number;
  name: string;
  bytes: number;
}

export interface LoadedSegment {
  segment: SegmentInfo;
  /** Entries not yet acknowledged, with their index in the segment. */
  entries: { index: number; entry: SpoolEntry }[];
  /** Entries in the file (acknowledged ones included). */
  total: number;
  /** A damaged entry was found; `entries` holds the ones before it. */
  corrupt?: string;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  /** Longest time an appended entry waits in memory before being written. */
  flushIntervalMs: number;
}

export interface SpoolEvents {
  /** Temporary files from a crash, removed at open. */
  tornFiles(names: string[]): void;
  corruptSegment(name: string, reason: string, entriesKept: number): void;
  /** Appended entries that could not be written (disk error): given up. */
  writeFailed(entries: SpoolEntry[], err: Error): void;
  written(entries: SpoolEntry[], segment: SegmentInfo): void;
}

export function entrySize(e: SpoolEntry): number {
  return ENTRY_FIXED + e.key.length + e.value.length;
}

function segmentName(id: number): string {
  return `seg-${id.toString(16).padStart(16, '0')}.spool`;
}

function encodeEntries(entries: SpoolEntry[]): Buffer[] {
  const out: Buffer[] = [MAGIC];
  for (const e of entries) {
    const head = Buffer.allocUnsafe(ENTRY_FIXED + e.key.length);
    const len = head.length - 8 + e.value.length;
    head.writeUInt32LE(len, 0);
    head.writeUInt32LE(e.partition, 8);
    head.writeUInt32LE(e.partitionCount, 12);
    head.writeUInt32LE(e.records, 16);
    head.writeDoubleLE(e.sealedAt, 20);
    head.writeUInt16LE(e.key.length, 28);
    e.key.copy(head, ENTRY_FIXED);
    head.writeUInt32LE(crc32(e.value, crc32(head.subarray(8))), 4);
    out.push(head, e.value);
  }
  return out;
}

/** Entries of a segment file; stops at the first damaged one. */
export function decodeSegment(buf: Buffer): { entries: SpoolEntry[]; corrupt?: string } {
  const entries: SpoolEntry[] = [];
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return { entries, corrupt: 'not a spool segment (bad magic)' };
  let pos = MAGIC.length;
  while (pos < buf.length) {
    if (buf.length - pos < ENTRY_FIXED) return { entries, corrupt: `truncated entry header at byte ${pos}` };
    const len = buf.readUInt32LE(pos);
    const end = pos + 8 + len;
    if (len < ENTRY_FIXED - 8 || end > buf.length) return { entries, corrupt: `entry at byte ${pos} claims ${len} bytes, ${buf.length - pos - 8} left` };
    if (crc32(buf.subarray(pos + 8, end)) !== buf.readUInt32LE(pos + 4)) return { entries, corrupt: `CRC mismatch in the entry at byte ${pos}` };
    const keyLen = buf.readUInt16LE(pos + 28);
    if (ENTRY_FIXED + keyLen > len + 8) return { entries, corrupt: `key longer than the entry at byte ${pos}` };
    entries.push({
      partition: buf.readUInt32LE(pos + 8),
      partitionCount: buf.readUInt32LE(pos + 12),
      records: buf.readUInt32LE(pos + 16),
      sealedAt: buf.readDoubleLE(pos + 20),
      key: Buffer.from(buf.subarray(pos + ENTRY_FIXED, pos + ENTRY_FIXED + keyLen)),
      value: Buffer.from(buf.subarray(pos + ENTRY_FIXED + keyLen, end)),
    });
    pos = end;
  }
  return { entries };
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Write `parts` to `path` atomically: temp file, fsync, rename, fsync the directory. */
async function writeAtomic(dir: string, name: string, parts: Buffer[]): Promise<number> {
  const tmp = join(dir, `${name}.tmp`);
  const h = await open(tmp, 'w', 0o640);
  let bytes = 0;
  try {
    const { bytesWritten } = await h.writev(parts);
    bytes = bytesWritten;
    const want = parts.reduce((n, p) => n + p.length, 0);
    if (bytes !== want) throw new Error(`short write to ${tmp}: ${bytes} of ${want} bytes`);
    await h.sync();
  } catch (err) {
    await h.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await h.close();
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
  return bytes;
}

/** Spool directories locked by this process (the lock file cannot tell two instances of one process apart). */
const lockedHere = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The spool directory. Appends are buffered and written as one segment when
 * `segmentBytes` are pending or `flushIntervalMs` passed; every file change
 * runs on one promise chain, in order.
 */
export class Spool {
  private readonly segs: SegmentInfo[] = [];
  private readonly acks = new Map<number, { bits: Buffer; count: number; total: number; dirty: boolean; corrupt: boolean }>();
  private pending: SpoolEntry[] = [];
  private pendingBytesN = 0;
  /** Bytes of segments being written. */
  private writingBytes = 0;
  private diskBytes = 0;
  private io: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private nextId = FRESH_ID;
  private lockFd: number | undefined;
  private opened = false;

  constructor(private readonly opts: SpoolOptions, private readonly events: SpoolEvents) {}

  get dir(): string {
    return this.opts.dir;
  }

  /** Bytes on disk plus bytes waiting to be written. */
  get bytes(): number {
    return this.diskBytes + this.writingBytes + this.pendingBytesN;
  }

  get pendingBytes(): number {
    return this.pendingBytesN;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Segment files, oldest first. */
  get segments(): readonly SegmentInfo[] {
    return this.segs;
  }

  /** Nothing on disk, being written, or pending. */
  get empty(): boolean {
    return this.segs.length === 0 && this.writingBytes === 0 && this.pending.length === 0;
  }

  /** No segment on disk or being written: the pending entries are the oldest spooled data. */
  get onlyPending(): boolean {
    return this.segs.length === 0 && this.writingBytes === 0;
  }

  /** Take the directory: lock it, remove torn temp files, index segments and their acknowledgements. */
  async open(): Promise<void> {
    const dir = this.opts.dir;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      throw new Error(`cannot create the spool directory ${dir}: ${(err as Error).message} (choose another with --spool-dir)`, { cause: err });
    }
    this.lock();
    const names = await readdir(dir);
    const torn = names.filter((n) => n.endsWith('.tmp'));
    for (const n of torn) await rm(join(dir, n), { force: true });
    if (torn.length) this.events.tornFiles(torn);
    const ids = names.map((n) => SEGMENT_RE.exec(n)).filter((m): m is RegExpExecArray => !!m).map((m) => parseInt(m[1], 16)).sort((a, b) => a - b);
    for (const id of ids) {
      const name = segmentName(id);
      const bytes = (await stat(join(dir, name))).size;
      this.segs.push({ id, name, bytes });
      this.diskBytes += bytes;
      const ackFile = join(dir, name.replace(/\.spool$/, '.acks'));
      if (existsSync(ackFile)) {
        const bits = await readFile(ackFile);
        let count = 0;
        for (const b of bits) for (let v = b; v; v &= v - 1) count++;
        this.acks.set(id, { bits, count, total: -1, dirty: false, corrupt: false });
      }
    }
    // Acknowledgement files whose segment is gone (crash between the two removals).
    for (const n of names) {
      const m = /^seg-([0-9a-f]{16})\.acks$/.exec(n);
      if (m && !ids.includes(parseInt(m[1], 16))) await rm(join(dir, n), { force: true });
    }
    if (ids.length) this.nextId = ids[ids.length - 1] + 1;
    this.opened = true;
  }

  private lock(): void {
    const path = join(this.opts.dir, 'spool.lock');
    if (lockedHere.has(resolve(this.opts.dir))) throw new Error(`the spool directory ${this.opts.dir} is already in use by this process`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o640);
        writeSync(fd, `${process.pid}\n`);
        this.lockFd = fd;
        lockedHere.add(resolve(this.opts.dir));
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot lock the spool directory ${this.opts.dir}: ${(err as Error).message}`, { cause: err });
      }
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new Error(`the spool directory ${this.opts.dir} is in use by process ${pid} (another agent?); give each agent its own --spool-dir`);
      }
      // A stale lock (its process is gone): take it over.
      rmSync(path, { force: true });
    }
    throw new Error(`cannot lock the spool directory ${this.opts.dir}`);
  }

  /**
   * Queue an entry for the next segment. False when it would push the spool
   * past its bound (with `reserve` bytes kept free for what memory still holds),
   * unless `force`d.
   */
  append(entry: SpoolEntry, reserve = 0, force = false): boolean {
    if (!this.opened) throw new Error('spool is not open');
    const size = entrySize(entry);
    if (!force && this.bytes + size + reserve > this.opts.maxBytes) return false;
    this.pending.push(entry);
    this.pendingBytesN += size;
    if (this.pendingBytesN >= this.opts.segmentBytes) void this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.opts.flushIntervalMs);
      this.flushTimer.unref();
    }
    return true;
  }

  /** Whether an entry of this size would fit now. */
  fits(size: number, reserve = 0): boolean {
    return this.bytes + size + reserve <= this.opts.maxBytes;
  }

  /** Hand the entries not written yet back to the caller (it sends them from memory). */
  takePending(): SpoolEntry[] {
    const p = this.pending;
    this.pending = [];
    this.pendingBytesN = 0;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    return p;
  }

  /** Write what is pending as a segment at the end of the spool. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return this.io;
    const entries = this.pending;
    const bytes = this.pendingBytesN;
    this.pending = [];
    this.pendingBytesN = 0;
    this.writingBytes += bytes;
    const id = this.nextId++;
    return this.enqueue(async () => {
      try {
        await this.writeSegment(id, entries);
      } catch (err) {
        this.events.writeFailed(entries, err as Error);
      } finally {
        this.writingBytes -= bytes;
      }
    });
  }

  /**
   * Write entries as a segment before every existing one: batches that were
   * in memory at stop precede, per partition, everything spooled after them.
   */
  prepend(entries: SpoolEntry[]): Promise<void> {
    if (entries.length === 0) return this.io;
    return this.enqueue(async () => {
      const id = (this.segs.length ? this.segs[0].id : this.nextId) - 1;
      try {
        await this.writeSegment(id, entries);
      } catch (err) {
        this.events.writeFailed(entries, err as Error);
      }
    });
  }

  private async writeSegment(id: number, entries: SpoolEntry[]): Promise<void> {
    const name = segmentName(id);
    const bytes = await writeAtomic(this.opts.dir, name, encodeEntries(entries));
    const seg = { id, name, bytes };
    const at = this.segs.findIndex((s) => s.id > id);
    if (at < 0) this.segs.push(seg);
    else this.segs.splice(at, 0, seg);
    this.diskBytes += bytes;
    this.events.written(entries, seg);
  }

  /** Read a segment's entries that Kafka has not acknowledged yet. */
  async load(segment: SegmentInfo): Promise<LoadedSegment> {
    await this.io;
    const buf = await readFile(join(this.opts.dir, segment.name));
    const { entries, corrupt } = decodeSegment(buf);
    let a = this.acks.get(segment.id);
    if (!a) {
      a = { bits: Buffer.alloc(Math.ceil(entries.length / 8)), count: 0, total: entries.length, dirty: false, corrupt: !!corrupt };
      this.acks.set(segment.id, a);
    } else {
      a.total = entries.length;
      a.corrupt = !!corrupt;
      if (a.bits.length < Math.ceil(entries.length / 8)) a.bits = Buffer.concat([a.bits, Buffer.alloc(Math.ceil(entries.length / 8) - a.bits.length)]);
    }
    if (corrupt) this.events.corruptSegment(segment.name, corrupt, entries.length);
    const out: LoadedSegment['entries'] = [];
    for (let i = 0; i < entries.length; i++) if (!(a.bits[i >> 3] & (1 << (i & 7)))) out.push({ index: i, entry: entries[i] });
    if (out.length === 0) await this.retire(segment);
    return { segment, entries: out, total: entries.length, ...(corrupt ? { corrupt } : {}) };
  }

  /** Record that Kafka acknowledged (or the agent gave up) entry `index` of a loaded segment; the segment goes when all are. */
  async ack(segment: SegmentInfo, index: number): Promise<void> {
    const a = this.acks.get(segment.id);
    if (!a) throw new Error(`segment ${segment.name} was not loaded`);
    if (a.bits[index >> 3] & (1 << (index & 7))) return;
    a.bits[index >> 3] |= 1 << (index & 7);
    a.count++;
    a.dirty = true;
    if (a.count >= a.total) await this.retire(segment);
  }

  private retire(segment: SegmentInfo): Promise<void> {
    const a = this.acks.get(segment.id);
    this.acks.delete(segment.id);
    const at = this.segs.indexOf(segment);
    if (at < 0) return this.io;
    this.segs.splice(at, 1);
    this.diskBytes -= segment.bytes;
    return this.enqueue(async () => {
      const dir = this.opts.dir;
      if (a?.corrupt) {
        mkdirSync(join(dir, 'corrupt'), { recursive: true });
        await rename(join(dir, segment.name), join(dir, 'corrupt', segment.name));
      } else {
        await rm(join(dir, segment.name), { force: true });
      }
      await rm(join(dir, segment.name.replace(/\.spool$/, '.acks')), { force: true });
    });
  }

  /** Persist the acknowledgements of partly sent segments (a restart skips those entries). */
  saveAcks(): Promise<void> {
    for (const [id, a] of this.acks) {
      if (!a.dirty) continue;
      a.dirty = false;
      const bits = Buffer.from(a.bits);
      void this.enqueue(async () => {
        if (!this.segs.some((s) => s.id === id)) return;
        await writeAtomic(this.opts.dir, segmentName(id).replace(/\.spool$/, '.acks'), [bits]);
      });
    }
    return this.io;
  }

  /** Flush, persist acknowledgements, release the lock. */
  async close(): Promise<void> {
    if (!this.opened) return;
    await this.flush();
    await this.saveAcks();
    await this.io;
    this.opened = false;
    if (this.lockFd !== undefined) {
      closeSync(this.lockFd);
      this.lockFd = undefined;
      rmSync(join(this.opts.dir, 'spool.lock'), { force: true });
      lockedHere.delete(resolve(this.opts.dir));
    }
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.io.then(job);
    this.io = next.catch(() => {});
    return next;
  }
}
