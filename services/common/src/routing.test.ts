import { describe, expect, it } from 'vitest';
import { RecordRouter } from './routing.js';
import { emptyPacketRecord, type PacketRecord } from './records.js';

function ip(src: number[], dst: number[], extra: Partial<PacketRecord> = {}): PacketRecord {
  return { ...emptyPacketRecord(), ip_version: 4, ethertype: 0x800, src_ip: Buffer.from(src), dst_ip: Buffer.from(dst), ...extra };
}

describe('RecordRouter', () => {
  const r = new RecordRouter('agent-1', 'eth0');

  it('keeps every flow between two hosts together, whatever the ports and the direction', () => {
    const a = ip([10, 0, 0, 1], [10, 0, 0, 2], { ip_proto: 17, src_port: 1000, dst_port: 6679 });
    const b = ip([10, 0, 0, 1], [10, 0, 0, 2], { ip_proto: 6, src_port: 55555, dst_port: 80 });
    const back = ip([10, 0, 0, 2], [10, 0, 0, 1], { ip_proto: 6, src_port: 80, dst_port: 55555 });
    expect(r.hash(a)).toBe(r.hash(b));
    expect(r.hash(back)).toBe(r.hash(b));
    const arp = { ...emptyPacketRecord(), ethertype: 0x806, eth_src: 0x0a, eth_dst: 0x0b };
    expect(r.hash({ ...arp, eth_src: 0x0b, eth_dst: 0x0a })).toBe(r.hash(arp));
  });

  it('puts all PTP of a capture point together (UDP 319/320 and Ethernet)', () => {
    const sync = ip([10, 0, 0, 1], [224, 0, 1, 129], { ip_proto: 17, src_port: 319, dst_port: 319 });
    const delayReq = ip([10, 0, 0, 9], [224, 0, 1, 129], { ip_proto: 17, src_port: 319, dst_port: 319 });
    const l2 = { ...emptyPacketRecord(), ethertype: 0x88f7, eth_src: 1, eth_dst: 2 };
    expect(r.hash(sync)).toBe(r.hash(delayReq));
    expect(r.hash(sync)).toBe(r.hash(l2));
  });

  it('separates capture points and spreads host pairs over partitions', () => {
    const other = new RecordRouter('agent-2', 'eth0');
    const rec = ip([10, 0, 0, 1], [10, 0, 0, 2]);
    expect(other.hash(rec)).not.toBe(r.hash(rec));
    const used = new Set<number>();
    for (let i = 0; i < 200; i++) used.add(r.partitionOf(ip([10, 0, i >> 8, i & 255], [10, 0, 0, 2]), 8));
    expect(used.size).toBe(8);
  });
});
