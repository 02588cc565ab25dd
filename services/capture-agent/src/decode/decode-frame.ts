/**
 * decodeFrame: one captured frame into a PacketRecord, L2 to L4 plus DNS and
 * HTTP summaries. Never throws on frame content and never drops a frame: a
 * truncated or malformed frame gets `decode_error` (a code from
 * DECODE_ERROR_CODES) with every field of the layers before the failing one
 * filled, and `payload` holding the bytes after the last layer that decoded.
 *
 * Payload rule: `payload` is the L4 data (TCP/UDP data, the ICMP/ICMPv6 body
 * after the 8-byte header; the whole IP payload for other protocols, IGMP
 * included, and for non-first fragments); for non-IP frames the bytes after
 * the EtherType (e.g. the PTP message of 0x88F7 frames, the ARP packet).
 * `payload_len` is that length as sent; `payload` keeps at most `payloadCap`
 * of the captured bytes (DEFAULT_PAYLOAD_CAP = 65535: whole UDP datagrams, so
 * TMATS text and segmented Chapter 10 transfers reach the dissectors).
 *
 * Ownership: payload and ip_options are views into `data`, not copies: the
 * record is valid only as long as those bytes are not overwritten.
 * CaptureFileReader never rewrites a frame until the caller releases it
 * (releaseFramesBefore), so its frames can be decoded in place; a source that
 * reuses its buffer (live capture) must pass a copy of the frame. IP, ARP and
 * IGMP addresses are small Buffers shared between records (address-cache.ts):
 * read-only.
 *
 * The record is reused: every field except ts_offset_ns and frame_no is
 * reset, so the caller sets those two.
 */
import type { PacketRecord } from '@streamlens/common';
import type { FrameView } from './frame-view.js';
import { LINKTYPE } from './link-types.js';
import { decodeEthernet, decodeLinuxSll, decodeLinuxSll2, decodeNullLoopback, decodeRawIp } from './link-layer.js';
import { resetDecodedFields, setError, setPayload } from './record-fields.js';

export const DEFAULT_PAYLOAD_CAP = 65535;

/** The one view decodeFrameAt fills per call (decoding is synchronous and not re-entrant). */
const view: FrameView = { buf: Buffer.alloc(0), start: 0, end: 0, wireEnd: 0, cap: 0 };

/**
 * Decode `data` (the captured bytes; `wireLen` is the length on the wire,
 * which exceeds data.length when the snap length cut the frame) of a capture
 * whose pcap LINKTYPE is `linkType` into `rec`.
 */
export function decodeFrame(linkType: number, data: Buffer, wireLen: number, rec: PacketRecord, payloadCap: number = DEFAULT_PAYLOAD_CAP): void {
  decodeFrameAt(linkType, data, 0, data.length, wireLen, rec, payloadCap);
}

/**
 * decodeFrame for a frame held at buf[start, start + capLen) — a reader's
 * chunk, say — without making a view of it first. Record fields are views
 * into `buf`.
 */
export function decodeFrameAt(linkType: number, buf: Buffer, start: number, capLen: number, wireLen: number, rec: PacketRecord,
  payloadCap: number = DEFAULT_PAYLOAD_CAP): void {
  resetDecodedFields(rec);
  rec.cap_len = capLen;
  rec.wire_len = wireLen;
  const f = view;
  f.buf = buf;
  f.start = start;
  f.end = start + capLen;
  // A record header claiming fewer bytes on the wire than were captured is wrong; trust the bytes.
  f.wireEnd = start + (wireLen > capLen ? wireLen : capLen);
  f.cap = payloadCap > 0 ? payloadCap : 0;
  switch (linkType) {
    case LINKTYPE.ETHERNET: decodeEthernet(f, rec); break;
    case LINKTYPE.LINUX_SLL: decodeLinuxSll(f, rec); break;
    case LINKTYPE.LINUX_SLL2: decodeLinuxSll2(f, rec); break;
    case LINKTYPE.RAW:
    case LINKTYPE.DLT_RAW_12:
    case LINKTYPE.DLT_RAW_14: decodeRawIp(f, rec, 0); break;
    case LINKTYPE.IPV4: decodeRawIp(f, rec, 0x0800); break;
    case LINKTYPE.IPV6: decodeRawIp(f, rec, 0x86dd); break;
    case LINKTYPE.NULL: decodeNullLoopback(f, rec, false); break;
    case LINKTYPE.LOOP: decodeNullLoopback(f, rec, true); break;
    default:
      setError(rec, 'link.unsupported');
      setPayload(rec, f, start, f.wireEnd - start);
  }
  // Drop the reference so a finished chunk is not kept alive by the view.
  f.buf = EMPTY_VIEW_BUF;
}

const EMPTY_VIEW_BUF = Buffer.alloc(0);
