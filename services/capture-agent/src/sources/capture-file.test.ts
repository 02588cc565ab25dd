/**
 * The pcap/pcapng readers: every header variant, several sections and
 * interfaces with their own link types and timestamp resolutions, chunk
 * boundaries, and damaged files (frames before the damage delivered, then a
 * CaptureFileError naming the offset and the count). tshark reads the same
 * files as the oracle for timestamps and interfaces.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileError, CaptureFileReader, type RawFrame } from './capture-file.js';
import { pcapBytes, pcapHeader, pcapngBytes, pcapRecord, type PcapFrame, type PcapngSection } from '../../test-fixtures/capture-writers.js';
import { ETHERNET_FRAMES, OTHER_LINK_FRAMES } from '../../test-fixtures/crafted-catalogue.js';
import { Prng } from '../../test-fixtures/prng.js';
import { compareFileWithTshark } from '../../test-fixtures/tshark-oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'streamlens-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function file(bytes: Buffer): string {
  const p = join(dir, `f${fileNo++}`);
  writeFileSync(p, bytes);
  return p;
}

interface Got { frameNo: number; iface: number; linkType: number; ts: string; capLen: number; wireLen: number; data: Buffer }

async function readAll(path: string, chunkSize?: number): Promise<{ frames: Got[]; error: CaptureFileError | null; reader: CaptureFileReader }> {
  const reader = await CaptureFileReader.open(path, { chunkSize });
  const frames: Got[] = [];
  let error: CaptureFileError | null = null;
  const take = (f: RawFrame) => frames.push({
    frameNo: f.frameNo, iface: f.interfaceIndex, linkType: f.linkType, ts: `${f.tsSec}.${String(f.tsNs).padStart(9, '0')}`,
    capLen: f.capLen, wireLen: f.wireLen, data: f.data, // not copied: chunks are never reused
  });
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) take(f);
    } while (await reader.fill());
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    error = err;
  } finally {
    await reader.close();
  }
  return { frames, error, reader };
}

const nsText = (ns: bigint) => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
const sample = ETHERNET_FRAMES.slice(0, 12);
const T0 = 1_700_000_000_123_456_789n;
const pcapFrames: PcapFrame[] = sample.map((f, i) => ({ tsNs: T0 + BigInt(i) * 999_999_999n, data: f.data }));

describe('classic pcap', () => {
  for (const nanos of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`${nanos ? 'nanosecond' : 'microsecond'} magic, ${bigEndian ? 'big' : 'little'}-endian`, async () => {
        const path = file(pcapBytes({ linkType: 1, nanos, bigEndian }, pcapFrames));
        const { frames, error, reader } = await readAll(path);
        expect(error).toBeNull();
        expect(reader.format).toBe('pcap');
        expect(reader.interfaces()).toEqual([{ index: 0, section: 0, name: '', description: '', linkType: 1, snapLen: 262144, tsUnitsPerSecond: nanos ? 1e9 : 1e6, tsOffsetSec: 0, fcsLen: null }]);
        expect(frames.map((f) => f.ts)).toEqual(pcapFrames.map((f) => nsText(nanos ? f.tsNs : (f.tsNs / 1000n) * 1000n)));
        expect(frames.map((f) => f.data.toString('hex'))).toEqual(sample.map((f) => f.data.toString('hex')));
        expect(frames.map((f) => f.frameNo)).toEqual(sample.map((_, i) => i + 1));
        expect(reader.bytesRead).toBe(reader.fileSize);
        const { mismatches } = await compareFileWithTshark(path);
        expect(mismatches).toEqual([]);
      });
    }
  }

  it("Kuznetsov's patched format (24-byte record headers)", async () => {
    const path = file(pcapBytes({ linkType: 1, patched: true }, pcapFrames));
    const { frames, error } = await readAll(path);
    expect(error).toBeNull();
    expect(frames.map((f) => f.data.toString('hex'))).toEqual(sample.map((f) => f.data.toString('hex')));
    expect((await compareFileWithTshark(path)).mismatches).toEqual([]);
  });

  it('wire length, snap length and the FCS bits of the link type word', async () => {
    const h = pcapHeader({ linkType: 1, snapLen: 64 });
    h.writeUInt32LE(0x04000000 | (2 << 28) | 1, 20);
    const path = file(Buffer.concat([h, pcapRecord({ linkType: 1 }, { tsNs: T0, data: sample[0].data.subarray(0, 40), wireLen: 1514 })]));
    const { frames, reader } = await readAll(path);
    expect(reader.interfaces()[0]).toMatchObject({ linkType: 1, snapLen: 64, fcsLen: 4 });
    expect(frames[0]).toMatchObject({ capLen: 40, wireLen: 1514, linkType: 1 });
  });

  it('a microsecond field of 1 000 000 or more carries into the seconds', async () => {
    const rec = pcapRecord({ linkType: 1 }, { tsNs: 0n, data: sample[0].data });
    rec.writeUInt32LE(10, 0);
    rec.writeUInt32LE(2_500_000, 4);
    const { frames } = await readAll(file(Buffer.concat([pcapHeader({ linkType: 1 }), rec])));
    expect(frames[0].ts).toBe('12.500000000');
  });
});

describe('pcapng', () => {
  const v4 = OTHER_LINK_FRAMES.find((f) => f.name === 'raw ipv4')!.data;
  const sll = OTHER_LINK_FRAMES.find((f) => f.name === 'sll ipv6 tcp')!.data;
  const sll2 = OTHER_LINK_FRAMES.find((f) => f.name === 'sll2 ipv4 udp')!.data;
  const nul = OTHER_LINK_FRAMES.find((f) => f.name === 'null little-endian AF_INET')!.data;
  const e = (i: number) => sample[i].data;
  const sections: PcapngSection[] = [
    {
      interfaces: [
        { linkType: 1, name: 'eth0', description: 'uplink' },
        { linkType: 113, name: 'any', tsresol: 9, snapLen: 65535 },
        { linkType: 101, tsresol: 0x94, tsoffset: 100n },
      ],
      blocks: [
        { kind: 'raw', type: 0x0000000b, body: Buffer.from('unknown block type') },
        { kind: 'epb', iface: 0, ticks: 1_700_000_000_123_456n, data: e(0) },
        { kind: 'epb', iface: 1, ticks: 1_700_000_000_987_654_321n, data: sll },
        { kind: 'raw', type: 4, body: Buffer.from('01000900c0a80101686f73740000000000000000', 'hex') }, // name resolution
        { kind: 'epb', iface: 2, ticks: 1_700_000_000n * 1_048_576n + 524_288n, data: v4 },
        { kind: 'spb', data: e(1) },
        { kind: 'opb', iface: 0, ticks: 1_700_000_001_000_001n, data: e(2) },
        { kind: 'raw', type: 5, body: Buffer.alloc(12) }, // interface statistics
        { kind: 'idb', iface: { linkType: 276, name: 'late', tsresol: 3 } },
        { kind: 'epb', iface: 3, ticks: 1_700_000_002_500n, data: sll2 },
        { kind: 'raw', type: 0x40000bad, body: Buffer.from('0000a9ec637573746f6d', 'hex') }, // custom block
        { kind: 'epb', iface: 0, ticks: 1_700_000_003_000_000n, data: e(7).subarray(0, 50), wireLen: e(7).length },
      ],
    },
    {
      bigEndian: true,
      interfaces: [{ linkType: 0, name: 'lo0', tsresol: 6 }, { linkType: 1, tsresol: 0x80 | 30 }],
      blocks: [
        { kind: 'epb', iface: 1, ticks: 1_700_000_004n * 2n ** 30n + 2n ** 29n + 1n, data: e(4) },
        { kind: 'epb', iface: 0, ticks: 1_700_000_005_000_007n, data: nul },
        { kind: 'spb', data: e(5) },
      ],
    },
  ];

  it('several sections (both byte orders) and interfaces with their own link types, if_tsresol and if_tsoffset; unknown blocks skipped', async () => {
    const path = file(pcapngBytes(sections));
    const { frames, error, reader } = await readAll(path);
    expect(error).toBeNull();
    expect(reader.format).toBe('pcapng');
    expect(reader.interfaces().map((i) => [i.index, i.section, i.name, i.linkType, i.tsUnitsPerSecond, i.tsOffsetSec])).toEqual([
      [0, 0, 'eth0', 1, 1e6, 0], [1, 0, 'any', 113, 1e9, 0], [2, 0, '', 101, 2 ** 20, 100], [3, 0, 'late', 276, 1e3, 0],
      [4, 1, 'lo0', 0, 1e6, 0], [5, 1, '', 1, 2 ** 30, 0],
    ]);
    expect(reader.interfaces()[0].description).toBe('uplink');
    // The custom block takes frame number 7, as in Wireshark.
    expect(frames.map((f) => f.frameNo)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 11]);
    expect(reader.framesRead).toBe(10);
    expect(frames.map((f) => [f.iface, f.linkType, f.ts])).toEqual([
      [0, 1, '1700000000.123456000'],
      [1, 113, '1700000000.987654321'],
      [2, 101, '1700000100.500000000'],
      [0, 1, '1700000100.500000000'], // Simple Packet Block: no time of its own
      [0, 1, '1700000001.000001000'],
      [3, 276, '1700000002.500000000'],
      [0, 1, '1700000003.000000000'],
      [5, 1, '1700000004.500000000'],
      [4, 0, '1700000005.000007000'],
      [4, 0, '1700000005.000007000'],
    ]);
    expect(frames[6]).toMatchObject({ capLen: 50, wireLen: e(7).length });
    expect(reader.bytesRead).toBe(reader.fileSize);
    // tshark agrees on every frame's time, interface and decoded fields.
    const { mismatches } = await compareFileWithTshark(path);
    expect(mismatches).toEqual([]);
  });

  it('binary and fine decimal resolutions split exactly (2^-30 s, 10^-10 s, 10^-12 s, beyond 2^53 ticks)', async () => {
    const path = file(pcapngBytes([{
      interfaces: [{ linkType: 1, tsresol: 0x80 | 30 }, { linkType: 1, tsresol: 10 }, { linkType: 1, tsresol: 12 }, { linkType: 1, tsresol: 9 }],
      blocks: [
        { kind: 'epb', iface: 0, ticks: 1_700_000_000n * 2n ** 30n + 3n, data: e(0) },
        { kind: 'epb', iface: 1, ticks: 17_000_000_001_234_567_891n, data: e(0) },
        { kind: 'epb', iface: 2, ticks: 10_000_000_000_000_001_999n, data: e(0) },
        { kind: 'epb', iface: 2, ticks: 5_000_000_000_123n, data: e(0) },
        { kind: 'epb', iface: 3, ticks: 2n ** 64n - 1n, data: e(0) },
      ],
    }]));
    const { frames } = await readAll(path);
    // Fractions of a nanosecond are truncated, as Wireshark does (3 / 2^30 s = 2.79 ns).
    expect(frames.map((f) => f.ts)).toEqual([
      '1700000000.000000002', '1700000000.123456789', '10000000.000000001', '5.000000000', '18446744073.709551615',
    ]);
    expect((await compareFileWithTshark(path)).mismatches).toEqual([]);
  });
});

describe('streaming in chunks', () => {
  const rnd = new Prng(7);
  const big: PcapFrame[] = [];
  for (let i = 0; i < 400; i++) {
    const base = rnd.pick(ETHERNET_FRAMES).data;
    big.push({ tsNs: T0 + BigInt(i) * 1000n, data: i % 50 === 7 ? Buffer.concat([base, rnd.bytes(9000)]) : base });
  }
  // One record larger than the read-ahead headroom of a chunk.
  big.push({ tsNs: T0 + 999_999n, data: rnd.bytes(600_000) });
  big.push({ tsNs: T0 + 1_000_000n, data: sample[0].data });

  for (const [format, bytes] of [
    ['pcap', pcapBytes({ linkType: 1, nanos: true, snapLen: 1 << 20 }, big)],
    ['pcapng', pcapngBytes([{ interfaces: [{ linkType: 1, tsresol: 9, snapLen: 1 << 20 }], blocks: big.map((f) => ({ kind: 'epb' as const, iface: 0, ticks: f.tsNs, data: f.data })) }])],
  ] as const) {
    it(`${format}: the same frames whatever the chunk size, and earlier frames stay intact`, async () => {
      const path = file(bytes);
      for (const chunkSize of [64, 1000, 65536, 4 * 1024 * 1024]) {
        const { frames, error, reader } = await readAll(path, chunkSize);
        expect(error).toBeNull();
        expect(frames.length).toBe(big.length);
        // Compared only after the whole file was read: every view is still the right bytes.
        for (let i = 0; i < big.length; i++) {
          if (!frames[i].data.equals(big[i].data)) throw new Error(`chunk ${chunkSize}: frame ${i + 1} differs`);
        }
        expect(reader.bytesRead).toBe(bytes.length);
      }
    });
  }

  it('releaseFramesBefore lets the reader reuse chunks; frames are intact until released', async () => {
    const frames = big.slice(0, 400);
    const path = file(pcapBytes({ linkType: 1, nanos: true, snapLen: 1 << 20 }, frames));
    const reader = await CaptureFileReader.open(path, { chunkSize: 4096 });
    const views: Buffer[] = [];
    let i = 0;
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        // Still intact when delivered, then given back at once.
        if (!f.data.equals(frames[i].data)) throw new Error(`frame ${i + 1} corrupt on delivery`);
        views.push(f.data);
        reader.releaseFramesBefore(f.frameNo + 1);
        i++;
      }
    } while (await reader.fill());
    await reader.close();
    expect(i).toBe(frames.length);
    // The memory was reused: some views of released frames now show later bytes.
    expect(views.filter((v, k) => !v.equals(frames[k].data)).length).toBeGreaterThan(0);
  });

  it('without releaseFramesBefore nothing is reused, however long frames are kept', async () => {
    const path = file(pcapBytes({ linkType: 1, nanos: true, snapLen: 1 << 20 }, big.slice(0, 400)));
    const { frames } = await readAll(path, 4096);
    expect(frames.every((f, k) => f.data.equals(big[k].data))).toBe(true);
  });

  it('reads a pipe (tcpdump -w - | agent) to its end', async () => {
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const bytes = pcapBytes({ linkType: 1, nanos: true, snapLen: 1 << 20 }, big);
    // The writer end opens when the reader does; write in pieces like a live producer.
    const writer = (async () => {
      const fh = await open(fifo, 'w');
      for (let at = 0; at < bytes.length; at += 100_000) await fh.write(bytes.subarray(at, at + 100_000));
      await fh.close();
    })();
    const { frames, error, reader } = await readAll(fifo, 65536);
    await writer;
    expect(error).toBeNull();
    expect(reader.fileSize).toBe(0);
    expect(frames.length).toBe(big.length);
    expect(frames.every((f, k) => f.data.equals(big[k].data))).toBe(true);
  });

  it('progress: bytesRead rises to fileSize as frames are delivered', async () => {
    const path = file(pcapBytes({ linkType: 1 }, big.slice(0, 300)));
    const reader = await CaptureFileReader.open(path, { chunkSize: 4096 });
    const seen: number[] = [];
    for await (const _ of reader.frames()) seen.push(reader.bytesRead);
    await reader.close();
    expect(seen.length).toBe(300);
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBe(reader.fileSize);
    expect(reader.framesRead).toBe(300);
  });
});

describe('damaged files: frames before the damage arrive, then a CaptureFileError names offset and count', () => {
  const good = pcapBytes({ linkType: 1 }, pcapFrames.slice(0, 3));
  const recLens = pcapFrames.slice(0, 3).map((f) => 16 + f.data.length);
  const fourthAt = 24 + recLens[0] + recLens[1] + recLens[2];

  async function expectError(bytes: Buffer, code: string, offset: number, framesRead: number, message?: RegExp): Promise<Got[]> {
    let frames: Got[] = [];
    let error: unknown = null;
    try {
      ({ frames, error } = await readAll(file(bytes), 128));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CaptureFileError);
    const e = error as CaptureFileError;
    expect([e.code, e.offset, e.framesRead]).toEqual([code, offset, framesRead]);
    expect(e.message).toContain(`at byte offset ${offset}`);
    if (message) expect(e.message).toMatch(message);
    expect(frames.length).toBe(framesRead);
    return frames;
  }

  it('an empty file', () => expectError(Buffer.alloc(0), 'bad_magic', 0, 0, /empty file/));
  it('a text file', () => expectError(Buffer.from('hello, this is not a capture'), 'bad_magic', 0, 0, /starts with 68656c6c/));
  it('a gzip-compressed capture says so', () => expectError(gzipSync(good), 'bad_magic', 0, 0, /gzip-compressed/));
  it('a pcap header cut short', () => expectError(good.subarray(0, 10), 'truncated', 0, 0));
  it('a pcap version that is not 2.x', () => {
    const b = Buffer.from(good);
    b.writeUInt16LE(3, 4);
    return expectError(b, 'bad_header', 4, 0, /version 3/);
  });
  it('a file cut in the middle of the last record (like a capture stopped at a size limit)', async () => {
    for (const cut of [fourthAt + 5, fourthAt + 16, fourthAt + 30]) {
      const bytes = Buffer.concat([good, pcapRecord({ linkType: 1 }, pcapFrames[3])]).subarray(0, cut);
      const frames = await expectError(bytes, 'truncated', fourthAt, 3, /file ends inside a record/);
      expect(frames.map((f) => f.data.toString('hex'))).toEqual(pcapFrames.slice(0, 3).map((f) => f.data.toString('hex')));
    }
  });
  it('a record header claiming an impossible length', () => {
    const rec = pcapRecord({ linkType: 1 }, pcapFrames[3]);
    rec.writeUInt32LE(0x7fffffff, 8);
    return expectError(Buffer.concat([good, rec]), 'bad_record', fourthAt, 3, /claims 2147483647 captured bytes/);
  });

  const ng = (blocks: PcapngSection['blocks']) => pcapngBytes([{ interfaces: [{ linkType: 1 }], blocks }]);
  const epb = (i: number) => ({ kind: 'epb' as const, iface: 0, ticks: 1n, data: pcapFrames[i].data });
  const head = ng([epb(0), epb(1)]);

  it('pcapng: a block length that lies (trailer disagrees)', () => {
    // The third packet block claims 8 bytes more than it has: its "trailer" then lands inside the fourth.
    const b = ng([epb(0), epb(1), epb(2), epb(3)]);
    b.writeUInt32LE(b.readUInt32LE(head.length + 4) + 8, head.length + 4);
    return expectError(b, 'bad_block', head.length, 2, /trailer says/);
  });
  it('pcapng: a block length that is not a multiple of 4', () => {
    const b = Buffer.concat([head, ng([epb(0), epb(1), epb(2)]).subarray(head.length)]);
    b.writeUInt32LE(13, head.length + 4);
    return expectError(b, 'bad_block', head.length, 2, /impossible length 13/);
  });
  it('pcapng: a file cut inside a block', () => {
    const b = ng([epb(0), epb(1), epb(2)]);
    return expectError(b.subarray(0, b.length - 10), 'truncated', head.length, 2);
  });
  it('pcapng: a packet block naming an interface the section does not describe', () => {
    const b = ng([epb(0), { kind: 'epb', iface: 3, ticks: 1n, data: pcapFrames[1].data }]);
    return expectError(b, 'bad_block', ng([epb(0)]).length, 1, /names interface 3 but section 0 describes 1/);
  });
  it('pcapng: a captured length larger than its block', () => {
    const b = ng([epb(0), epb(1)]);
    const at = ng([epb(0)]).length;
    b.writeUInt32LE(5000, at + 20);
    return expectError(b, 'bad_block', at, 1, /captured length 5000 exceeds the block/);
  });
  it('pcapng: a section header with a bad byte-order magic', () => {
    const b = Buffer.concat([head, ng([])]);
    b.writeUInt32LE(0x11223344, head.length + 8);
    return expectError(b, 'bad_header', head.length, 2, /byte-order magic/);
  });
  it('pcapng: an unsupported major version', () => {
    const b = Buffer.from(head);
    b.writeUInt16LE(2, 12);
    return expectError(b, 'bad_header', 0, 0, /version 2\.0/);
  });

  it('a missing file is an io error naming the path', async () => {
    await expect(CaptureFileReader.open(join(dir, 'nope.pcap'))).rejects.toThrow(/nope\.pcap: cannot open/);
  });
});
