/** IPv4 header (RFC 791), options kept raw, fragments, then the transport layer. */
import type { PacketRecord } from '@streamlens/common';
import { u16 } from './byte-reads.js';
import { EMPTY_BYTES, setError, setPayload } from './record-fields.js';
import { decodeTransport } from './transport.js';

export function decodeIpv4(data: Buffer, off: number, wire: number, cap: number, rec: PacketRecord): void {
  const captured = data.length - off;
  if (captured < 20 || data[off] >> 4 !== 4) {
    setError(rec, captured < 1 || data[off] >> 4 === 4 ? 'ipv4.truncated' : 'ipv4.bad_version');
    setPayload(rec, data, off, wire - off, cap);
    return;
  }
  const ihl = (data[off] & 0x0f) << 2;
  rec.ip_version = 4;
  rec.ip_tos = data[off + 1];
  let total = u16(data, off + 2);
  rec.ip_id = u16(data, off + 4);
  const fragWord = u16(data, off + 6);
  rec.ip_flags = fragWord >> 13;
  const fragOffset = (fragWord & 0x1fff) << 3;
  rec.ip_frag_offset = fragOffset;
  rec.ip_ttl = data[off + 8];
  const proto = data[off + 9];
  rec.ip_proto = proto;
  rec.src_ip = data.subarray(off + 12, off + 16);
  rec.dst_ip = data.subarray(off + 16, off + 20);

  const sent = wire - off;
  // Total length 0 is what segmentation offload leaves in captures taken on the sender.
  if (total === 0) total = sent;
  let error: 'ipv4.bad_header_length' | 'ipv4.bad_length' | 'ipv4.truncated' | null = null;
  if (ihl < 20) error = 'ipv4.bad_header_length';
  else if (total < ihl) error = 'ipv4.bad_length';
  else if (ihl > captured || total > sent) error = 'ipv4.truncated';
  if (error !== null) {
    setError(rec, error);
    setPayload(rec, data, off, sent, cap);
    return;
  }
  if (ihl > 20) rec.ip_options = data.subarray(off + 20, off + ihl);
  else rec.ip_options = EMPTY_BYTES;

  const l4 = off + ihl;
  const end = off + total;
  if (fragOffset !== 0) {
    // A later fragment: its bytes are the middle of some datagram, no L4 header.
    setPayload(rec, data, l4, end - l4, cap);
    return;
  }
  decodeTransport(proto, data, l4, end, (fragWord & 0x2000) !== 0, cap, rec);
}
