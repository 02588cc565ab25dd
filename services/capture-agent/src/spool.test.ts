import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSegment, entrySize, Spool, type SpoolEntry, type SpoolEvents } from './spool.js';

function entry(i: number, size = 100): SpoolEntry {
  return { partition: i % 3, partitionCount: 3, records: i + 1, sealedAt: 1_700_000_000_000 + i, key: Buffer.from(`agent/eth${i % 2}`), value: Buffer.alloc(size, i & 0xff) };
}

function recorder() {
  const log = { torn: [] as string[], corrupt: [] as string[], failed: 0, written: 0 };
  const events: SpoolEvents = {
    tornFiles: (n) => log.torn.push(...n),
    corruptSegment: (n, reason) => log.corrupt.push(`${n}: ${reason}`),
    writeFailed: (e) => { log.failed += e.length; },
    written: (e) => { log.written += e.length; },
  };
  return { log, events };
}

const dir = () => mkdtempSync(join(tmpdir(), 'spool-'));
const opts = (d: string, over: Partial<{ maxBytes: number; segmentBytes: number }> = {}) =>
  ({ dir: d, maxBytes: 1 << 20, segmentBytes: 1 << 16, flushIntervalMs: 10_000, ...over });

async function drainAll(s: Spool): Promise<SpoolEntry[]> {
  const out: SpoolEntry[] = [];
  for (const seg of [...s.segments]) {
    const l = await s.load(seg);
    for (const { index, entry: e } of l.entries) {
      out.push(e);
      await s.ack(seg, index);
    }
  }
  return out;
}

