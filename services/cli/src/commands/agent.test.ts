/**
 * `streamlens agent` as a process: --help documents every option, bad
 * configuration fails clearly with a non-zero exit, and SIGTERM in the middle
 * of a replay flushes everything (to Kafka, or to the spool when Kafka is
 * away) and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AvroCodec, flagName, SCHEMA_NAMES, topicNames, type PacketBatch } from '@streamlens/common';
import { agentOptions } from '@streamlens/capture-agent';
import { testBrokers, uniqueName } from '../../../../test/harness/context.js';
import { ensureMixedCapture } from '../../../capture-agent/bench/mixed-capture.js';
import { decodeSegment } from '../../../capture-agent/src/spool.js';
import { decodeBatch, readTopic } from '../../../capture-agent/test-fixtures/topic-reader.js';

const BIN = fileURLToPath(new URL('../../bin/streamlens.js', import.meta.url));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [BIN, 'agent', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
const codec = AvroCodec.forStreamLens();

function capture(frames: number): string {
  const file = join(tmpdir(), `streamlens-agent-cli-mixed-${frames}.pcap`);
  ensureMixedCapture(file, frames, 11);
  return file;
}

interface Finished { code: number | null; signal: NodeJS.Signals | null; logs: Record<string, unknown>[] }

/** Start the agent, send SIGTERM once it has published (or spooled) something, wait for the exit. */
function runUntilSigterm(args: string[], ready: (logs: Record<string, unknown>[]) => boolean): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, 'agent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let buf = '';
  let signalled = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      if (!signalled && ready(logs)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    }
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, logs })));
}

const lastStats = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => l.msg === 'statistics').at(-1) as { interfaces: Record<string, { captured: number }>; published: { records: number } } | undefined;
/** Frames captured on the only interface of a replay (named after its file). */
const capturedOf = (s: { interfaces: Record<string, { captured: number }> } | undefined): number | undefined => s ? Object.values(s.interfaces)[0]?.captured : undefined;

/** Each frame number of the published batches exactly once, forming 1..n. */
function expectFramesOneToN(batches: PacketBatch[], n: number): void {
  const frames = batches.flatMap((b) => b.records.map((r) => r.frame_no)).sort((a, b) => a - b);
  expect(frames.length).toBe(n);
  expect(frames.every((f, i) => f === i + 1)).toBe(true);
}

