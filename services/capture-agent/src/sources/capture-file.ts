/**
 * CaptureFileReader: frames from a pcap or pcapng file, read by streaming
 * chunks (files can be many GB; memory stays at a few chunks plus whatever
 * the caller still references).
 *
 *   const reader = await CaptureFileReader.open(path);
 *   try {
 *     do {
 *       for (let f = reader.next(); f !== null; f = reader.next()) handle(f);
 *     } while (await reader.fill());
 *   } finally { await reader.close(); }
 *
 * `next()` is synchronous and cheap; null means "no complete frame buffered",
 * then `fill()` reads on (false at the end of the file). `frames()` is the
 * same as an async iterator, for code that is not on a hot path.
 *
 * Errors: CaptureFileError with the byte offset and the count of frames
 * delivered before it. Every frame before the damage is delivered first. A
 * file that ends inside a record or block (a capture cut at a size limit)
 * throws a 'truncated' CaptureFileError from `fill()` once the complete frames
 * are delivered: the loss is reported (the caller counts and logs it), never
 * silently ignored.
 *
 * Progress: `bytesRead` (offset of the next unread record) against `fileSize`.
 *
 * Memory: frames are views into read chunks, never copies. By default a
 * chunk is never reused, so a frame (and every record field decoded from it)
 * stays valid for as long as it is referenced. A consumer that knows when it
 * is done — e.g. once the batch holding the records is encoded — calls
 * `releaseFramesBefore(n)`, and the reader reads into those chunks again
 * instead of allocating fresh memory (measurably faster, see
 * docs/benchmarks.md).
 */
import { CaptureFileError } from './capture-file-error.js';
import { ChunkedFile } from './chunked-file.js';
import { PCAP_HEADER_LEN, PcapParser, parsePcapHeader, pcapMagic } from './pcap-reader.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng-reader.js';
import type { CaptureInterfaceInfo, FrameParser, RawFrame } from './raw-frame.js';

export { CaptureFileError, type CaptureFileErrorCode } from './capture-file-error.js';
export type { CaptureInterfaceInfo, RawFrame } from './raw-frame.js';

/**
 * Bytes per read. Small enough that a chunk is still in the CPU's L2 cache
 * when it is parsed and decoded (measured: 4 MiB chunks made parsing 5×
 * slower than 512 KiB ones), large enough that read calls are cheap.
 */
export const DEFAULT_CHUNK_SIZE = 512 * 1024;

export interface CaptureFileOptions {
  /** Bytes per read (default 512 KiB). Records larger than a chunk are still read whole. */
  chunkSize?: number;
}

export type CaptureFileFormat = 'pcap' | 'pcapng';

export class CaptureFileReader {
  private done = false;

  private constructor(
    private readonly src: ChunkedFile,
    private readonly parser: FrameParser,
    readonly format: CaptureFileFormat,
  ) {}

  /** Open and read the file header (pcapng: every block before the first packet). */
  static async open(path: string, options: CaptureFileOptions = {}): Promise<CaptureFileReader> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!(chunkSize >= 64)) throw new RangeError(`chunkSize must be at least 64 bytes, got ${chunkSize}`);
    let src: ChunkedFile;
    try {
      src = await ChunkedFile.open(path, chunkSize);
    } catch (err) {
      throw new CaptureFileError('io', path, 0, 0, `cannot open: ${(err as Error).message}`, { cause: err });
    }
    try {
      await refill(src, 24);
      const head = src.buf.subarray(src.pos, src.end);
      if (head.length === 0) throw new CaptureFileError('bad_magic', path, 0, 0, 'empty file, not a pcap or pcapng capture');
      if (head.length >= 4 && head.readUInt32LE(0) === PCAPNG_SHB) {
        const parser = new PcapngParser(src);
        while (!parser.headersOnly()) {
          if (!(await refill(src, parser.need))) {
            if (src.end > src.pos) throw truncatedAt(src, 0);
            break;
          }
        }
        return new CaptureFileReader(src, parser, 'pcapng');
      }
      if (pcapMagic(head)) {
        const header = parsePcapHeader(head, path);
        src.pos += PCAP_HEADER_LEN;
        return new CaptureFileReader(src, new PcapParser(src, header), 'pcap');
      }
      const hint = head[0] === 0x1f && head[1] === 0x8b ? ' (it is gzip-compressed: decompress it first)' : '';
      throw new CaptureFileError('bad_magic', path, 0, 0,
        `not a pcap or pcapng capture: starts with ${head.subarray(0, 4).toString('hex')}${hint}`);
    } catch (err) {
      await src.close().catch(() => undefined);
      throw err;
    }
  }

  get path(): string {
    return this.src.path;
  }

  /** Size of the file at open, in bytes (0 when reading a pipe, e.g. `tcpdump -w - | ...`). */
  get fileSize(): number {
    return this.src.size;
  }

  /** File offset just past the last frame delivered (for a progress indicator). */
  get bytesRead(): number {
    return this.src.offsetOf(this.src.pos);
  }

  /** Frames delivered so far. */
  get framesRead(): number {
    return this.parser.framesRead;
  }

  /** Number of the last frame delivered (0 before the first). */
  private get lastFrameNo(): number {
    return this.parser.lastFrameNo;
  }

  /** Interfaces described so far (pcapng can describe more further on: check RawFrame.interfaceIndex). */
  interfaces(): readonly CaptureInterfaceInfo[] {
    return this.parser.interfaces;
  }

  /**
   * Promise that frames numbered below `frameNo`, their bytes and any record
   * decoded from them are no longer used: the reader may overwrite them with
   * later frames. Optional; call it with the first frame number still held
   * (e.g. of the oldest record not yet encoded), or last frameNo + 1.
   */
  releaseFramesBefore(frameNo: number): void {
    this.src.release(frameNo);
  }

  /** The next buffered frame, or null when `fill()` must read more. The RawFrame object is reused. */
  next(): RawFrame | null {
    return this.parser.next();
  }

  /**
   * Read the next chunk. False at the end of the file. Throws a 'truncated'
   * CaptureFileError when the file ends inside a record.
   */
  async fill(): Promise<boolean> {
    if (this.done) return false;
    const src = this.src;
    if (await refill(src, this.parser.need, this.lastFrameNo, this.framesRead)) return true;
    this.done = true;
    if (src.end > src.pos) throw truncatedAt(src, this.framesRead, this.parser.need);
    return false;
  }

  /** Every frame, as an async iterator (the yielded RawFrame object is reused). */
  async *frames(): AsyncGenerator<RawFrame, void, undefined> {
    do {
      for (let f = this.next(); f !== null; f = this.next()) yield f;
    } while (await this.fill());
  }

  async close(): Promise<void> {
    await this.src.close();
  }
}

async function refill(src: ChunkedFile, need: number, lastFrameNo = 0, framesRead = 0): Promise<boolean> {
  try {
    return await src.refill(need, lastFrameNo);
  } catch (err) {
    throw new CaptureFileError('io', src.path, src.offsetOf(src.end), framesRead, `read failed: ${(err as Error).message}`, { cause: err });
  }
}

function truncatedAt(src: ChunkedFile, framesRead: number, need?: number): CaptureFileError {
  const have = src.end - src.pos;
  return new CaptureFileError('truncated', src.path, src.offsetOf(src.pos), framesRead,
    `file ends inside a record: ${have} of ${need && need > have ? need : 'more'} bytes present`);
}
