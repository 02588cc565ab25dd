/**
 * The public IENA captures and their traps (captures README, protocols.md
 * §4.5/§4.9), with default settings and with a key → type map; and the
 * other public captures (Chapter 10, PTP) that IENA detection must not claim.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { IenaSequenceTracker, dissectIena, parseIenaKeyTypes, type IenaConfig, type IenaResult } from './index.js';

const DEFAULTS: IenaConfig = { keyTypes: new Map(), ports: new Set() };

function dissectFile(file: string, config: IenaConfig): { port: number; r: IenaResult | null }[] {
  const path = publicCapture(`iena/${file}`);
  if (!path) throw new Error(`capture iena/${file} not found`);
  return readCaptureFrames(path).map((f) => {
    const p = framePayload(f.data);
    return { port: p.dstPort, r: dissectIena(p.payload, p.dstPort, p.srcPort, config) };
  });
}

const hex = (b: Buffer): string => b.toString('hex');

describe('acranetwork_ienad.pcap: only D fits (port 5548, 24 keys, key status 0x02)', () => {
  it('default settings: all 53 are IENA-D by the heuristic, 11 parameters each; frame 1 is the §4.9 worked example', () => {
    const out = dissectFile('acranetwork_ienad.pcap', DEFAULTS);
    expect(out).toHaveLength(53);
    for (const { port, r } of out) {
      expect(port).toBe(5548);
      expect(r!.frameType).toBe('IENA-D');
      expect(r!.errors).toEqual([]);
      expect(r!.info).toMatchObject({ type_source: 'heuristic', type_candidates: ['D'], key_status: 2, param_count: 11, trailer: 0xdead });
      expect(r!.info.params).toHaveLength(11);
    }
    const first = out[0].r!.info;
    expect(first).toMatchObject({ key: 0x2cfa, size_words: 52, time_us: 1837, n2_status: 0, sequence: 0 });
    expect(first.params[0]).toMatchObject({ param_id: 0xffff, delay: 0, length: null });
    expect(hex(first.params[0].data)).toBe('fed17cfe');
    expect(first.params[1]).toMatchObject({ param_id: 0xffff, delay: 0x017c });
    expect(hex(first.params[1].data)).toBe('ddf4b817');
  });

  it('with every key configured as D the decode is the same, type_source config', () => {
    const keys = new Set(dissectFile('acranetwork_ienad.pcap', DEFAULTS).map((o) => o.r!.info.key));
    expect(keys.size).toBe(24);
    const map = parseIenaKeyTypes(Object.fromEntries([...keys].map((k) => [`0x${k.toString(16)}`, 'D'])));
    const heuristic = dissectFile('acranetwork_ienad.pcap', DEFAULTS);
    dissectFile('acranetwork_ienad.pcap', { keyTypes: map, ports: new Set() }).forEach(({ r }, i) => {
      expect(r!.info.type_source).toBe('config');
      expect(r!.info.type_candidates).toEqual([]);
      expect(r!.info.params).toEqual(heuristic[i].r!.info.params);
      expect(r!.errors).toEqual([]);
    });
  });
});

describe('acranetwork_ienam_multiple.pcap: only M fits (port 5550, key 0xA33D)', () => {
  it('default settings: 2 and 3 messages with odd lengths and pad bytes', () => {
    const out = dissectFile('acranetwork_ienam_multiple.pcap', DEFAULTS);
    expect(out.map(({ r }) => [r!.frameType, r!.info.type_source, r!.info.param_count, r!.errors])).toEqual([
      ['IENA-M', 'heuristic', 2, []], ['IENA-M', 'heuristic', 3, []]]);
    const first = out[0].r!.info;
    expect(first.key).toBe(0xa33d);
    expect(first.params[0]).toMatchObject({ param_id: 0xffff, delay: 0, length: 103 });
    expect(first.params[0].data).toHaveLength(103);
    expect(out.flatMap(({ r }) => r!.info.params.map((p) => p.length! % 2))).toContain(1);
  });

  it('with the key configured as M: the same messages, type_source config', () => {
    const cfg: IenaConfig = { keyTypes: parseIenaKeyTypes({ '0xa33d': 'M' }), ports: new Set() };
    const base = dissectFile('acranetwork_ienam_multiple.pcap', DEFAULTS);
    dissectFile('acranetwork_ienam_multiple.pcap', cfg).forEach(({ r }, i) => {
      expect(r!.info.type_source).toBe('config');
      expect(r!.info.params).toEqual(base[i].r!.info.params);
    });
  });
});

describe('acranetwork_iena_test.pcap: the M/N ambiguity (port 1024, key 0x001A)', () => {
  it('default settings: frame 1 fits M and N → IENA-Unknown with both candidates; the rest fit nothing → P flagged', () => {
    const out = dissectFile('acranetwork_iena_test.pcap', DEFAULTS);
    expect(out).toHaveLength(51);
    const first = out[0].r!;
    expect(first.frameType).toBe('IENA-Unknown');
    expect(first.errors).toEqual(['iena.ambiguous_type']);
    expect(first.info).toMatchObject({ key: 0x1a, size_words: 24, time_us: 7_801_600_000, key_status: 1, n2_status: 1,
      sequence: 195, type: 'Unknown', type_source: 'heuristic-ambiguous', type_candidates: ['M', 'N'], trailer: 0xdead,
      param_count: 0, params: [] });
    out.slice(1).forEach(({ r }, i) => {
      expect(r!.frameType).toBe('IENA-P');
      expect(r!.errors).toEqual(['iena.no_consistent_layout']);
      expect(r!.info.sequence).toBe(196 + i);
    });
  });

  it('configured as M: frame 1 is one 26-byte message; the zero-length messages of the rest are flagged', () => {
    const out = dissectFile('acranetwork_iena_test.pcap', { keyTypes: parseIenaKeyTypes({ '0x001a': 'M' }), ports: new Set() });
    const first = out[0].r!;
    expect(first.frameType).toBe('IENA-M');
    expect(first.errors).toEqual([]);
    expect(first.info.param_count).toBe(1);
    expect(first.info.params[0]).toMatchObject({ param_id: 0x00dc, delay: 0x0010, length: 26 });
    expect(out[1].r!.errors).toContain('iena.zero_length_message');
  });

  it('configured as N: frame 1 is eight one-word parameters', () => {
    const out = dissectFile('acranetwork_iena_test.pcap', { keyTypes: parseIenaKeyTypes({ 26: 'N' }), ports: new Set() });
    const first = out[0].r!;
    expect(first.frameType).toBe('IENA-N');
    expect(first.errors).toEqual([]);
    expect(first.info.params.map((p) => [p.param_id, hex(p.data)])).toEqual([
      [0x00dc, '0010'], [0x001a, '0000'], [0, '0000'], [0, '0000'], [0, '0112'], [0, '0112'], [0x0110, '0160'],
      [0x2e93, '0000']]);
  });
});

describe('acranetwork_corrupt_ienad.pcap: size counted in bytes', () => {
  it('default settings: still IENA (trailer + plausible time + size = length in bytes), flagged size_mismatch', () => {
    const out = dissectFile('acranetwork_corrupt_ienad.pcap', DEFAULTS);
    expect(out).toHaveLength(3);
    for (const { r } of out) {
      expect(r!.info).toMatchObject({ key: 0x0a00, size_words: 1038, trailer: 0xdead });
      expect(r!.errors).toEqual(['iena.size_mismatch', 'iena.no_consistent_layout']);
      expect(r!.frameType).toBe('IENA-P');
    }
  });

  it('configured as D: the length check still fails and the body does not tile', () => {
    const out = dissectFile('acranetwork_corrupt_ienad.pcap', { keyTypes: parseIenaKeyTypes({ '0x0a00': 'D' }), ports: new Set() });
    for (const { r } of out) {
      expect(r!.frameType).toBe('IENA-D');
      expect(r!.errors).toEqual(['iena.size_mismatch', 'iena.bad_body']);
      expect(r!.info.param_count).toBe(127);
    }
  });
});

describe('captures that are not IENA', () => {
  const root = CAPTURES_DIR;
  const files: string[] = [];
  for (const d of ['ptp', 'ch10udp', 'ch10udp_derived']) {
    try {
      for (const f of readdirSync(join(root, d))) if (/\.pcap(ng)?$/.test(f)) files.push(`${d}/${f}`);
    } catch { /* directory absent: covered by the repository copies below */ }
  }
  for (const f of ['ptp/tcpdump_ptp.pcap', 'ptp/tcpdump_ptp_corrections.pcap']) if (!files.includes(f)) files.push(f);

  it.each(files)('%s: no UDP payload is taken for IENA, with or without the sequence tracker', (file) => {
    const path = publicCapture(file)!;
    const tracker = new IenaSequenceTracker();
    let udp = 0;
    for (const f of readCaptureFrames(path)) {
      const p = framePayload(f.data);
      if (p.kind !== 'udp') continue;
      udp++;
      expect(dissectIena(p.payload, p.dstPort, p.srcPort, DEFAULTS)).toBeNull();
      expect(dissectIena(p.payload, p.dstPort, p.srcPort, { ...DEFAULTS, sequences: tracker }, 1)).toBeNull();
    }
    expect(udp).toBeGreaterThanOrEqual(0);
  });
});
