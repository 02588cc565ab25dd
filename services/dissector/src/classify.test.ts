/**
 * The precedence rules of docs/frame-types.md, one by one, with real protocol
 * payloads (taken from the public captures) re-sent in crafted frames on
 * ports that would make a port-based classifier wrong.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnrichedRecord, PacketRecord } from '@streamlens/common';
import { readCaptureRecords } from '../test-support/capture-records.js';
import { ethernet, ipv4, udp, udpFrame } from '../test-support/frames.js';
import { recordOf } from '../test-support/records.js';
import { publicCapture } from '../test-oracles/capture-frames.js';
import { Dissector, type DissectorInit } from './dissect.js';

async function payloads(rel: string): Promise<PacketRecord[]> {
  const path = publicCapture(rel);
  if (!path) throw new Error(`public capture ${rel} not found (test/fixtures/captures or STREAMLENS_CAPTURES_DIR)`);
  return (await readCaptureRecords(path)).records;
}

const A = '10.0.0.1';
const B = '10.0.0.2';
const T = 1_732_000_000_000;

function run(d: Dissector, frame: Buffer): EnrichedRecord {
  return d.dissectRecord(recordOf(frame), 1, T);
}

let ch10Full: Buffer; // Format 1 full datagram
let ch10First: Buffer; // first slice of a segmented packet
let ch10Next: Buffer; // its continuation
let ienaD: Buffer;
let ptpUdp: Buffer; // Delay_Req from tcpdump_ptp.pcap
let ptpL2: Buffer; // ethernet frame with 0x88F7

beforeAll(async () => {
  const c10 = await payloads('ch10udp/c10-tools_test.pcap');
  ch10Full = c10.find((r) => r.payload[0] === 0x01 && r.payload.length > 28)!.payload;
  const firstIdx = c10.findIndex((r) => r.payload[0] === 0x11 && r.payload.readUInt32LE(8) === 0);
  ch10First = c10[firstIdx].payload;
  ch10Next = c10.slice(firstIdx + 1).find((r) => r.payload[0] === 0x11 && r.payload.readUInt32LE(8) !== 0
    && r.payload.readUInt16LE(4) === ch10First.readUInt16LE(4) && r.payload[6] === ch10First[6])!.payload;
  ienaD = (await payloads('iena/acranetwork_ienad.pcap'))[0].payload;
  ptpUdp = (await payloads('ptp/tcpdump_ptp.pcap')).find((r) => r.dst_port === 319)!.payload;
  const l2 = (await payloads('ptp/tcpdump_ptp_ethernet.pcap'))[0];
  ptpL2 = ethernet(0x88f7, l2.payload, { dst: '01:1b:19:00:00:00' });
});

function dissector(init: DissectorInit = {}): Dissector {
  return new Dissector(init);
}

describe('rule 1: EtherType 0x88F7 is PTP and never falls back', () => {
  it('a real L2 PTP message', () => {
    const out = run(dissector(), ptpL2);
    expect(out.frame_type).toMatch(/^PTP-/);
    expect(out.classified_by).toBe('ethertype');
    expect(out.protocols).toEqual(['eth', 'ptp']);
    expect(out.cast).toBe('multicast');
  });

  it('a Chapter 10 datagram behind 0x88F7 is still PTP (PTP-Unknown with an error)', () => {
    const out = run(dissector(), ethernet(0x88f7, ch10Full));
    expect(out.frame_type).toBe('PTP-Unknown');
    expect(out.classified_by).toBe('ethertype');
    expect(out.ch10).toBeNull();
    expect(out.errors.some((e) => e.startsWith('ptp.'))).toBe(true);
  });

  it('a 0x88F7 frame behind a VLAN tag', () => {
    const l2 = ethernet(0x88f7, ptpL2.subarray(14), { vlans: [7], dst: '01:1b:19:00:00:00' });
    const out = run(dissector(), l2);
    expect(out.frame_type).toMatch(/^PTP-(Sync|Follow_Up|Announce|Delay_Req|Delay_Resp)$/);
    expect(out.protocols).toEqual(['eth', 'vlan', 'ptp']);
  });
});

describe('rule 2: UDP 319/320 with a PTP payload', () => {
  it('PTP on 319 is PTP', () => {
    const out = run(dissector(), udpFrame(A, '224.0.1.129', 319, 319, ptpUdp));
    expect(out.frame_type).toBe('PTP-Delay_Req');
    expect(out.classified_by).toBe('ptp-port');
    expect(out.protocols).toEqual(['eth', 'ipv4', 'udp', 'ptp']);
  });

  it('the same bytes on another port are not PTP unless the port is configured', () => {
    expect(run(dissector(), udpFrame(A, B, 40000, 4000, ptpUdp)).frame_type).toBe('UDP');
    const pinned = run(dissector({ ptpPorts: [4000] }), udpFrame(A, B, 40000, 4000, ptpUdp));
    expect(pinned.frame_type).toBe('PTP-Delay_Req');
    expect(pinned.classified_by).toBe('ptp-port');
  });
});

describe('rule 3: Chapter 10 by a validated header on any port', () => {
  it.each([53, 123, 161, 443, 5548, 50000])('a Chapter 10 datagram on port %i is Chapter 10', (port) => {
    const out = run(dissector(), udpFrame(A, B, 40000, port, ch10Full));
    expect(out.frame_type).toMatch(/^(TMATS|CH10-)/);
    expect(out.classified_by).toBe('ch10-header');
    expect(out.protocols).toEqual(['eth', 'ipv4', 'udp', 'ch10']);
    expect(out.app).toBeNull();
    expect(out.errors).toEqual([]);
  });

  it('on port 53 the agent decoded it as DNS; that decoding does not leak into the record', () => {
    const p = recordOf(udpFrame(A, B, 40000, 53, ch10Full));
    const out = dissector().dissectRecord(p, 1, T);
    expect(out.frame_type).toMatch(/^CH10-/);
    expect(out.protocols).not.toContain('dns');
    expect(out.errors.filter((e) => e.startsWith('dns.'))).toEqual([]);
  });

  it('a continuation segment is Chapter 10 only in a flow already known as Chapter 10', () => {
    expect(run(dissector(), udpFrame(A, B, 62360, 2000, ch10Next)).frame_type).toBe('UDP');
    const d = dissector();
    expect(run(d, udpFrame(A, B, 62360, 2000, ch10First)).classified_by).toBe('ch10-header');
    const next = run(d, udpFrame(A, B, 62360, 2000, ch10Next));
    expect(next.frame_type).toBe('CH10-Segment');
    expect(next.classified_by).toBe('ch10-flow');
    // Another flow (other source port) is not known.
    expect(run(d, udpFrame(A, B, 62361, 2000, ch10Next)).frame_type).toBe('UDP');
  });

  it('a pinned Chapter 10 port accepts continuation segments without history', () => {
    const out = run(dissector({ ch10Ports: [2000] }), udpFrame(A, B, 62360, 2000, ch10Next));
    expect(out.frame_type).toBe('CH10-Segment');
    expect(out.classified_by).toBe('pinned-port');
  });

  it('Chapter 10 bytes over TCP are not Chapter 10', () => {
    const d = dissector();
    const p = recordOf(udpFrame(A, B, 40000, 7000, ch10Full));
    p.ip_proto = 6;
    expect(d.dissectRecord(p, 1, T).frame_type).toBe('TCP');
  });
});

describe('rules 4 and 5: IENA by configuration, then by its size and trailer', () => {
  it.each([123, 53, 161, 69, 2000])('an IENA D packet on port %i is IENA', (port) => {
    const out = run(dissector(), udpFrame(A, '235.0.0.1', 40000, port, ienaD));
    expect(out.frame_type).toBe('IENA-D');
    expect(out.classified_by).toBe('iena');
    expect(out.protocols).toEqual(['eth', 'ipv4', 'udp', 'iena']);
    expect(out.cast).toBe('multicast');
  });

  it('a configured key type wins over the layout heuristic', () => {
    const key = ienaD.readUInt16BE(0);
    const out = run(dissector({ ienaKeyTypes: new Map([[key, 'P' as const]]) }), udpFrame(A, B, 40000, 5548, ienaD));
    expect(out.frame_type).toBe('IENA-P');
    expect(out.iena?.type_source).toBe('config');
  });

  it('a pinned IENA port is read as IENA first', () => {
    const out = run(dissector({ ienaPorts: [5548] }), udpFrame(A, B, 40000, 5548, ienaD));
    expect(out.frame_type).toBe('IENA-D');
    expect(out.classified_by).toBe('pinned-port');
  });

  it('Chapter 10 comes before the IENA heuristic', () => {
    const out = run(dissector(), udpFrame(A, B, 40000, 5548, ch10Full));
    expect(out.frame_type).toMatch(/^CH10-/);
  });
});

describe('rules 6 and 7: standard protocols, then the packet fields', () => {
  it('a real NTP-looking payload that is neither telemetry nor NTP off port 123 is UDP', () => {
    const out = run(dissector(), udpFrame(A, B, 40000, 40001, Buffer.from('hello world')));
    expect(out.frame_type).toBe('UDP');
    expect(out.classified_by).toBe('transport');
    expect(out.frame_types).toEqual(['UDP']);
  });

  it('a non-first IP fragment carries no L4 header', () => {
    const seg = udp(A, B, 40000, 2000, ch10Full);
    const frame = ethernet(0x0800, ipv4(A, B, 17, seg.subarray(0, 64), { flags: 0, fragOffset: 1480 }));
    const out = run(dissector(), frame);
    expect(out.frame_type).toBe('UDP');
    expect(out.protocols).toEqual(['eth', 'ipv4', 'ip-fragment']);
  });

  it('ARP, ICMP and IGMP from the packet fields', () => {
    const arp = Buffer.alloc(28);
    arp.writeUInt16BE(1, 0);
    arp.writeUInt16BE(0x0800, 2);
    arp[4] = 6;
    arp[5] = 4;
    arp.writeUInt16BE(1, 6);
    Buffer.from([10, 0, 0, 1]).copy(arp, 14);
    Buffer.from([10, 0, 0, 2]).copy(arp, 24);
    const a = run(dissector(), ethernet(0x0806, arp, { dst: 'ff:ff:ff:ff:ff:ff' }));
    expect(a).toMatchObject({ frame_type: 'ARP', cast: 'broadcast', protocols: ['eth', 'arp'] });
    expect(a.app).toMatchObject({ protocol: 'arp', message: 'request', detail: 'who-has 10.0.0.2 tell 10.0.0.1' });

    const echo = Buffer.from([8, 0, 0xf7, 0xff, 0, 0, 0, 0]);
    const i = run(dissector(), ethernet(0x0800, ipv4(A, B, 1, echo)));
    expect(i).toMatchObject({ frame_type: 'ICMP', protocols: ['eth', 'ipv4', 'icmp'] });
    expect(i.app).toMatchObject({ protocol: 'icmp', message: 'Echo Request', code: 8 });

    const igmp = Buffer.from([0x16, 0, 0xfa, 0xfd, 239, 1, 2, 3]);
    const g = run(dissector(), ethernet(0x0800, ipv4(A, '239.1.2.3', 2, igmp, { ttl: 1 }), { dst: '01:00:5e:01:02:03' }));
    expect(g).toMatchObject({ frame_type: 'IGMP', cast: 'multicast' });
    expect(g.app).toMatchObject({ message: 'v2 Membership Report', detail: 'group=239.1.2.3' });
  });

  it('frames of other EtherTypes are OTHER and name the protocol when known', () => {
    const out = run(dissector(), ethernet(0x88cc, Buffer.alloc(40), { dst: '01:80:c2:00:00:0e' }));
    expect(out).toMatchObject({ frame_type: 'OTHER', protocols: ['eth', 'lldp'], classified_by: 'transport', cast: 'multicast' });
  });
});
