/** What the capture-file readers hand out: frames and the interfaces they were captured on. */

export interface CaptureInterfaceInfo {
  /** Position in CaptureFileReader.interfaces(), counted over all sections of a pcapng file. */
  index: number;
  /** pcapng section (0 for the first, and for pcap files). */
  section: number;
  /** if_name from the pcapng IDB; '' when the file does not say (pcap files never do). */
  name: string;
  /** if_description from the pcapng IDB, or ''. */
  description: string;
  /** pcap LINKTYPE (1 Ethernet, 113 Linux SLL, 276 SLL2, 101 raw IP, 0 null, ...). */
  linkType: number;
  /** Snap length the capture was taken with (0 = unlimited/unknown). */
  snapLen: number;
  /** Timestamp units per second: 1e6 (µs), 1e9 (ns), 2^k for binary if_tsresol values. */
  tsUnitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp of the interface. */
  tsOffsetSec: number;
  /** Bytes of frame check sequence at the end of each frame when the file says so (pcap FCS bits, pcapng if_fcslen), else null. */
  fcsLen: number | null;
}

/**
 * One captured frame. The reader reuses this object for every frame: copy
 * the fields you keep. The bytes are buf[offset, offset + capLen); `data` is
 * a view of them made on access (decodeFrameAt reads buf/offset directly and
 * skips that allocation). The bytes stay valid for as long as they are
 * referenced, unless the caller lets the reader recycle them with
 * CaptureFileReader.releaseFramesBefore.
 */
export interface RawFrame {
  /**
   * 1-based frame number in the file, as Wireshark counts: packet records,
   * plus pcapng custom and systemd-journal blocks, which take a number but
   * are not frames (so numbers can skip).
   */
  frameNo: number;
  /** Index into CaptureFileReader.interfaces(). */
  interfaceIndex: number;
  /** LINKTYPE of that interface, for decodeFrame. */
  linkType: number;
  /** Capture time: whole seconds since the Unix epoch ... */
  tsSec: number;
  /** ... and nanoseconds within that second (0..999 999 999). */
  tsNs: number;
  /** Captured bytes. */
  capLen: number;
  /** Length of the frame on the wire. */
  wireLen: number;
  /** The chunk holding the frame ... */
  buf: Buffer;
  /** ... and where in it the frame starts. */
  offset: number;
  /** buf[offset, offset + capLen) as a Buffer (a new view on each access). */
  readonly data: Buffer;
}

/** A format parser over a chunked file: `next` returns null when it needs `need` bytes at the current position. */
export interface FrameParser {
  readonly need: number;
  /** Frames returned so far. */
  readonly framesRead: number;
  /** frameNo of the last frame returned (0 before the first). */
  readonly lastFrameNo: number;
  readonly interfaces: CaptureInterfaceInfo[];
  next(): RawFrame | null;
}

class ChunkFrame implements RawFrame {
  frameNo = 0;
  interfaceIndex = 0;
  linkType = 0;
  tsSec = 0;
  tsNs = 0;
  capLen = 0;
  wireLen = 0;
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  get data(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.capLen);
  }
}

export function newRawFrame(): RawFrame {
  return new ChunkFrame();
}
