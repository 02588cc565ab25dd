import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@streamlens/common';
import { pcapBytes, writePcap } from '../../test-fixtures/capture-writers.js';
import { ethernet, ipv4, udp } from '../../test-fixtures/frames.js';
import { FileReplay, type ReplayOptions } from './replay.js';
import { formatProgress, ProgressLine } from './progress.js';

const logger = createLogger({ service: 'replay-test', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'replay-'));
const T0 = 1_700_000_000_000_000_000n;

function frame(i: number): Buffer {
  return ethernet({ type: 0x0800 }, ipv4({ proto: 17 }, udp({ sport: 1000 + i, dport: 2000 }, Buffer.from(`frame ${i}`))));
}

/** `n` frames evenly spread over `spanMs`. */
function capture(name: string, n: number, spanMs: number): string {
  const file = join(dir, name);
  writePcap(file, { linkType: 1, nanos: true }, Array.from({ length: n }, (_, i) => ({ tsNs: T0 + BigInt(Math.round((i * spanMs * 1e6) / Math.max(1, n - 1))), data: frame(i) })));
  return file;
}

function replay(files: string[], pace: number, over: Partial<ReplayOptions> = {}) {
  const seen: { file: number; frameNo: number; tsNs: bigint; at: number; sport: number }[] = [];
  const r = new FileReplay({
    files, pace, logger, congested: () => false, room: async () => {},
    onFrame: (f, _iface, file) => seen.push({ file, frameNo: f.frameNo, tsNs: BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNs), at: performance.now(), sport: f.data.readUInt16BE(34) }),
    ...over,
  });
  return { r, seen };
}

describe('FileReplay', () => {
  it('replays at the recorded pace times N: no frame before its time', async () => {
    const file = capture('paced.pcap', 41, 800);
    for (const pace of [1, 4]) {
      const { r, seen } = replay([file], pace);
      const start = performance.now();
      const result = await r.run();
      expect(result).toMatchObject({ frames: 41, files: 1, failedFiles: [], stopped: false });
      // Each frame is handed over no earlier than its offset in the capture divided by the pace, less the
      // 2 ms the replay lets a frame run ahead rather than sleep for less than a timer tick.
      for (const s of seen) expect(s.at - seen[0].at).toBeGreaterThanOrEqual(Number(s.tsNs - T0) / 1e6 / pace - 3);
      expect(performance.now() - start).toBeGreaterThanOrEqual(800 / pace - 3);
    }
  });

  it('replays files one after another, in order, and goes on after a damaged one', async () => {
    const a = capture('a.pcap', 5, 10);
    const b = capture('b.pcap', 3, 10);
    const broken = join(dir, 'broken.pcap');
    const whole = pcapBytes({ linkType: 1 }, [0, 1, 2].map((i) => ({ tsNs: T0 + BigInt(i), data: frame(100 + i) })));
    writeFileSync(broken, whole.subarray(0, whole.length - 10)); // the last record is cut
    const { r, seen } = replay([a, broken, b], 0);
    const result = await r.run();
    expect(seen.map((s) => `${s.file}:${s.frameNo}`)).toEqual(['0:1', '0:2', '0:3', '0:4', '0:5', '1:1', '1:2', '2:1', '2:2', '2:3']);
    expect(result.files).toBe(2);
    expect(result.failedFiles).toHaveLength(1);
    expect(result.failedFiles[0].error).toMatch(/broken\.pcap: file ends inside a record/);
  });

  it('stops promptly while waiting for a frame\'s time, and while the consumer is congested', async () => {
    const file = capture('slow.pcap', 3, 60_000);
    const { r, seen } = replay([file], 1);
    const run = r.run();
    await new Promise((res) => setTimeout(res, 100));
    const t = performance.now();
    r.stop();
    expect((await run).stopped).toBe(true);
    expect(seen).toHaveLength(1);
    expect(performance.now() - t).toBeLessThan(5000);

    const many = capture('many.pcap', 2000, 10);
    let waited = 0;
    const blocked = replay([many], 0, { congested: () => true, room: () => { waited++; return new Promise(() => {}); } });
    const run2 = blocked.r.run();
    await new Promise((res) => setTimeout(res, 100));
    blocked.r.stop();
    const res2 = await run2;
    expect(res2.stopped).toBe(true);
    expect(waited).toBe(1);
    expect(blocked.seen.length).toBe(256); // it checks every 256 frames
  });
});

describe('progress line', () => {
  it('shows frames, rate, percentage of bytes and time left', () => {
    expect(formatProgress({ frames: 1_234_567, bytesRead: 250e6, bytesTotal: 1e9, file: 1, files: 1, elapsedMs: 10_000, rate: 123_456 }))
      .toBe('replay:  25.0%  1.23M frames  123.5k frames/s  250.00MB of 1.00GB  ETA 0:30');
    expect(formatProgress({ frames: 10, bytesRead: 0, bytesTotal: 100, file: 2, files: 3, elapsedMs: 0, rate: 0 })).toMatch(/^replay file 2\/3: {3}0\.0% .*ETA --:--$/);
  });

  it('draws only on a terminal, in place, and ends its line', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    out.on('data', (d: Buffer) => { text += d.toString(); });
    expect(ProgressLine.wanted(out, 'auto')).toBe(true);
    expect(ProgressLine.wanted(out, 'never')).toBe(false);
    expect(ProgressLine.wanted(new PassThrough() as { isTTY?: boolean }, 'auto')).toBe(false);
    let frames = 0;
    const line = new ProgressLine(out, { frames: () => frames, bytesRead: () => frames * 100, file: () => 1 }, 10_000, 1, 20);
    line.begin();
    frames = 50;
    await new Promise((r) => setTimeout(r, 70));
    frames = 100;
    line.finish();
    expect(text.startsWith('\r')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toContain('100.0%');
    expect(text.split('\r').length).toBeGreaterThan(2);
  });
});
