/** ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses; other pairings keep only their bytes. */
import type { PacketRecord } from '@streamlens/common';
import { ipv4At } from './address-cache.js';
import { mac48, u16 } from './byte-reads.js';
import type { FrameView } from './frame-view.js';
import { setError, setPayload } from './record-fields.js';

export function decodeArp(f: FrameView, off: number, rec: PacketRecord): void {
  setPayload(rec, f, off, f.wireEnd - off);
  const b = f.buf;
  const have = f.end - off;
  if (have < 8) {
    setError(rec, 'arp.truncated');
    return;
  }
  if (u16(b, off) !== 1 || u16(b, off + 2) !== 0x0800 || b[off + 4] !== 6 || b[off + 5] !== 4) return;
  if (have < 28) {
    setError(rec, 'arp.truncated');
    return;
  }
  rec.arp = {
    op: u16(b, off + 6),
    sender_mac: mac48(b, off + 8),
    sender_ip: ipv4At(b, off + 14),
    target_mac: mac48(b, off + 18),
    target_ip: ipv4At(b, off + 24),
  };
}
