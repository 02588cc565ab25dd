/**
 * Stream health on the public captures (test/fixtures/captures, provenance in
 * its README), with tshark as the oracle for the sequence numbers:
 *
 * - the PTP streams of tcpdump's ptp_ethernet.pcap and of the scapy-gptp
 *   sample (where available; its licence keeps it out of the repository)
 *   show exactly the continuity tshark's sequenceIds show, and every
 *   Follow_Up, Delay_Resp and Pdelay answer pairs with its request;
 * - the Chapter 10 UDP transfer sequence of c10-tools' recorder capture
 *   (read by tshark as raw UDP payload) has no gap;
 * - the captures derived with c10net, whose transfer sequence starts at 1,
 *   show no false loss.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicCapture } from '@streamlens/common/testing';
import { ChdbSqlClient } from '@streamlens/embedded';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-health-public-'));
const store = join(dir, 'store');
const hasTshark = spawnSync('tshark', ['-v']).status === 0;

const PTP_ETHERNET = publicCapture('ptp/tcpdump_ptp_ethernet.pcap')!;
const GPTP = publicCapture('ptp/scapy-gptp_ptp_example.pcapng');
const C10_TOOLS = publicCapture('ch10udp/c10-tools_test.pcap')!;
const DERIVED = ['sample', 'pcm', 'ethernet', 'event', 'discrete'].map((n) => publicCapture(`ch10udp_derived/c10net_pychapter10_${n}.pcap`)!);

type Row = Record<string, string>;
let stats: Row[] = [];

beforeAll(async () => {
  // one capture point per file: its name is the agent id
  for (const file of [PTP_ETHERNET, ...(GPTP ? [GPTP] : []), C10_TOOLS, ...DERIVED]) {
    const r = spawnSync(process.execPath, [BIN, 'analyze', file, '--data-dir', store, '--agent-id', basename(file), '--no-summary'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
  }
  const c = new ChdbSqlClient(store);
  try {
    stats = await c.query<Row>(`SELECT agent_id, kind, stream_id, domain, clock_id, port_number, message_type, keyed_by, packets, lost, duplicates,
      out_of_order, restarts, first_seq, last_seq, answered, unanswered, follow_up_missing, unmatched FROM streamlens.stream_stats`);
  } finally {
    await c.close();
  }
}, 320_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 28 });
  // 2: a capture cut short (c10-tools' is truncated at 1 MiB); the complete frames are printed
  expect([0, 2], r.stderr).toContain(r.status);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** Continuity of a sequence as the numbers show it (16-bit unless said): packets, sum of forward gaps, repeats. */
function continuity(seqs: number[], bits = 16): { packets: number; lost: number; duplicates: number; first: number; last: number } {
  const m = 2 ** bits;
  let lost = 0;
  let duplicates = 0;
  for (let i = 1; i < seqs.length; i++) {
    const d = (((seqs[i] - seqs[i - 1]) % m) + m) % m;
    if (d === 0) duplicates++;
    else if (d <= m / 2) lost += d - 1;
    else throw new Error(`sequence goes back at ${i}: ${seqs[i - 1]} → ${seqs[i]}`);
  }
  return { packets: seqs.length, lost, duplicates, first: seqs[0], last: seqs[seqs.length - 1] };
}

const TYPES: Record<number, string> = { 0: 'Sync', 1: 'Delay_Req', 2: 'Pdelay_Req', 3: 'Pdelay_Resp', 8: 'Follow_Up', 9: 'Delay_Resp', 10: 'Pdelay_Resp_Follow_Up', 11: 'Announce', 12: 'Signaling', 13: 'Management' };

function ptpOracle(file: string): Map<string, number[]> {
  const rows = tshark(file, ['ptp.v2.messagetype', 'ptp.v2.domainnumber', 'ptp.v2.clockidentity', 'ptp.v2.sourceportid', 'ptp.v2.sequenceid',
    'ptp.v2.dr.requestingsourceportidentity', 'ptp.v2.dr.requestingsourceportid', 'ptp.v2.pdrs.requestingportidentity', 'ptp.v2.pdrs.requestingsourceportid',
    'ptp.v2.pdfu.requestingportidentity', 'ptp.v2.pdfu.requestingsourceportid']);
  const streams = new Map<string, number[]>();
  for (const [type, domain, clock, port, seq, drId, drPort, prId, prPort, pfId, pfPort] of rows) {
    const t = Number(type);
    const req = t === 9 ? [drId, drPort] : t === 3 ? [prId, prPort] : t === 10 ? [pfId, pfPort] : null;
    const [id, p] = req ?? [clock, port];
    const key = `${Number(domain)}|${id.replace(/^0x/, '')}|${Number(p)}|${TYPES[t]}|${req ? 'requesting' : 'source'}`;
    const list = streams.get(key) ?? [];
    list.push(Number(seq));
    streams.set(key, list);
  }
  return streams;
}

