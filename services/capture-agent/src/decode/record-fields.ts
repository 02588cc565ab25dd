/**
 * Writing into a reused PacketRecord: reset to the schema defaults, first
 * error wins, payload slices. Shared empty values are frozen so a consumer
 * that mutates a record cannot corrupt the next one.
 */
import type { PacketRecord } from '@streamlens/common';
import type { DecodeErrorCode } from './decode-errors.js';
import type { FrameView } from './frame-view.js';

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);
export const NO_INTS: number[] = Object.freeze([]) as unknown as number[];

/** Reset every field the decoder owns (all but ts_offset_ns and frame_no). */
export function resetDecodedFields(rec: PacketRecord): void {
  rec.wire_len = 0;
  rec.cap_len = 0;
  rec.eth_src = 0;
  rec.eth_dst = 0;
  rec.vlan_ids = NO_INTS;
  rec.ethertype = 0;
  rec.ip_version = 0;
  rec.src_ip = EMPTY_BYTES;
  rec.dst_ip = EMPTY_BYTES;
  rec.ip_proto = 0;
  rec.ip_ttl = 0;
  rec.ip_tos = 0;
  rec.ip_id = 0;
  rec.ip_flags = 0;
  rec.ip_frag_offset = 0;
  rec.ip_options = EMPTY_BYTES;
  rec.ipv6_flow_label = 0;
  rec.ipv6_ext_headers = NO_INTS;
  rec.src_port = 0;
  rec.dst_port = 0;
  rec.tcp_flags = 0;
  rec.tcp_flags_str = '';
  rec.tcp_seq = 0;
  rec.tcp_ack = 0;
  rec.tcp_window = 0;
  rec.icmp = null;
  rec.arp = null;
  rec.igmp = null;
  rec.dns = null;
  rec.http = null;
  rec.payload_len = 0;
  rec.payload = EMPTY_BYTES;
  rec.decode_error = null;
}

/** Record the first failure; later ones are consequences of it. */
export function setError(rec: PacketRecord, code: DecodeErrorCode): void {
  if (rec.decode_error === null) rec.decode_error = code;
}

/**
 * payload_len is what was sent (`sentLen`); payload is a view of the bytes
 * from `at` that were captured, at most f.cap of them.
 */
export function setPayload(rec: PacketRecord, f: FrameView, at: number, sentLen: number): void {
  rec.payload_len = sentLen > 0 ? sentLen : 0;
  let n = f.end - at;
  if (sentLen < n) n = sentLen;
  if (f.cap < n) n = f.cap;
  rec.payload = n > 0 ? f.buf.subarray(at, at + n) : EMPTY_BYTES;
}
