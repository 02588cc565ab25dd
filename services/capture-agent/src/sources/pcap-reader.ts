/**
 * Classic libpcap files (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/):
 * microsecond (A1B2C3D4) and nanosecond (A1B23C4D) magic in either byte
 * order, and Kuznetsov's patched format (A1B2CD34, 24-byte record headers).
 */
import { CaptureFileError } from './capture-file-error.js';
import type { ChunkedFile } from './chunked-file.js';
import { newRawFrame, type CaptureInterfaceInfo, type FrameParser, type RawFrame } from './raw-frame.js';

export const PCAP_HEADER_LEN = 24;
/** The largest captured length accepted when the header's snap length is smaller (libpcap's default maximum). */
const MIN_RECORD_LIMIT = 262144;
/** No sane record is bigger; a larger claim means the record header is garbage. */
const MAX_RECORD_LIMIT = 64 * 1024 * 1024;

export interface PcapHeader {
  littleEndian: boolean;
  nanos: boolean;
  recordHeaderLen: number;
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  linkType: number;
  fcsLen: number | null;
}

/** The pcap magic as read little-endian from the first 4 bytes, or null. */
export function pcapMagic(b: Buffer): { littleEndian: boolean; nanos: boolean; patched: boolean } | null {
  if (b.length < 4) return null;
  const le = b.readUInt32LE(0);
  const be = b.readUInt32BE(0);
  for (const [v, littleEndian] of [[le, true], [be, false]] as const) {
    if (v === 0xa1b2c3d4) return { littleEndian, nanos: false, patched: false };
    if (v === 0xa1b23c4d) return { littleEndian, nanos: true, patched: false };
    if (v === 0xa1b2cd34) return { littleEndian, nanos: false, patched: true };
  }
  return null;
}

export function parsePcapHeader(b: Buffer, path: string): PcapHeader {
  const magic = pcapMagic(b);
  if (!magic) throw new CaptureFileError('bad_magic', path, 0, 0, 'not a pcap file');
  if (b.length < PCAP_HEADER_LEN) throw new CaptureFileError('truncated', path, 0, 0, `pcap file header cut short (${b.length} of 24 bytes)`);
  const u16 = (o: number) => (magic.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (magic.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const versionMajor = u16(4);
  const versionMinor = u16(6);
  if (versionMajor !== 2) {
    throw new CaptureFileError('bad_header', path, 4, 0, `unsupported pcap version ${versionMajor}.${versionMinor} (expected 2.x)`);
  }
  const network = u32(20);
  // Upper bits of the link type word: bit 26 says bits 28-31 hold the FCS length in 16-bit words.
  const fcsLen = network & 0x04000000 ? ((network >>> 28) & 0x0f) * 2 : null;
  return {
    littleEndian: magic.littleEndian,
    nanos: magic.nanos,
    recordHeaderLen: magic.patched ? 24 : 16,
    versionMajor,
    versionMinor,
    snapLen: u32(16),
    linkType: network & 0xffff,
    fcsLen,
  };
}

export class PcapParser implements FrameParser {
  need = 0;
  readonly interfaces: CaptureInterfaceInfo[];
  private readonly frame = newRawFrame();
  private readonly recordLimit: number;
  private readonly le: boolean;
  private readonly fracToNs: number;
  private readonly fracPerSec: number;
  private readonly hdrLen: number;

  constructor(private readonly src: ChunkedFile, readonly header: PcapHeader) {
    this.interfaces = [{
      index: 0, section: 0, name: '', description: '', linkType: header.linkType, snapLen: header.snapLen,
      tsUnitsPerSecond: header.nanos ? 1e9 : 1e6, tsOffsetSec: 0, fcsLen: header.fcsLen,
    }];
    this.recordLimit = Math.min(Math.max(header.snapLen, MIN_RECORD_LIMIT), MAX_RECORD_LIMIT);
    this.le = header.littleEndian;
    this.fracToNs = header.nanos ? 1 : 1000;
    this.fracPerSec = header.nanos ? 1e9 : 1e6;
    this.hdrLen = header.recordHeaderLen;
    this.frame.linkType = header.linkType;
  }

  get lastFrameNo(): number {
    return this.frame.frameNo;
  }

  get framesRead(): number {
    return this.frame.frameNo;
  }

  next(): RawFrame | null {
    const src = this.src;
    const b = src.buf;
    const pos = src.pos;
    const hdrLen = this.hdrLen;
    if (src.end - pos < hdrLen) {
      this.need = hdrLen;
      return null;
    }
    let sec: number;
    let frac: number;
    let incl: number;
    let orig: number;
    if (this.le) {
      sec = (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16)) + b[pos + 3] * 0x1000000;
      frac = (b[pos + 4] | (b[pos + 5] << 8) | (b[pos + 6] << 16)) + b[pos + 7] * 0x1000000;
      incl = (b[pos + 8] | (b[pos + 9] << 8) | (b[pos + 10] << 16)) + b[pos + 11] * 0x1000000;
      orig = (b[pos + 12] | (b[pos + 13] << 8) | (b[pos + 14] << 16)) + b[pos + 15] * 0x1000000;
    } else {
      sec = b.readUInt32BE(pos);
      frac = b.readUInt32BE(pos + 4);
      incl = b.readUInt32BE(pos + 8);
      orig = b.readUInt32BE(pos + 12);
    }
    if (incl > this.recordLimit) {
      throw new CaptureFileError('bad_record', src.path, src.offsetOf(pos), this.frame.frameNo,
        `record claims ${incl} captured bytes, more than the snap length allows (${this.recordLimit}); the file is corrupt`);
    }
    if (src.end - pos - hdrLen < incl) {
      this.need = hdrLen + incl;
      return null;
    }
    const f = this.frame;
    if (frac >= this.fracPerSec) {
      // Some writers let the fraction overflow into the next second.
      sec += Math.floor(frac / this.fracPerSec);
      frac %= this.fracPerSec;
    }
    f.frameNo++;
    f.tsSec = sec;
    f.tsNs = frac * this.fracToNs;
    f.capLen = incl;
    f.wireLen = orig;
    f.buf = b;
    f.offset = pos + hdrLen;
    src.pos = pos + hdrLen + incl;
    return f;
  }
}
