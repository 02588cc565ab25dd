/**
 * Streaming reads of a (possibly many-GB) file in chunks, for the capture
 * parsers. The unconsumed bytes are buf[pos, end). Chunks are never reused or
 * rewritten once handed out, so views into them (frame data, and the record
 * fields decoded from it) stay valid for as long as they are referenced. The
 * next chunk is read ahead while the current one is parsed.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** Room at the front of each chunk for the tail of the previous one (a record split across chunks). */
const HEADROOM = 256 * 1024;

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

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly size: number,
    private readonly chunkSize: number,
  ) {}

  static async open(path: string, chunkSize: number): Promise<ChunkedFile> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new ChunkedFile(fh, path, st.size, chunkSize);
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
      const { bytesRead } = await this.fh.read(buf, at + got, len - got, this.readPos);
      if (bytesRead === 0) break;
      got += bytesRead;
      this.readPos += bytesRead;
    }
    return got;
  }

  private readChunk(): Promise<Filled> {
    const buf = Buffer.allocUnsafeSlow(HEADROOM + this.chunkSize);
    return this.readInto(buf, HEADROOM, this.chunkSize).then((n) => ({ buf, n }));
  }

  /**
   * Make at least `need` unconsumed bytes available (or all the file has
   * left). Returns false when the file had no more bytes at all.
   */
  async refill(need: number): Promise<boolean> {
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
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.bufFileStart = leftoverFileStart - start;
    if (this.readPos >= this.size) {
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
