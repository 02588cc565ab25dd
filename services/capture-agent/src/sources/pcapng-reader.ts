/**
 * pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/):
 * Section Header (byte order from its magic, several sections per file),
 * Interface Description (if_name, if_description, if_tsresol incl. binary
 * resolutions, if_tsoffset, if_fcslen), Enhanced and Simple Packet Blocks,
 * the obsolete Packet Block; every other block type is skipped by its length.
 *
 * A Simple Packet Block has no timestamp: its frame carries the time of the
 * packet before it (0 if none), so a replay keeps its order and pace.
 *
 * Frame numbers follow Wireshark, which also numbers custom blocks and
 * systemd journal export blocks: those use up a number without a frame.
 */
import { CaptureFileError } from './capture-file-error.js';
import type { ChunkedFile } from './chunked-file.js';
import { newRawFrame, type CaptureInterfaceInfo, type FrameParser, type RawFrame } from './raw-frame.js';
import { setTimestamp, unitsPerSecond } from './timestamp-units.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;
const SYSTEMD_JOURNAL = 9;
const CUSTOM_COPYABLE = 0x00000bad;
const CUSTOM_NOCOPY = 0x40000bad;
/** libpcap refuses blocks above 16 MiB; so do we (a larger length means a corrupt header). */
const MAX_BLOCK = 16 * 1024 * 1024;

interface InterfaceTime {
  units: number;
  offsetSec: number;
}

export class PcapngParser implements FrameParser {
  need = 0;
  readonly interfaces: CaptureInterfaceInfo[] = [];
  private readonly times: InterfaceTime[] = [];
  private readonly frame = newRawFrame();
  private le = true;
  private section = -1;
  /** Index in `interfaces` of the current section's interface 0. */
  private sectionBase = 0;
  /** Set by `headersOnly`: stop before the first packet block instead of reading it. */
  private stopBeforePackets = false;
  private atPacket = false;
  private delivered = 0;

  constructor(private readonly src: ChunkedFile) {}

