/**
 * Field-by-field against tshark on every public PTP, IENA and Chapter 10
 * capture in test/fixtures/captures (provenance in its README), plus the gPTP
 * sample where its licence lets it be found (not in the repository).
 */
import { CAPTURES_DIR, publicCapture } from '@streamlens/common/testing';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFileError } from '../index.js';
import { compareFileWithTshark, compareFrame } from '../../test-fixtures/tshark-oracle.js';

const CAPTURES = CAPTURES_DIR;
const GPTP = 'ptp/scapy-gptp_ptp_example.pcapng';
const gptp = publicCapture(GPTP);
const files = ['ptp', 'iena', 'ch10udp', 'ch10udp_derived'].flatMap((dir) =>
  readdirSync(join(CAPTURES, dir)).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, f)));
if (gptp && !files.includes(GPTP)) files.push(GPTP);

describe('public captures decode as tshark decodes them', () => {
  it('finds the captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(gptp ? 23 : 22);
  });

  it('the comparison notices a wrong field (guards the oracle itself)', async () => {
    const { frames, rows } = await compareFileWithTshark(join(CAPTURES, 'ptp/tcpdump_ptp.pcap'));
    const d = frames[0];
    const breakers: [string, () => void][] = [
      ['src_port', () => { d.rec.src_port++; }],
      ['dst_ip', () => { d.rec.dst_ip = Buffer.from([1, 2, 3, 4]); }],
      ['ethertype', () => { d.rec.ethertype = 0x86dd; }],
      ['eth_src', () => { d.rec.eth_src = 1; }],
      ['payload', () => { d.rec.payload = d.rec.payload.subarray(1); }],
      ['payload_len', () => { d.rec.payload_len--; }],
      ['time', () => { d.tsNs++; }],
      ['ip_ttl', () => { d.rec.ip_ttl = 3; }],
      ['vlan_ids', () => { d.rec.vlan_ids = [5]; }],
    ];
    expect(compareFrame(d, rows[0])).toEqual([]);
    for (const [field, breakIt] of breakers) {
      const saved = { ...d.rec };
      const savedNs = d.tsNs;
      breakIt();
      expect(compareFrame(d, rows[0]).join('\n')).toContain(` ${field}`);
      Object.assign(d.rec, saved);
      d.tsNs = savedNs;
    }
  });

  for (const file of files) {
    it(file, async () => {
      const { mismatches, frames, error } = await compareFileWithTshark(publicCapture(file)!);
      expect(mismatches.slice(0, 20)).toEqual([]);
      expect(frames.length).toBeGreaterThan(0);
      expect(frames.filter((f) => f.rec.decode_error !== null).map((f) => `${f.frameNo}: ${f.rec.decode_error}`)).toEqual([]);
      if (file.endsWith('c10-tools_test.pcap')) {
        // Cut mid-packet at exactly 1 MiB: every complete frame arrives, then the damage is reported.
        expect(error).toBeInstanceOf(CaptureFileError);
        expect((error as CaptureFileError).code).toBe('truncated');
        expect((error as CaptureFileError).framesRead).toBe(1020);
        expect((error as CaptureFileError).offset).toBe(1047692);
      } else {
        expect(error).toBeNull();
      }
    });
  }
});