describe('streamlens agent (process)', () => {
  it('--help documents every option', () => {
    const r = spawnSync(process.execPath, [BIN, 'agent', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const [key, spec] of Object.entries(agentOptions)) {
      expect(r.stdout, key).toContain(`--${flagName(key)}`);
      expect(r.stdout, key).toContain(spec.doc.slice(0, 30));
    }
    expect(r.stdout).toContain('-c, --config FILE');
  });

  it('rejects bad configuration with a message naming the option and a non-zero exit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-cfg-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'read: [x.pcap]\nspool-dirr: /tmp/x\n');
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--read', 'x.pcap', '--batch-max-bytes', 'lots'], {}, /--batch-max-bytes: expected a size/],
      [['--read', 'x.pcap', '--sample-rate', '0'], {}, /--sample-rate: must be at least 1/],
      [['--read', 'x.pcap', '--pace', 'fast'], {}, /--pace: expected max or a speed like 1x/],
      [['--read', 'x.pcap', '--frobnicate'], {}, /frobnicate/],
      [['--config', file], {}, /config file .*agent\.yaml: unknown option "spool-dirr"/],
      [['--read', 'x.pcap'], { STREAMLENS_LINGER: 'soon' }, /environment STREAMLENS_LINGER: expected a duration/],
      [[], {}, /nothing to capture: give --iface NAME \(live\) or --read FILE/],
      [['--iface', 'lo', '--read', 'x.pcap'], {}, /--iface and --read cannot be combined/],
      [['--iface', 'lo', '--pace', '10x'], {}, /--pace applies to --read/],
      [['--read', 'x.pcap', '--filter', 'udp'], {}, /--filter applies to live capture/],
    ];
    for (const [args, env, message] of cases) {
      const r = run(args, env);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('fails to start, clearly and non-zero, when the topic is missing or the file unreadable', () => {
    const spool = mkdtempSync(join(tmpdir(), 'agent-spool-'));
    const missing = run(['--read', capture(2000), '--kafka-brokers', testBrokers()[0], '--topic-prefix', uniqueName('none'), '--spool-dir', spool, '--metrics-port', '0']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/topic .*\.packets does not exist: create it .* or start the agent with --create-topics/);
    const junk = join(spool, 'junk.pcap');
    writeFileSync(junk, 'this is not a capture');
    const bad = run(['--read', junk, '--kafka-brokers', testBrokers()[0], '--topic-prefix', uniqueName('junk'), '--create-topics', '--topic-replication', '1',
      '--spool-dir', mkdtempSync(join(tmpdir(), 'agent-spool-')), '--metrics-port', '0']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/not a pcap or pcapng capture/);
  });

  it('as a user without CAP_NET_RAW, live capture stops at start and says what to grant', () => {
    const spool = mkdtempSync(join(tmpdir(), 'agent-spool-'));
    chmodSync(spool, 0o777);
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, BIN, 'agent',
      '--iface', 'lo', '--kafka-brokers', testBrokers()[0], '--topic-prefix', uniqueName('noroot'), '--create-topics', '--topic-replication', '1',
      '--spool-dir', spool, '--metrics-port', '0'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot capture on lo: .*(permission|not permitted).*CAP_NET_RAW.*setcap/i);
  });

  it('SIGTERM mid-replay: flushes to Kafka, exits 0, and every frame read so far is in the topic once', async () => {
    const prefix = uniqueName('sigterm');
    const file = capture(200_000);
    const r = await runUntilSigterm(['--read', file, '--pace', '0.02x', '--kafka-brokers', testBrokers()[0], '--topic-prefix', prefix,
      '--create-topics', '--topic-replication', '1', '--topic-partitions', '3', '--spool-dir', mkdtempSync(join(tmpdir(), 'agent-spool-')),
      '--metrics-port', '0', '--stats-interval', '500ms', '--linger', '1s'],
    (logs) => (lastStats(logs)?.published.records ?? 0) > 1000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    const stats = lastStats(r.logs)!;
    const captured = capturedOf(stats)!;
    expect(captured).toBeGreaterThan(1000);
    expect(captured).toBeLessThan(200_000); // stopped mid-way
    expect(stats.published.records).toBe(captured);
    expect(r.logs.some((l) => l.msg === 'replay stopped')).toBe(true);
    const batches = (await readTopic(testBrokers(), topicNames(prefix).packets)).map(decodeBatch);
    expectFramesOneToN(batches, captured);
  });

  it('SIGTERM while Kafka is unreachable: everything read so far is in the spool, exit 0; the next run sends it first', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'agent-spool-'));
    const file = capture(200_000);
    const prefix = uniqueName('respool');
    // --topic-partitions: the routing assumed while Kafka has never been reached, the count the next run creates the topic with.
    const r = await runUntilSigterm(['--read', file, '--pace', '0.02x', '--kafka-brokers', '127.0.0.1:1', '--spool-dir', spool, '--topic-prefix', prefix, '--topic-partitions', '3',
      '--metrics-port', '0', '--stats-interval', '500ms', '--spool-after', '200ms', '--drain-timeout', '1s'],
    (logs) => (capturedOf(lastStats(logs)) ?? 0) > 1000);
    expect(r.code).toBe(0);
    const captured = capturedOf(lastStats(r.logs))!;
    const batches: PacketBatch[] = [];
    for (const seg of readdirSync(spool).filter((n) => n.endsWith('.spool')).sort()) {
      const { entries, corrupt } = decodeSegment(readFileSync(join(spool, seg)));
      expect(corrupt).toBeUndefined();
      for (const e of entries) batches.push(codec.decode<PacketBatch>(e.value, SCHEMA_NAMES.packetBatch).value);
    }
    expect(readdirSync(spool).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expectFramesOneToN(batches, captured);

    // Kafka is back: the next run (another capture) sends the leftover spool before its own batches.
    const second = capture(2000);
    const again = run(['--read', second, '--kafka-brokers', testBrokers()[0], '--topic-prefix', prefix, '--create-topics', '--topic-replication', '1',
      '--topic-partitions', '3', '--spool-dir', spool, '--metrics-port', '0']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/the spool holds batches from an earlier run/);
    const messages = await readTopic(testBrokers(), topicNames(prefix).packets);
    const runs = [...new Set(messages.map((m) => decodeBatch(m).agent_run))];
    expect(runs, again.stderr.slice(-3000)).toHaveLength(2);
    const [first, next] = runs[0] === batches[0].agent_run ? runs : [...runs].reverse();
    expectFramesOneToN(messages.map(decodeBatch).filter((b) => b.agent_run === first), captured);
    expectFramesOneToN(messages.map(decodeBatch).filter((b) => b.agent_run === next), 2000);
    for (const part of new Set(messages.map((m) => m.partition))) {
      const order = messages.filter((m) => m.partition === part).map((m) => decodeBatch(m).agent_run);
      expect(order.lastIndexOf(first)).toBeLessThan(Math.max(order.indexOf(next), order.length));
      if (order.includes(next)) expect(order.lastIndexOf(first)).toBeLessThan(order.indexOf(next));
    }
    expect(readdirSync(spool).filter((n) => n.endsWith('.spool'))).toEqual([]);
  });
});
