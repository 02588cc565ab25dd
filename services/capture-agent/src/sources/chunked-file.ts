/**
 * Streaming reads of a (possibly many-GB) file in chunks, for the capture
 * parsers. The unconsumed bytes are buf[pos, end). The next chunk is read
 * ahead while the current one is parsed.
 *
 * Chunks are never rewritten while anyone may still use them: by default a
 * chunk is never reused at all (views into it stay valid as long as they are
 * referenced). A consumer that knows when it is done with frames says so with
 * `release(frameNo)`; chunks holding only earlier frames then go back to a
 * small free list and are read into again, which spares the allocation and
 * page faults of fresh memory (about a third of the cost of reading).
 */
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Room at the front of each chunk for the tail of the previous one (a record
 * split across chunks); a longer tail takes a slower path with a buffer of its own.
 */
const HEADROOM = 64 * 1024;
/** Retired chunks waiting for release; beyond this the oldest are left to the garbage collector. */
const MAX_RETIRED = 8;
/** Released chunks kept for reuse. */
const MAX_FREE = 3;

interface Filled {
  buf: Buffer;
  /** Bytes read into buf at HEADROOM. */
  n: number;
}

export class ChunkedFile {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** File offset of buf[0]. */
  private bufFileStart = 0;
  /** File offset of the next read. */
  private readPos = 0;
  private ahead: Promise<Filled> | null = null;
  private eof = false;
  /** Whether the consumer releases frames (until it does, nothing is ever reused). */
  private recycling = false;
  /** Chunks no longer read from, with the number of the last frame delivered from each. */
  private readonly retired: { buf: Buffer; lastFrame: number }[] = [];
  private readonly free: Buffer[] = [];

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    /** Size at open for a regular file; 0 for a pipe or device (read until it ends). */
    readonly size: number,
    /** A regular file is read at explicit offsets up to its size; a pipe sequentially until EOF. */
    private readonly regular: boolean,
    private readonly chunkSize: number,
  ) {}

  static async open(path: string, chunkSize: number): Promise<ChunkedFile> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new ChunkedFile(fh, path, st.isFile() ? st.size : 0, st.isFile(), chunkSize);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** File offset of buf[at]. */
  offsetOf(at: number): number {
    return this.bufFileStart + at;
  }

  /** True once the whole file has been read into chunks. */
  get atEof(): boolean {
    return this.eof;
  }

  private async readInto(buf: Buffer, at: number, len: number): Promise<number> {
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(buf, at + got, len - got, this.regular ? this.readPos : null);
      if (bytesRead === 0) break;
      got += bytesRead;
      this.readPos += bytesRead;
    }
    return got;
  }

  private readChunk(): Promise<Filled> {
    const buf = this.free.pop() ?? Buffer.allocUnsafeSlow(HEADROOM + this.chunkSize);
    return this.readInto(buf, HEADROOM, this.chunkSize).then((n) => ({ buf, n }));
  }

  /**
   * Frames numbered below `frameNo` are no longer used: chunks holding only
   * such frames may be read into again.
   */
  release(frameNo: number): void {
    this.recycling = true;
    while (this.retired.length > 0 && this.retired[0].lastFrame < frameNo) {
      const { buf } = this.retired.shift()!;
      if (this.free.length < MAX_FREE) this.free.push(buf);
    }
  }

  private retire(buf: Buffer, lastFrame: number): void {
    if (!this.recycling || buf.length !== HEADROOM + this.chunkSize) return;
    this.retired.push({ buf, lastFrame });
    if (this.retired.length > MAX_RETIRED) this.retired.shift();
  }

  /**
   * Make at least `need` unconsumed bytes available (or all the file has
   * left). Returns false when the file had no more bytes at all.
   * `lastFrame` is the number of the last frame delivered from the current chunk.
   */
  async refill(need: number, lastFrame = 0): Promise<boolean> {
    if (this.eof) return false;
    const leftover = this.end - this.pos;
    const leftoverFileStart = this.offsetOf(this.pos);
    const next = await (this.ahead ?? this.readChunk());
    this.ahead = null;
    if (next.n === 0) {
      this.eof = true;
      return false;
    }
    let buf: Buffer;
    let start: number;
    let end: number;
    const total = leftover + next.n;
    if (total < need) {
      // A record larger than a chunk: gather it in one buffer of its own.
      buf = Buffer.allocUnsafeSlow(need);
      this.buf.copy(buf, 0, this.pos, this.end);
      next.buf.copy(buf, leftover, HEADROOM, HEADROOM + next.n);
      start = 0;
      end = total + (await this.readInto(buf, total, need - total));
    } else if (leftover <= HEADROOM) {
      buf = next.buf;
      start = HEADROOM - leftover;
      this.buf.copy(buf, start, this.pos, this.end);
      end = HEADROOM + next.n;
    } else {
      buf = Buffer.allocUnsafeSlow(total);
      this.buf.copy(buf, 0, this.pos, this.end);
      next.buf.copy(buf, leftover, HEADROOM, HEADROOM + next.n);
      start = 0;
      end = total;
    }
    this.retire(this.buf, lastFrame);
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.bufFileStart = leftoverFileStart - start;
    if (this.regular && this.readPos >= this.size) {
      // Nothing more to read ahead (a file that grows while being read is read to its size at open).
      this.ahead = Promise.resolve({ buf: Buffer.alloc(0), n: 0 });
    } else {
      this.ahead = this.readChunk();
      // A failed read-ahead surfaces on the next refill, not as an unhandled rejection.
      this.ahead.catch(() => undefined);
    }
    return true;
  }

  async close(): Promise<void> {
    const pending = this.ahead;
    this.ahead = null;
    if (pending) await pending.catch(() => undefined);
    await this.fh.close();
  }
}
