/**
 * Detection without per-file configuration: every public capture (the
 * folder README lists them with their traps) goes through the capture
 * agent's reader and decoder and one default Dissector per file, and every
 * frame must come out in the right family, on the right port, with the
 * expected frame types. tshark is the oracle for the PTP message types and
 * names the datagrams its heuristics mislabel (WireGuard, CIGI, adwin_config):
 * those must be Chapter 10 here.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnrichedBatch, EnrichedRecord } from '@streamlens/common';
import { readCaptureRecords } from '../test-support/capture-records.js';
import { hasTshark, tsharkFields } from '../test-support/tshark.js';
import { publicCapture } from '../test-oracles/capture-frames.js';
import { Dissector } from './dissect.js';
import { PTP_FRAME_TYPES } from './protocols/ptp/index.js';

const ROOT = dirname(publicCapture('ch10udp/c10-tools_test.pcap') ?? `${CAPTURES_DIR}/ch10udp/x`);
const CAPTURES = join(ROOT, '..');

interface Dissected {
  out: EnrichedBatch;
  truncated: boolean;
  path: string;
}

async function dissect(rel: string): Promise<Dissected> {
  const path = publicCapture(rel);
  if (!path) throw new Error(`public capture ${rel} not found (set STREAMLENS_CAPTURES_DIR)`);
  const { batch, truncated } = await readCaptureRecords(path);
  return { out: new Dissector().dissectBatch(batch), truncated, path };
}

const isCh10 = (t: string) => t === 'TMATS' || t.startsWith('CH10-');
const types = (rs: EnrichedRecord[]) => rs.map((r) => r.frame_type);
function tally(rs: EnrichedRecord[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const r of rs) m[r.frame_type] = (m[r.frame_type] ?? 0) + 1;
  return m;
}

function files(dir: string): string[] {
  return readdirSync(join(CAPTURES, dir)).filter((n) => /\.pcap(ng)?$/.test(n)).sort();
}

describe('PTP captures: every frame is PTP, with tshark\'s message type', () => {
  it.each(files('ptp'))('%s', async (name) => {
    const { out, path } = await dissect(`ptp/${name}`);
    expect(out.records.length).toBeGreaterThan(0);
    for (const r of out.records) {
      expect(r.frame_type).toMatch(/^PTP-/);
      expect(r.classified_by).toMatch(/^(ethertype|ptp-port)$/);
      expect(r.errors).toEqual([]);
    }
    if (hasTshark()) {
      const oracle = tsharkFields(path, ['ptp.v2.messagetype']).map(([t]) => PTP_FRAME_TYPES[Number(t)]);
      expect(types(out.records)).toEqual(oracle);
    }
  });

  it('the per-type counts the captures README gives', async () => {
    expect(tally((await dissect('ptp/tcpdump_ptp_ethernet.pcap')).out.records)).toEqual({
      'PTP-Sync': 70, 'PTP-Follow_Up': 70, 'PTP-Delay_Req': 15, 'PTP-Delay_Resp': 15, 'PTP-Announce': 35,
    });
    if (publicCapture('ptp/scapy-gptp_ptp_example.pcapng')) { // only where its licence lets it be
      expect(tally((await dissect('ptp/scapy-gptp_ptp_example.pcapng')).out.records)).toEqual({
        'PTP-Sync': 55, 'PTP-Follow_Up': 55, 'PTP-Pdelay_Req': 6, 'PTP-Pdelay_Resp': 6, 'PTP-Pdelay_Resp_Follow_Up': 6,
      });
    }
    expect(tally((await dissect('ptp/tcpdump_ptp_v2_1.pcap')).out.records)).toEqual({
      'PTP-Sync': 11, 'PTP-Pdelay_Req': 11, 'PTP-Follow_Up': 11, 'PTP-Announce': 5,
    });
    expect(tally((await dissect('ptp/tcpdump_ptp_management.pcap')).out.records)).toEqual({ 'PTP-Management': 10 });
  });
});

describe('IENA captures: IENA on 1024, 5548 and 5550 without configuration', () => {
  it('ienad.pcap: 53 × IENA-D on 5548', async () => {
    const { out } = await dissect('iena/acranetwork_ienad.pcap');
    expect(tally(out.records)).toEqual({ 'IENA-D': 53 });
    expect(out.records.every((r) => r.packet.dst_port === 5548 && r.classified_by === 'iena' && r.errors.length === 0)).toBe(true);
  });

  it('ienam_multiple.pcap: 2 × IENA-M on 5550', async () => {
    const { out } = await dissect('iena/acranetwork_ienam_multiple.pcap');
    expect(tally(out.records)).toEqual({ 'IENA-M': 2 });
    expect(out.records.map((r) => r.iena?.param_count)).toEqual([2, 3]);
  });

  it('iena_test.pcap (the M/N ambiguity): every frame IENA on 1024, type decided by the resolution rules, never by port', async () => {
    const { out } = await dissect('iena/acranetwork_iena_test.pcap');
    expect(out.records).toHaveLength(51);
    for (const r of out.records) {
      expect(r.frame_type).toMatch(/^IENA-(P|D|N|M|Q|Unknown)$/);
      expect(r.packet.dst_port).toBe(1024);
      expect(r.iena?.type_source).toMatch(/^heuristic/);
    }
  });

  it('corrupt_ienad.pcap (size in bytes, not words): IENA with the size error, never anything else', async () => {
    const { out } = await dissect('iena/acranetwork_corrupt_ienad.pcap');
    expect(out.records).toHaveLength(3);
    for (const r of out.records) {
      expect(r.frame_type).toMatch(/^IENA-/);
      expect(r.errors).toContain('iena.size_mismatch');
    }
  });
});

describe('Chapter 10 over UDP: found by its header on 2000, 6679 and 5006', () => {
  it('c10-tools_test.pcap: a real recorder on broadcast port 2000, segmented, cut at 1 MiB', async () => {
    const { out, truncated } = await dissect('ch10udp/c10-tools_test.pcap');
    expect(truncated).toBe(true);
    const rs = out.records;
    expect(rs).toHaveLength(1020);
    expect(rs.every((r) => isCh10(r.frame_type) && r.packet.dst_port === 2000 && r.cast === 'broadcast')).toBe(true);
    expect(rs.filter((r) => r.ch10?.udp_msg_type === 0)).toHaveLength(6);
    expect(rs.filter((r) => r.ch10?.udp_msg_type === 1)).toHaveLength(1014);
    // UDP transfer sequence 0, 1, 2, ... with no gap.
    expect(rs.map((r) => r.ch10?.udp_seq)).toEqual(rs.map((_, i) => i));
    // Every continuation is CH10-Segment from flow context; every first slice and full message has a validated header.
    for (const r of rs) {
      if (r.frame_type === 'CH10-Segment') expect(r.classified_by).toBe('ch10-flow');
      else if (r.ch10!.packets.length > 0) expect(r.classified_by).toBe('ch10-header');
    }
    const t = tally(rs);
    expect(t['CH10-Segment']).toBeGreaterThan(900);
    for (const name of ['CH10-Time', 'CH10-1553', 'CH10-ARINC429', 'CH10-Computer-F0']) expect(t[name]).toBeGreaterThan(0);
    expect(rs.filter((r) => r.errors.length > 0)).toEqual([]);
  });

  it('sample_ch10uart.pcap: one UART packet with an IEEE-1588 secondary header on 6679', async () => {
    const { out } = await dissect('ch10udp/acranetwork_sample_ch10uart.pcap');
    expect(types(out.records)).toEqual(['CH10-UART']);
    expect(out.records[0].ch10?.packets[0].secondary_checksum).toBe('byte');
  });

  it('format_1_looks_like2.pcap: Format 1, never read as Format 2', async () => {
    const { out } = await dissect('ch10udp/acranetwork_ch10_format_1_looks_like2.pcap');
    expect(types(out.records)).toEqual(Array(5).fill('CH10-PCM'));
    expect(out.records.every((r) => r.ch10?.udp_format === 1 && r.ch10.packets[0].secondary_checksum === 'word')).toBe(true);
  });

  it('ch10_uart2.pcap: a valid packet, then damaged ones reported as Chapter 10 errors of that flow', async () => {
    const { out } = await dissect('ch10udp/acranetwork_ch10_uart2.pcap');
    expect(out.records[0].frame_type).toBe('CH10-UART');
    for (const r of out.records.slice(1)) {
      expect(isCh10(r.frame_type)).toBe(true);
      expect(r.classified_by).toBe('ch10-flow');
      expect(r.errors).toContain('ch10.bad_header_checksum');
    }
  });

  it('ch10_arinc.pcap (synthetic, random destinations, bad checksums): Chapter 10 or plain UDP, never mistaken for anything else', async () => {
    const { out } = await dissect('ch10udp/acranetwork_ch10_arinc.pcap');
    expect(out.records).toHaveLength(48);
    for (const r of out.records) {
      expect(isCh10(r.frame_type) || r.frame_type === 'UDP').toBe(true);
      expect(r.iena).toBeNull();
      expect(r.app).toBeNull();
    }
    expect(out.records.filter((r) => r.frame_type === 'UDP').length).toBeGreaterThan(40);
  });

  it('test_ch10.pcap, test_ch10_2.pcap, test_ch10_3.pcap: tiny synthetic packets', async () => {
    expect(types((await dissect('ch10udp/acranetwork_test_ch10.pcap')).out.records)).toEqual(['CH10-StreamConfig', 'CH10-Segment']);
    expect(types((await dissect('ch10udp/acranetwork_test_ch10_2.pcap')).out.records)).toEqual(['CH10-StreamConfig']);
    const three = (await dissect('ch10udp/acranetwork_test_ch10_3.pcap')).out.records;
    expect(three).toHaveLength(1);
    expect(isCh10(three[0].frame_type)).toBe(true);
    expect(three[0].ch10?.packets[0].secondary_checksum).toBe('word');
  });

  it.each(files('ch10udp_derived'))('derived %s: all Chapter 10 on 5006, TMATS first, no errors', async (name) => {
    const { out } = await dissect(`ch10udp_derived/${name}`);
    const rs = out.records;
    expect(rs[0].frame_type).toBe('TMATS');
    expect(rs[0].ch10?.tmats?.text.length).toBeGreaterThan(100);
    expect(rs.every((r) => isCh10(r.frame_type) && r.packet.dst_port === 5006)).toBe(true);
    expect(rs.filter((r) => r.errors.length > 0)).toEqual([]);
    // One frame type per Chapter 10 packet that starts in the datagram.
    for (const r of rs) expect(r.frame_types).toHaveLength(Math.max(1, r.ch10!.packets.filter((p) => !p.reassembled).length));
  });
});

describe.runIf(hasTshark())('where tshark guesses WireGuard, CIGI or adwin_config, the datagram is Chapter 10', () => {
  it.each(['ch10udp/c10-tools_test.pcap', 'ch10udp_derived/c10net_pychapter10_ethernet.pcap',
    'ch10udp_derived/c10net_pychapter10_event.pcap', 'ch10udp_derived/c10net_pychapter10_pcm.pcap'])('%s', async (rel) => {
    const { out, path } = await dissect(rel);
    const protocols = tsharkFields(path, ['frame.protocols']).map(([p]) => p);
    const mislabelled = protocols.map((p, i) => (/:(wg|cigi|adwin_config)(:|$)/.test(p) ? i : -1)).filter((i) => i >= 0);
    expect(mislabelled.length).toBeGreaterThan(0);
    for (const i of mislabelled) expect(out.records[i].frame_type, `frame ${i + 1}: tshark ${protocols[i]}`).toMatch(/^(TMATS|CH10-)/);
  });
});

describe('every capture in the folder is covered above', () => {
  it('no capture is left out', () => {
    const all = ['ptp', 'iena', 'ch10udp', 'ch10udp_derived'].flatMap((d) => files(d).map((f) => `${d}/${f}`));
    // The gPTP sample is only where its licence lets it be (not in the repository).
    const gptp = publicCapture('ptp/scapy-gptp_ptp_example.pcapng') !== null && !all.includes('ptp/scapy-gptp_ptp_example.pcapng');
    expect(all.length + (gptp ? 1 : 0)).toBe((gptp ? 6 : 5) + 4 + 8 + 5);
  });
});
