/**
 * Every frame of every public PTP capture, field by field against tshark
 * (protocols.md §6; provenance in test/fixtures/captures/README.md).
 */
import { describe, expect, it } from 'vitest';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { PTP_TSHARK_FIELDS } from '../../../test-oracles/ptp-tshark-fields.js';
import { tsharkFields } from '../../../test-oracles/tshark.js';
import { dissectPtp, type PtpResult } from './index.js';

interface CaptureCase {
  file: string;
  frames: number;
  /** frame_type → count, the README's census of the file. */
  census: Record<string, number>;
  /** Optional: the capture's licence keeps it out of the repository. */
  optional?: boolean;
}

const CASES: CaptureCase[] = [
  { file: 'ptp/tcpdump_ptp.pcap', frames: 5,
    census: { 'PTP-Sync': 1, 'PTP-Delay_Req': 1, 'PTP-Follow_Up': 1, 'PTP-Delay_Resp': 1, 'PTP-Announce': 1 } },
  { file: 'ptp/tcpdump_ptp_corrections.pcap', frames: 3,
    census: { 'PTP-Sync': 1, 'PTP-Delay_Req': 1, 'PTP-Delay_Resp': 1 } },
  { file: 'ptp/tcpdump_ptp_ethernet.pcap', frames: 205,
    census: { 'PTP-Sync': 70, 'PTP-Follow_Up': 70, 'PTP-Delay_Req': 15, 'PTP-Delay_Resp': 15, 'PTP-Announce': 35 } },
  { file: 'ptp/tcpdump_ptp_management.pcap', frames: 10, census: { 'PTP-Management': 10 } },
  { file: 'ptp/tcpdump_ptp_v2_1.pcap', frames: 38,
    census: { 'PTP-Sync': 11, 'PTP-Pdelay_Req': 11, 'PTP-Follow_Up': 11, 'PTP-Announce': 5 } },
  { file: 'ptp/scapy-gptp_ptp_example.pcapng', frames: 128, optional: true,
    census: { 'PTP-Sync': 55, 'PTP-Follow_Up': 55, 'PTP-Pdelay_Req': 6, 'PTP-Pdelay_Resp': 6, 'PTP-Pdelay_Resp_Follow_Up': 6 } },
];

/** Dissect every frame of a capture the way the classifier would call us. */
function dissectCapture(path: string): (PtpResult | null)[] {
  return readCaptureFrames(path).map((f) => {
    const p = framePayload(f.data);
    if (p.kind === 'ethernet-ptp') return dissectPtp(p.payload, 'ethernet', 0, 0);
    if (p.kind === 'udp') return dissectPtp(p.payload, 'udp', p.srcPort, p.dstPort);
    return null;
  });
}

/** Compare every mapped field of every frame with tshark; returns the mismatches (empty when equal). */
function compareWithTshark(path: string, results: (PtpResult | null)[]): string[] {
  const rows = tsharkFields(path, PTP_TSHARK_FIELDS.map(([f]) => f));
  const mismatches: string[] = [];
  expect(rows.length).toBe(results.length);
  rows.forEach((row, i) => {
    const r = results[i];
    if (!r) { mismatches.push(`frame ${row[0]}: not dissected`); return; }
    PTP_TSHARK_FIELDS.forEach(([field, get], j) => {
      const want = row[j + 1] ?? '';
      const got = get(r);
      if (got !== want) mismatches.push(`frame ${row[0]} ${field}: tshark "${want}", ours "${got}"`);
    });
  });
  return mismatches;
}

describe('PTP public captures against tshark', () => {
  for (const c of CASES) {
    const path = publicCapture(c.file);
    const run = c.optional && !path ? it.skip : it;
    run(`${c.file}: every field of every frame matches tshark, frame types match the census, no errors`, () => {
      if (!path) throw new Error(`capture ${c.file} not found (copy it to services/dissector/test-fixtures/)`);
      const results = dissectCapture(path);
      expect(results).toHaveLength(c.frames);
      const census: Record<string, number> = {};
      for (const r of results) census[r!.frameType] = (census[r!.frameType] ?? 0) + 1;
      expect(census).toEqual(c.census);
      expect(results.flatMap((r) => r!.errors)).toEqual([]);
      expect(compareWithTshark(path, results)).toEqual([]);
    });
  }
});