  private u32(b: Buffer, o: number): number {
    return this.le
      ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000
      : b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  private u16(b: Buffer, o: number): number {
    return this.le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
  }

  private fail(code: 'bad_block' | 'bad_header', at: number, detail: string): never {
    throw new CaptureFileError(code, this.src.path, this.src.offsetOf(at), this.delivered, detail);
  }

  /**
   * Process the blocks before the next packet block (so interfaces() is
   * known before the first frame). True when a packet block is next; false
   * when `need` more bytes must be read first.
   */
  headersOnly(): boolean {
    this.stopBeforePackets = true;
    this.atPacket = false;
    try {
      this.next();
    } finally {
      this.stopBeforePackets = false;
    }
    return this.atPacket;
  }

  get lastFrameNo(): number {
    return this.frame.frameNo;
  }

  get framesRead(): number {
    return this.delivered;
  }

  next(): RawFrame | null {
    const src = this.src;
    for (;;) {
      const b = src.buf;
      const pos = src.pos;
      const avail = src.end - pos;
      if (avail < 12) {
        this.need = 12;
        return null;
      }
      let type = this.u32(b, pos);
      if (type === PCAPNG_SHB) {
        const magic = b.readUInt32LE(pos + 8);
        if (magic === BYTE_ORDER_MAGIC) this.le = true;
        else if (magic === 0x4d3c2b1a) this.le = false;
        else this.fail('bad_header', pos, `section header with invalid byte-order magic 0x${b.readUInt32BE(pos + 8).toString(16)}`);
      } else if (this.section < 0) {
        this.fail('bad_header', pos, 'pcapng file does not start with a section header block');
      }
      type = this.u32(b, pos);
      const len = this.u32(b, pos + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
        this.fail('bad_block', pos, `block of type 0x${type.toString(16)} has impossible length ${len}`);
      }
      if (this.stopBeforePackets && (type === EPB || type === SPB || type === OPB)) {
        this.atPacket = true;
        return null;
      }
      if (avail < len) {
        this.need = len;
        return null;
      }
      const trailer = this.u32(b, pos + len - 4);
      if (trailer !== len) {
        this.fail('bad_block', pos, `block of type 0x${type.toString(16)} says length ${len} but its trailer says ${trailer}`);
      }
      let frame: RawFrame | null = null;
      switch (type) {
        case EPB: frame = this.enhancedPacket(b, pos, len); break;
        case SPB: frame = this.simplePacket(b, pos, len); break;
        case OPB: frame = this.obsoletePacket(b, pos, len); break;
        case PCAPNG_SHB: this.sectionHeader(b, pos, len); break;
        case IDB: this.interfaceDescription(b, pos, len); break;
        case SYSTEMD_JOURNAL:
        case CUSTOM_COPYABLE:
        case CUSTOM_NOCOPY: this.frame.frameNo++; break;
        default: break; // NRB, ISB, DSB and unknown blocks: skipped by length.
      }
      src.pos = pos + len;
      if (frame) return frame;
    }
  }

  private sectionHeader(b: Buffer, pos: number, len: number): void {
    if (len < 28) this.fail('bad_header', pos, `section header block too short (${len} bytes)`);
    const major = this.u16(b, pos + 12);
    const minor = this.u16(b, pos + 14);
    if (major !== 1) this.fail('bad_header', pos, `unsupported pcapng version ${major}.${minor} (expected 1.x)`);
    this.section++;
    this.sectionBase = this.interfaces.length;
  }

  private interfaceDescription(b: Buffer, pos: number, len: number): void {
    if (len < 20) this.fail('bad_block', pos, `interface description block too short (${len} bytes)`);
    const info: CaptureInterfaceInfo = {
      index: this.interfaces.length,
      section: this.section,
      name: '',
      description: '',
      linkType: this.u16(b, pos + 8),
      snapLen: this.u32(b, pos + 12),
      tsUnitsPerSecond: 1e6,
      tsOffsetSec: 0,
      fcsLen: null,
    };
    // Options: code, length, value padded to 4 bytes; opt_endofopt (0) ends them. A malformed
    // option ends the scan: the interface is still usable with what was read.
    let o = pos + 16;
    const end = pos + len - 4;
    while (end - o >= 4) {
      const code = this.u16(b, o);
      const olen = this.u16(b, o + 2);
      const v = o + 4;
      if (code === 0 || v + olen > end) break;
      if (code === 2) info.name = b.toString('utf8', v, v + olen).replace(/\0+$/, '');
      else if (code === 3) info.description = b.toString('utf8', v, v + olen).replace(/\0+$/, '');
      else if (code === 9 && olen >= 1) info.tsUnitsPerSecond = unitsPerSecond(b[v]);
      else if (code === 13 && olen >= 1) info.fcsLen = b[v];
      else if (code === 14 && olen >= 8) {
        info.tsOffsetSec = Number(this.le ? b.readBigInt64LE(v) : b.readBigInt64BE(v));
      }
      o = v + ((olen + 3) & ~3);
    }
    this.interfaces.push(info);
    this.times.push({ units: info.tsUnitsPerSecond, offsetSec: info.tsOffsetSec });
  }

  private interfaceFor(ifId: number, pos: number): number {
    const index = this.sectionBase + ifId;
    if (ifId >= this.interfaces.length - this.sectionBase) {
      this.fail('bad_block', pos, `packet block names interface ${ifId} but section ${this.section} describes ${this.interfaces.length - this.sectionBase}`);
    }
    return index;
  }

  private fill(b: Buffer, pos: number, len: number, index: number, dataOff: number, capLen: number, wireLen: number): RawFrame {
    if (capLen > len - 4 - dataOff) {
      this.fail('bad_block', pos, `packet block captured length ${capLen} exceeds the block (${len} bytes)`);
    }
    const f = this.frame;
    f.frameNo++;
    this.delivered++;
    f.interfaceIndex = index;
    f.linkType = this.interfaces[index].linkType;
    f.capLen = capLen;
    f.wireLen = wireLen;
    f.buf = b;
    f.offset = pos + dataOff;
    return f;
  }

  private enhancedPacket(b: Buffer, pos: number, len: number): RawFrame {
    if (len < 32) this.fail('bad_block', pos, `enhanced packet block too short (${len} bytes)`);
    const index = this.interfaceFor(this.u32(b, pos + 8), pos);
    const t = this.times[index];
    setTimestamp(this.frame, this.u32(b, pos + 12), this.u32(b, pos + 16), t.units, t.offsetSec);
    return this.fill(b, pos, len, index, 28, this.u32(b, pos + 20), this.u32(b, pos + 24));
  }

  private obsoletePacket(b: Buffer, pos: number, len: number): RawFrame {
    if (len < 32) this.fail('bad_block', pos, `packet block too short (${len} bytes)`);
    const index = this.interfaceFor(this.u16(b, pos + 8), pos);
    const t = this.times[index];
    setTimestamp(this.frame, this.u32(b, pos + 12), this.u32(b, pos + 16), t.units, t.offsetSec);
    return this.fill(b, pos, len, index, 28, this.u32(b, pos + 20), this.u32(b, pos + 24));
  }

  private simplePacket(b: Buffer, pos: number, len: number): RawFrame {
    if (len < 16) this.fail('bad_block', pos, `simple packet block too short (${len} bytes)`);
    const index = this.interfaceFor(0, pos);
    const wireLen = this.u32(b, pos + 8);
    const snap = this.interfaces[index].snapLen;
    let capLen = len - 16;
    if (wireLen < capLen) capLen = wireLen;
    if (snap > 0 && snap < capLen) capLen = snap;
    return this.fill(b, pos, len, index, 12, capLen, wireLen);
  }
}
