/** ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses; other pairings keep only their bytes. */
import type { PacketRecord } from '@streamlens/common';
import { mac48, u16 } from './byte-reads.js';
import { setError, setPayload } from './record-fields.js';

export function decodeArp(data: Buffer, off: number, wire: number, cap: number, rec: PacketRecord): void {
  setPayload(rec, data, off, wire - off, cap);
  const have = data.length - off;
  if (have < 8) {
    setError(rec, 'arp.truncated');
    return;
  }
  if (u16(data, off) !== 1 || u16(data, off + 2) !== 0x0800 || data[off + 4] !== 6 || data[off + 5] !== 4) return;
  if (have < 28) {
    setError(rec, 'arp.truncated');
    return;
  }
  rec.arp = {
    op: u16(data, off + 6),
    sender_mac: mac48(data, off + 8),
    sender_ip: data.subarray(off + 14, off + 18),
    target_mac: mac48(data, off + 18),
    target_ip: data.subarray(off + 24, off + 28),
  };
}