describe('Spool', () => {
  it('writes whole segments under their final name only, and reads back every entry in order', async () => {
    const d = dir();
    const { log, events } = recorder();
    const s = new Spool(opts(d, { segmentBytes: 1000 }), events);
    await s.open();
    const written = Array.from({ length: 25 }, (_, i) => entry(i));
    for (const e of written) expect(s.append(e)).toBe(true);
    await s.flush();
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(s.segments.length).toBeGreaterThan(1); // 1000-byte segments: several
    expect(log.written).toBe(25);
    expect(s.bytes).toBe(s.segments.reduce((n, x) => n + x.bytes, 0));
    const back = await drainAll(s);
    expect(back).toEqual(written);
    await s.close();
    expect(readdirSync(d)).toEqual([]); // segments, acks and lock all gone
  });

  it('is bounded: append refuses what would pass maxBytes, counting what memory still holds', async () => {
    const s = new Spool(opts(dir(), { maxBytes: 2000 }), recorder().events);
    await s.open();
    const e = entry(1, 300);
    const n = Math.floor(2000 / entrySize(e));
    for (let i = 0; i < n; i++) expect(s.append(entry(i, 300))).toBe(true);
    expect(s.append(entry(99, 300))).toBe(false);
    expect(s.fits(10)).toBe(true);
    expect(s.fits(10, 2000)).toBe(false);
    await s.flush();
    // On disk (with the segment magic) it still stays within the bound.
    expect(s.bytes).toBeLessThanOrEqual(2000 + 8);
    await s.close();
  });

  it('removes torn temporary files from a crash, and a later run drains what the earlier one left, in order', async () => {
    const d = dir();
    const a = new Spool(opts(d, { segmentBytes: 500 }), recorder().events);
    await a.open();
    const first = Array.from({ length: 10 }, (_, i) => entry(i));
    for (const e of first) a.append(e);
    await a.close();
    // A crash while writing the next segment leaves a temp file with half an entry.
    writeFileSync(join(d, 'seg-00000100000000ff.spool.tmp'), Buffer.concat([Buffer.from('SLSPOOL1'), Buffer.alloc(7, 1)]));
    const { log, events } = recorder();
    const b = new Spool(opts(d), events);
    await b.open();
    expect(log.torn).toEqual(['seg-00000100000000ff.spool.tmp']);
    expect(existsSync(join(d, 'seg-00000100000000ff.spool.tmp'))).toBe(false);
    const more = [entry(50), entry(51)];
    for (const e of more) b.append(e);
    await b.flush();
    expect(await drainAll(b)).toEqual([...first, ...more]);
    await b.close();
  });

  it('remembers acknowledged entries of a partly drained segment across a restart', async () => {
    const d = dir();
    const a = new Spool(opts(d), recorder().events);
    await a.open();
    const all = Array.from({ length: 6 }, (_, i) => entry(i));
    for (const e of all) a.append(e);
    await a.flush();
    const seg = a.segments[0];
    const loaded = await a.load(seg);
    expect(loaded.entries.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
    await a.ack(seg, 0);
    await a.ack(seg, 3);
    await a.close();
    const b = new Spool(opts(d), recorder().events);
    await b.open();
    const again = await b.load(b.segments[0]);
    expect(again.entries.map((x) => x.index)).toEqual([1, 2, 4, 5]);
    expect(again.entries.map((x) => x.entry)).toEqual([all[1], all[2], all[4], all[5]]);
    for (const x of again.entries) await b.ack(b.segments[0] ?? seg, x.index);
    expect(b.segments).toEqual([]);
    await b.close();
    expect(readdirSync(d)).toEqual([]);
  });

  it('puts prepended entries before every existing segment', async () => {
    const s = new Spool(opts(dir()), recorder().events);
    await s.open();
    s.append(entry(10));
    await s.flush();
    await s.prepend([entry(1), entry(2)]);
    s.append(entry(11));
    await s.flush();
    expect((await drainAll(s)).map((e) => e.records)).toEqual([2, 3, 11, 12]);
    await s.close();
  });

  it('sends the entries before a damaged one and keeps the damaged file aside', async () => {
    const d = dir();
    const a = new Spool(opts(d), recorder().events);
    await a.open();
    for (let i = 0; i < 4; i++) a.append(entry(i));
    await a.flush();
    const name = a.segments[0].name;
    await a.close();
    const buf = readFileSync(join(d, name));
    const third = 8 + 2 * entrySize(entry(0));
    buf[third + 40] ^= 0xff; // flip a byte inside the third entry
    writeFileSync(join(d, name), buf);
    expect(decodeSegment(buf).entries).toHaveLength(2);
    const { log, events } = recorder();
    const b = new Spool(opts(d), events);
    await b.open();
    const back = await drainAll(b);
    expect(back).toEqual([entry(0), entry(1)]);
    expect(log.corrupt[0]).toMatch(/CRC mismatch/);
    await b.close();
    expect(readdirSync(join(d, 'corrupt'))).toEqual([name]);
  });

  it('rejects garbage instead of a segment', () => {
    expect(decodeSegment(Buffer.from('hello world')).corrupt).toMatch(/bad magic/);
    const ok = Buffer.from('SLSPOOL1');
    expect(decodeSegment(Buffer.concat([ok, Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])])).corrupt).toMatch(/truncated entry header|claims/);
  });

  it('refuses a directory another live process holds, takes over a stale lock', async () => {
    const d = dir();
    const a = new Spool(opts(d), recorder().events);
    await a.open();
    await expect(new Spool(opts(d), recorder().events).open()).rejects.toThrow(/already in use by this process/);
    await a.close();
    // A lock left by a process that is gone.
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
    writeFileSync(join(d, 'spool.lock'), `${dead}\n`);
    const b = new Spool(opts(d), recorder().events);
    await b.open();
    expect(readFileSync(join(d, 'spool.lock'), 'utf8').trim()).toBe(String(process.pid));
    await b.close();
    // A lock held by a live process (this test's parent shell is alive).
    writeFileSync(join(d, 'spool.lock'), `${process.ppid}\n`);
    await expect(new Spool(opts(d), recorder().events).open()).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('says clearly when the directory cannot be created', async () => {
    const f = join(dir(), 'file');
    writeFileSync(f, 'x');
    await expect(new Spool(opts(join(f, 'spool')), recorder().events).open()).rejects.toThrow(/cannot create the spool directory .*--spool-dir/);
  });
});