function checkPtp(file: string): void {
  const oracle = ptpOracle(file);
  const mine = stats.filter((s) => s.agent_id === basename(file) && s.kind === 'ptp');
  expect(mine.map((s) => `${s.domain}|${s.clock_id}|${s.port_number}|${s.message_type}|${s.keyed_by}`).sort()).toEqual([...oracle.keys()].sort());
  for (const s of mine) {
    const c = continuity(oracle.get(`${s.domain}|${s.clock_id}|${s.port_number}|${s.message_type}|${s.keyed_by}`)!);
    expect({ packets: Number(s.packets), lost: Number(s.lost), duplicates: Number(s.duplicates), first: Number(s.first_seq), last: Number(s.last_seq) },
      `${s.clock_id} ${s.message_type}`).toEqual(c);
    expect([Number(s.out_of_order), Number(s.restarts), Number(s.unmatched), Number(s.unanswered), Number(s.follow_up_missing)], `${s.clock_id} ${s.message_type}`)
      .toEqual([0, 0, 0, 0, 0]);
  }
  // every request (and two-step Sync) of these captures was answered
  for (const s of mine.filter((x) => ['Sync', 'Delay_Req', 'Pdelay_Req'].includes(x.message_type))) {
    expect(Number(s.answered), `${s.clock_id} ${s.message_type}`).toBe(Number(s.packets));
  }
}

/** The UDP transfer sequence numbers of a Chapter 10 capture, from tshark's raw UDP payload (Format 1: bits 31–8 of the first LE word). */
function transferSeqs(file: string): number[] {
  return tshark(file, ['udp.payload']).map(([hex]) => {
    const b = Buffer.from(hex, 'hex');
    expect(b[0] & 0x0f).toBe(1);
    return b.readUInt32LE(0) >>> 8;
  });
}

describe.skipIf(!hasTshark)('stream health on the public captures', () => {
  it('PTP over Ethernet (tcpdump): the continuity tshark shows, every answer paired', () => {
    checkPtp(PTP_ETHERNET);
    expect(stats.filter((s) => s.agent_id === basename(PTP_ETHERNET)).length).toBe(5);
  });

  it.skipIf(!GPTP)('gPTP (scapy-gptp sample): the continuity tshark shows, every Pdelay answer paired', () => {
    checkPtp(GPTP!);
  });

  it('Chapter 10 over UDP (c10-tools recorder): the transfer sequence has no gap', () => {
    const seqs = transferSeqs(C10_TOOLS).slice(0, 1020); // the 1021st frame is cut by the 1 MiB truncation
    const want = continuity(seqs, 24);
    expect(want.lost).toBe(0);
    const t = stats.find((s) => s.agent_id === basename(C10_TOOLS) && s.kind === 'ch10_transfer')!;
    expect({ packets: Number(t.packets), lost: Number(t.lost), duplicates: Number(t.duplicates), first: Number(t.first_seq), last: Number(t.last_seq) }).toEqual(want);
    expect([t.out_of_order, t.restarts].map(Number)).toEqual([0, 0]);
    // and no channel sequence of the recorder lost anything either
    for (const s of stats.filter((x) => x.agent_id === basename(C10_TOOLS) && x.kind === 'ch10_channel')) {
      expect([s.lost, s.duplicates, s.out_of_order, s.restarts].map(Number), `channel ${s.stream_id}`).toEqual([0, 0, 0, 0]);
    }
  });

  it('the derived captures (transfer sequence from 1) show no false loss', () => {
    for (const file of DERIVED) {
      const seqs = transferSeqs(file);
      expect(seqs[0], file).toBe(1);
      expect(continuity(seqs, 24).lost, file).toBe(0);
      // (c10net stamps frames from the recording's clock, not in file order: first/last by time differ from the file's)
      const t = stats.find((s) => s.agent_id === basename(file) && s.kind === 'ch10_transfer')!;
      expect({ packets: Number(t.packets), lost: Number(t.lost), duplicates: Number(t.duplicates), late: Number(t.out_of_order), restarts: Number(t.restarts) }, file)
        .toEqual({ packets: seqs.length, lost: 0, duplicates: 0, late: 0, restarts: 0 });
    }
  });
});
