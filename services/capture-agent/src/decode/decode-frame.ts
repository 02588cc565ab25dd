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
 * Ownership: src_ip, dst_ip, ip_options, payload and the ARP/IGMP addresses
 * are views into `data`, not copies. The record is valid only as long as
 * those bytes are not overwritten. CaptureFileReader never rewrites a chunk
 * it has handed out, so its frames can be decoded in place; a source that
 * reuses its buffer (live capture) must pass a copy of the frame.
 *
 * The record is reused: every field except ts_offset_ns and frame_no is
 * reset, so the caller sets those two.
 */
import type { PacketRecord } from '@streamlens/common';
import { LINKTYPE } from './link-types.js';
import { decodeEthernet, decodeLinuxSll, decodeLinuxSll2, decodeNullLoopback, decodeRawIp } from './link-layer.js';
import { resetDecodedFields, setError, setPayload } from './record-fields.js';

export const DEFAULT_PAYLOAD_CAP = 65535;

/**
 * Decode `data` (the captured bytes; `wireLen` is the length on the wire,
 * which exceeds data.length when the snap length cut the frame) of a capture
 * whose pcap LINKTYPE is `linkType` into `rec`.
 */
export function decodeFrame(linkType: number, data: Buffer, wireLen: number, rec: PacketRecord, payloadCap: number = DEFAULT_PAYLOAD_CAP): void {
  resetDecodedFields(rec);
  const capLen = data.length;
  rec.cap_len = capLen;
  rec.wire_len = wireLen;
  // A record header claiming fewer bytes on the wire than were captured is wrong; trust the bytes.
  const wire = wireLen > capLen ? wireLen : capLen;
  const cap = payloadCap > 0 ? payloadCap : 0;
  switch (linkType) {
    case LINKTYPE.ETHERNET: decodeEthernet(data, wire, cap, rec); return;
    case LINKTYPE.LINUX_SLL: decodeLinuxSll(data, wire, cap, rec); return;
    case LINKTYPE.LINUX_SLL2: decodeLinuxSll2(data, wire, cap, rec); return;
    case LINKTYPE.RAW:
    case LINKTYPE.DLT_RAW_12:
    case LINKTYPE.DLT_RAW_14: decodeRawIp(data, wire, cap, rec, 0); return;
    case LINKTYPE.IPV4: decodeRawIp(data, wire, cap, rec, 0x0800); return;
    case LINKTYPE.IPV6: decodeRawIp(data, wire, cap, rec, 0x86dd); return;
    case LINKTYPE.NULL: decodeNullLoopback(data, wire, cap, rec, false); return;
    case LINKTYPE.LOOP: decodeNullLoopback(data, wire, cap, rec, true); return;
    default:
      setError(rec, 'link.unsupported');
      setPayload(rec, data, 0, wire, cap);
  }
}
