/** IPv6 fixed header (RFC 8200) and the extension-header chain, then the transport layer. */
import type { PacketRecord } from '@streamlens/common';
import { ipv6At } from './address-cache.js';
import { u16, u32 } from './byte-reads.js';
import type { FrameView } from './frame-view.js';
import { setError, setPayload } from './record-fields.js';
import { decodeTransport } from './transport.js';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AH = 51;
const DEST_OPTS = 60;

/** Headers with the generic (next header, length in 8-byte units - 1) layout besides 0/43/60: Mobility, HIP, Shim6, experiments. */
function isExtensionHeader(nh: number): boolean {
  return nh === HOP_BY_HOP || nh === ROUTING || nh === FRAGMENT || nh === DEST_OPTS || nh === AH ||
    nh === 135 || nh === 139 || nh === 140 || nh === 253 || nh === 254;
}

export function decodeIpv6(f: FrameView, off: number, rec: PacketRecord): void {
  const b = f.buf;
  const captured = f.end - off;
  const version = captured > 0 ? b[off] >> 4 : 6;
  if (captured < 40 || version !== 6) {
    setError(rec, version === 6 ? 'ipv6.truncated' : 'ipv6.bad_version');
    setPayload(rec, f, off, f.wireEnd - off);
    return;
  }
  const first = u32(b, off);
  rec.ip_version = 6;
  rec.ip_tos = (first >>> 20) & 0xff;
  rec.ipv6_flow_label = first & 0xfffff;
  let payloadLen = u16(b, off + 4);
  let nh = b[off + 6];
  rec.ip_ttl = b[off + 7];
  rec.src_ip = ipv6At(b, off + 8);
  rec.dst_ip = ipv6At(b, off + 24);
  rec.ip_proto = nh;

  const sent = f.wireEnd - off - 40;
  // 0 is a jumbogram (RFC 2675) or a segmentation-offload capture: take what the frame holds.
  if (payloadLen === 0) payloadLen = sent;
  if (payloadLen > sent) {
    setError(rec, 'ipv6.truncated');
    setPayload(rec, f, off + 40, sent);
    return;
  }
  const end = off + 40 + payloadLen;
  const capEnd = end < f.end ? end : f.end;
  let p = off + 40;
  let ext: number[] | null = null;
  let moreFragments = false;
  let fragOffset = 0;
  while (isExtensionHeader(nh)) {
    if (ext === null) ext = [nh];
    else ext.push(nh);
    rec.ipv6_ext_headers = ext;
    const have = capEnd - p;
    let len: number;
    if (nh === FRAGMENT) len = 8;
    else if (have < 2) len = 2;
    else if (nh === AH) len = (b[p + 1] + 2) << 2;
    else len = (b[p + 1] + 1) << 3;
    if (len > have) {
      setError(rec, 'ipv6.ext_truncated');
      setPayload(rec, f, p, end - p);
      return;
    }
    if (nh === FRAGMENT) {
      const w = u16(b, p + 2);
      fragOffset = w & 0xfff8;
      moreFragments = (w & 1) !== 0;
      rec.ip_frag_offset = fragOffset;
      rec.ip_flags = moreFragments ? 1 : 0;
      rec.ip_id = u32(b, p + 4);
    }
    nh = b[p];
    p += len;
  }
  rec.ip_proto = nh;
  if (fragOffset !== 0) {
    setPayload(rec, f, p, end - p);
    return;
  }
  decodeTransport(nh, f, p, end, moreFragments, rec);
}
