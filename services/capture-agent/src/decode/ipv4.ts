/** IPv4 header (RFC 791), options kept raw, fragments, then the transport layer. */
import type { PacketRecord } from '@streamlens/common';
import { ipv4At } from './address-cache.js';
import { u16 } from './byte-reads.js';
import type { FrameView } from './frame-view.js';
import { EMPTY_BYTES, setError, setPayload } from './record-fields.js';
import { decodeTransport } from './transport.js';

export function decodeIpv4(f: FrameView, off: number, rec: PacketRecord): void {
  const b = f.buf;
  const captured = f.end - off;
  const version = captured > 0 ? b[off] >> 4 : 4;
  if (captured < 20 || version !== 4) {
    setError(rec, version === 4 ? 'ipv4.truncated' : 'ipv4.bad_version');
    setPayload(rec, f, off, f.wireEnd - off);
    return;
  }
  const ihl = (b[off] & 0x0f) << 2;
  rec.ip_version = 4;
  rec.ip_tos = b[off + 1];
  let total = u16(b, off + 2);
  rec.ip_id = u16(b, off + 4);
  const fragWord = u16(b, off + 6);
  rec.ip_flags = fragWord >> 13;
  const fragOffset = (fragWord & 0x1fff) << 3;
  rec.ip_frag_offset = fragOffset;
  rec.ip_ttl = b[off + 8];
  const proto = b[off + 9];
  rec.ip_proto = proto;
  rec.src_ip = ipv4At(b, off + 12);
  rec.dst_ip = ipv4At(b, off + 16);

  const sent = f.wireEnd - off;
  // Total length 0 is what segmentation offload leaves in captures taken on the sender.
  if (total === 0) total = sent;
  let error: 'ipv4.bad_header_length' | 'ipv4.bad_length' | 'ipv4.truncated' | null = null;
  if (ihl < 20) error = 'ipv4.bad_header_length';
  else if (total < ihl) error = 'ipv4.bad_length';
  else if (ihl > captured || total > sent) error = 'ipv4.truncated';
  if (error !== null) {
    setError(rec, error);
    setPayload(rec, f, off, sent);
    return;
  }
  rec.ip_options = ihl > 20 ? b.subarray(off + 20, off + ihl) : EMPTY_BYTES;

  const l4 = off + ihl;
  const end = off + total;
  if (fragOffset !== 0) {
    // A later fragment: its bytes are the middle of some datagram, no L4 header.
    setPayload(rec, f, l4, end - l4);
    return;
  }
  decodeTransport(proto, f, l4, end, (fragWord & 0x2000) !== 0, rec);
}
