/** From an EtherType on: VLAN tags, then IPv4, IPv6, ARP, or the raw bytes of anything else. */
import type { PacketRecord } from '@streamlens/common';
import { decodeArp } from './arp.js';
import { u16 } from './byte-reads.js';
import type { FrameView } from './frame-view.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { NO_INTS, setError, setPayload } from './record-fields.js';

const MAX_VLAN_TAGS = 8;

function isVlanTpid(type: number): boolean {
  // 802.1Q, 802.1ad (QinQ S-tag), and the pre-standard QinQ TPIDs 0x9100/0x9200.
  return type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200;
}

/**
 * `type` is the EtherType read just before `off`. Values below 0x0600 are
 * 802.3 lengths (LLC follows): ethertype stays 0 and the payload is the LLC
 * frame. Anything that is not IP or ARP keeps its bytes as the payload.
 */
export function decodeEthertype(type: number, f: FrameView, off: number, rec: PacketRecord): void {
  let o = off;
  if (isVlanTpid(type)) {
    const b = f.buf;
    let vids: number[] | null = null;
    while (isVlanTpid(type)) {
      if (f.end - o < 4) {
        rec.ethertype = type;
        if (vids) rec.vlan_ids = vids;
        setError(rec, 'vlan.truncated');
        setPayload(rec, f, o, f.wireEnd - o);
        return;
      }
      const vid = u16(b, o) & 0x0fff;
      if (vids === null) vids = [vid];
      else vids.push(vid);
      type = u16(b, o + 2);
      o += 4;
      if (vids.length > MAX_VLAN_TAGS) {
        rec.vlan_ids = vids;
        rec.ethertype = type;
        setError(rec, 'vlan.too_many_tags');
        setPayload(rec, f, o, f.wireEnd - o);
        return;
      }
    }
    rec.vlan_ids = vids ?? NO_INTS;
  }
  if (type < 0x0600) {
    setPayload(rec, f, o, f.wireEnd - o);
    return;
  }
  rec.ethertype = type;
  if (type === 0x0800) decodeIpv4(f, o, rec);
  else if (type === 0x86dd) decodeIpv6(f, o, rec);
  else if (type === 0x0806) decodeArp(f, o, rec);
  else setPayload(rec, f, o, f.wireEnd - o);
}
