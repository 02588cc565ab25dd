/**
 * `streamlens analyze` through the real CLI on public captures: the whole
 * pipeline embedded into a chDB store, a summary, the same tables a server
 * has, and a second analysis of the same capture refused (never doubled).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_CAPTURES, readCaptureRecords } from '../helpers/capture-batches.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-analyze-'));
const store = join(dir, 'store');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
const sql = (q: string) => {
  const r = cli('sql', '--data-dir', store, '--format', 'JSONEachRow', q);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
};

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PTP = `${SHARED_CAPTURES}/ptp/tcpdump_ptp_ethernet.pcap`;
const IENA = `${SHARED_CAPTURES}/iena/acranetwork_ienad.pcap`;
const CH10 = `${SHARED_CAPTURES}/ch10udp/c10-tools_test.pcap`;

describe('streamlens analyze', () => {
  it('runs the pipeline embedded, stores every frame once and prints the summary', async () => {
    const r = cli('analyze', PTP, IENA, '--data-dir', store, '--agent-id', 'lab', '--local-net', '192.168.28.0/24');
    expect(r.status, r.stderr).toBe(0);
    for (const title of ['Frame types', 'Top flows by bytes', 'PTP streams', 'IENA streams']) expect(r.stdout).toContain(`\n${title}\n`);
    expect(r.stdout).toMatch(/258 frames → 258 records/);
    expect(r.stdout).toMatch(/PTP-Sync\s+│\s+70 │/);
    // Every frame is in flows exactly once, under its file's capture point.
    const byIface = sql("SELECT interface, sum(packets) AS p FROM flows WHERE agent_id = 'lab' GROUP BY interface ORDER BY interface");
    const ptp = (await readCaptureRecords(PTP)).frames.length;
    const iena = (await readCaptureRecords(IENA)).frames.length;
    expect(byIface).toEqual([
      { interface: 'acranetwork_ienad.pcap', p: String(iena) },
      { interface: 'tcpdump_ptp_ethernet.pcap', p: String(ptp) },
    ]);
    // Netflow buckets count every IP packet in or out; the IENA source is in the given local network.
    const nf = sql("SELECT sum(pkts_out) AS o, sum(pkts_in) AS i FROM netflow_buckets WHERE interface = 'acranetwork_ienad.pcap'");
    expect(nf).toEqual([{ o: String(iena), i: '0' }]);
    const ft = sql("SELECT frame_type, sum(packets) AS p FROM flows WHERE interface = 'tcpdump_ptp_ethernet.pcap' GROUP BY frame_type ORDER BY frame_type");
    expect(ft).toEqual([
      { frame_type: 'PTP-Announce', p: '35' }, { frame_type: 'PTP-Delay_Req', p: '15' }, { frame_type: 'PTP-Delay_Resp', p: '15' },
      { frame_type: 'PTP-Follow_Up', p: '70' }, { frame_type: 'PTP-Sync', p: '70' },
    ]);
    const run = sql("SELECT status, frames FROM ingest_runs FINAL");
    expect(run).toEqual([{ status: 'completed', frames: String(ptp + iena) }]);
  }, 120_000);

  it('refuses the same capture again, even renamed, and changes nothing', () => {
    const before = sql('SELECT sum(packets) AS p, count() AS rows FROM flows');
    const renamed = join(dir, 'renamed.pcap');
    copyFileSync(IENA, renamed);
    const again = cli('analyze', PTP, IENA, '--data-dir', store, '--agent-id', 'lab');
    expect(again.status).toBe(3);
    expect(again.stderr).toMatch(/already analysed into .*store.*would count its packets twice, so nothing was done/);
    // The same bytes under another name are the same capture (the pair is hashed as a whole: analyse one file).
    const first = cli('analyze', IENA, '--data-dir', store, '--agent-id', 'lab2', '--no-summary');
    expect(first.status, first.stderr).toBe(0);
    const renamedRun = cli('analyze', renamed, '--data-dir', store, '--agent-id', 'lab2');
    expect(renamedRun.status).toBe(3);
    const after = sql("SELECT sum(packets) AS p, count() AS rows FROM flows WHERE agent_id = 'lab'");
    expect(after).toEqual(before);
  }, 120_000);

  it('appends a different capture, and keeps Chapter 10 segments and the truncated tail apart', () => {
    const r = cli('analyze', CH10, '--data-dir', store, '--agent-id', 'lab', '--summary-rows', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('\nChapter 10 streams\n');
    expect(r.stderr).toMatch(/truncated|cut/i);
    const rows = sql("SELECT frame_type, sum(packets) AS p FROM flows WHERE interface = 'c10-tools_test.pcap' GROUP BY frame_type ORDER BY frame_type");
    const total = rows.reduce((n, x) => n + Number(x.p), 0);
    expect(total).toBe(1020); // every complete frame of the capture cut at 1 MiB
    expect(rows.map((x) => x.frame_type)).toContain('CH10-Segment');
    expect(rows.every((x) => x.frame_type.startsWith('CH10-') || x.frame_type === 'TMATS')).toBe(true);
    expect(sql('SELECT count() AS n FROM ingest_runs FINAL')).toEqual([{ n: '3' }]);
  }, 120_000);
});
