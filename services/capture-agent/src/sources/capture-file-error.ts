/** What went wrong in a capture file, where, and how far reading got before it. */

export type CaptureFileErrorCode =
  /** Not a pcap or pcapng file (or an empty one). */
  | 'bad_magic'
  /** A file or section header the reader cannot accept (version, byte order, length). */
  | 'bad_header'
  /** A pcapng block whose length is impossible or disagrees with its trailer, or whose fields contradict it. */
  | 'bad_block'
  /** A pcap record header claiming an impossible captured length. */
  | 'bad_record'
  /** The file ends inside a header, block or record (e.g. a capture cut at a size limit). */
  | 'truncated'
  /** The operating system failed to read the file. */
  | 'io';

export class CaptureFileError extends Error {
  override name = 'CaptureFileError';
  constructor(
    readonly code: CaptureFileErrorCode,
    readonly path: string,
    /** Byte offset in the file of the header, block or record at fault. */
    readonly offset: number,
    /** Frames delivered before the fault; all of them were complete. */
    readonly framesRead: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${detail} at byte offset ${offset} (after ${framesRead} complete frame${framesRead === 1 ? '' : 's'})`, options);
  }
}
