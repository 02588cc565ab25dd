/**
 * Stream health in the embedded mode, through the real CLI: a generated
 * capture with known truth (test/generators) goes through `streamlens
 * analyze` (agent → dissector → aggregator into chDB) with alert rules from a
 * config file; every stream_health row, PTP event, TMATS sighting and alert
 * matches the truth, the summary ends with the stream-health report, and
 * `streamlens health` prints the same report from the store.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ChdbSqlClient } from '@streamlens/embedded';
import { expectedAlerts, telemetryCapture } from '../generators/telemetry-streams.js';
import { writeNanoPcap } from '../generators/wire-frames.js';
import { compareAlerts, compareEvents, compareHealthRows, compareSightings, ruleConfig, TEST_RULES } from '../generators/telemetry-truth.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-health-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rows(store: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new ChdbSqlClient(store);
  try {
    return await c.query<Record<string, unknown>>(sql);
  } finally {
    await c.close();
  }
}

describe('streamlens analyze: stream health against the truth', () => {
  const cap = telemetryCapture();
  const pcap = join(dir, 'telemetry.pcap');
  const config = join(dir, 'rules.yaml');
  const store = join(dir, 'store');
  writeNanoPcap(pcap, cap.frames);
  writeFileSync(config, stringify({ 'alert-rules': ruleConfig() }));

  it('stores exactly the expected stream_health rows, PTP events, TMATS sightings and alerts, and reports them', async () => {
    const r = cli('analyze', pcap, '--data-dir', store, '--agent-id', cap.agentId, '--config', config, '--partitions', '4', '--summary-rows', '20');
    expect(r.status, r.stderr).toBe(0);
    const health = await rows(store, 'SELECT *, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip FROM streamlens.stream_health');
    compareHealthRows(cap, health);
    compareEvents(cap, await rows(store, 'SELECT * FROM streamlens.ptp_events'));
    compareSightings(cap, await rows(store, 'SELECT * FROM streamlens.tmats_sightings'));
    compareAlerts(expectedAlerts(cap, TEST_RULES), await rows(store, 'SELECT *, toString(src_ip) AS src_ip, toString(dst_ip) AS dst_ip FROM streamlens.alerts'));

    // the summary ends with the stream-health report
    const report = r.stdout.slice(r.stdout.indexOf('\nStream health\n') + 1);
    expect(r.stdout).toContain('\nStream health\n');
    expect(report).toMatch(/^17 streams \(2 IENA, 4 Chapter 10, 11 PTP\); 8 with loss, 3 with duplicates, 3 with late packets, 1 restarted; 3 PTP intervals off tolerance; 1 grandmaster change/m);
    for (const title of ['Streams with loss, duplicates, reordering, restarts or silences', 'PTP message timing', 'PTP events', 'TMATS setup records', 'Alerts']) {
      expect(report).toContain(`\n${title}`);
    }
    expect(report).toMatch(/IENA key 0x2CFA\s+│ 192\.168\.28\.8 │ 235\.0\.0\.1\s+│\s+2448 │\s+3 │/);
    expect(report).toMatch(/gm_change\s+│ aabbccfffe000002\/1 │ grandmaster │ aabbccfffe000001 │ aabbccfffe000002 │ better grandmaster/);

    // streamlens health prints the same report from the store
    const h = cli('health', '--data-dir', store, '--rows', '20');
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout.slice(h.stdout.indexOf('Stream health\n'))).toBe(report);
    // --since: the last 5 s of data only (the grandmaster change is older)
    const recent = cli('health', '--data-dir', store, '--since', '5s', '--agent-id', cap.agentId);
    expect(recent.status, recent.stderr).toBe(0);
    expect(recent.stdout).toMatch(/0 grandmaster changes/);
    expect(recent.stdout).not.toContain('gm_change');
  }, 240_000);

  it('without stream health (--no-stream-health) the tables stay empty and flows are unchanged', async () => {
    const off = join(dir, 'store-off');
    const r = cli('analyze', pcap, '--data-dir', off, '--agent-id', cap.agentId, '--no-stream-health', '--no-summary');
    expect(r.status, r.stderr).toBe(0);
    expect(await rows(off, 'SELECT count() AS n FROM streamlens.stream_health')).toEqual([{ n: '0' }]);
    const on = await rows(store, 'SELECT sum(packets) AS p, count() AS r FROM streamlens.flows');
    expect(await rows(off, 'SELECT sum(packets) AS p, count() AS r FROM streamlens.flows')).toEqual(on);
    expect(on[0].p).toBe(String(cap.frames.length));
  }, 120_000);
});
