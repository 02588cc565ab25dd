/**
 * Bad input never throws: every truncation of every real Chapter 10 datagram,
 * random bytes shaped like Chapter 10 headers, random corruption of real
 * datagrams, in every context, through the reassembler too. Errors come back
 * as dotted ch10.* codes.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { describe, expect, it } from 'vitest';
import { readPcapUdp } from '../../../test-oracles/pcap-udp.js';
import { dissectChapter10 } from './dissect-chapter10.js';
import { Ch10Reassembler } from './reassembly.js';

const CAPTURES = [
  'ch10udp/c10-tools_test', 'ch10udp/acranetwork_ch10_arinc', 'ch10udp/acranetwork_ch10_format_1_looks_like2',
  'ch10udp/acranetwork_ch10_uart2', 'ch10udp/acranetwork_sample_ch10uart', 'ch10udp/acranetwork_test_ch10',
  'ch10udp/acranetwork_test_ch10_2', 'ch10udp/acranetwork_test_ch10_3', 'ch10udp_derived/c10net_pychapter10_discrete',
];
const CONTEXTS = [
  { flowKnownCh10: false, portPinned: false },
  { flowKnownCh10: true, portPinned: false },
  { flowKnownCh10: true, portPinned: true, captureTimeMs: 1_700_000_000_000 },
];
const CODE = /^ch10\.[a-z_]+$/;

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Problems found, kept as text so one assertion per test reports them all (expect() per call is slow). */
const problems: string[] = [];

function check(payload: Buffer, reassembler: Ch10Reassembler, now: number): void {
  for (const ctx of CONTEXTS) {
    const r = dissectChapter10(payload, ctx);
    if (r === null) continue;
    reassembler.accept('f', payload, r, now);
    if (r.frameTypes.length === 0 || r.frameType !== r.frameTypes[0]) problems.push(`frame types ${r.frameTypes} for ${payload.toString('hex', 0, 32)}`);
    for (const e of r.errors) if (!CODE.test(e)) problems.push(`error code ${e}`);
  }
}

describe('Chapter 10 robustness', () => {
  it('every truncation of every real datagram', () => {
    const reassembler = new Ch10Reassembler({ maxBytes: 4 << 20 });
    let calls = 0;
    for (const name of CAPTURES) {
      const datagrams = readPcapUdp(`${CAPTURES_DIR}/${name}.pcap`);
      // Every datagram of the real captures; a spread of the derived one (the same kinds again).
      const step = name.startsWith('ch10udp_derived') ? Math.ceil(datagrams.length / 60) : 1;
      for (let i = 0; i < datagrams.length; i += step) {
        const p = datagrams[i].payload;
        for (let n = 0; n <= p.length; n++) {
          check(p.subarray(0, n), reassembler, i);
          calls++;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(calls).toBeGreaterThan(50_000);
    expect(reassembler.stats().bufferedBytes).toBeLessThanOrEqual(4 << 20);
  });

  it('random bytes shaped like transfer and packet headers', () => {
    const rand = rng(0xc10);
    const reassembler = new Ch10Reassembler({ maxBytes: 1 << 20, maxOpenTransfers: 64 });
    const leads = [[0x01], [0x11], [0x03], [0x23], [0x25, 0xeb], [0x01, 0, 0, 0, 0x25, 0xeb], [0x11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x25, 0xeb]];
    for (let i = 0; i < 30_000; i++) {
      const len = Math.floor(rand() * 200);
      const p = Buffer.alloc(len);
      for (let k = 0; k < len; k++) p[k] = Math.floor(rand() * 256);
      const lead = leads[i % leads.length];
      for (let k = 0; k < lead.length && k < len; k++) p[k] = lead[k];
      // Make the packet header checksum valid half of the time so the deep paths run.
      const h = lead.length - 2;
      if (i % 2 === 0 && lead[lead.length - 1] === 0xeb && h + 24 <= len) {
        let s = 0;
        for (let k = h; k < h + 22; k += 2) s += p.readUInt16LE(k);
        p.writeUInt16LE(s & 0xffff, h + 22);
      }
      check(p, reassembler, i);
    }
    expect(problems).toEqual([]);
  });

  it('random corruption of real datagrams (headers fixed up so the corruption reaches the body)', () => {
    const rand = rng(7);
    const datagrams = readPcapUdp(`${CAPTURES_DIR}/ch10udp/c10-tools_test.pcap`);
    const reassembler = new Ch10Reassembler();
    for (let i = 0; i < 20_000; i++) {
      const d = datagrams[Math.floor(rand() * datagrams.length)].payload;
      const p = Buffer.from(d);
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) p[Math.floor(rand() * p.length)] = Math.floor(rand() * 256);
      const start = p[0] === 0x11 ? 12 : 4;
      if (rand() < 0.5 && start + 24 <= p.length && p[start] === 0x25 && p[start + 1] === 0xeb) {
        let s = 0;
        for (let k = start; k < start + 22; k += 2) s += p.readUInt16LE(k);
        p.writeUInt16LE(s & 0xffff, start + 22);
      }
      check(p, reassembler, i);
    }
    expect(problems).toEqual([]);
  });
});
