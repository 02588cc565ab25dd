/**
 * IENA detection rules, error codes, the key → type config parser, the
 * sequence tracker, the parameter cap, and robustness (every truncation of
 * real packets and random bytes never throw).
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import {
  DEFAULT_IENA_MAX_PARAMS, IenaSequenceTracker, dissectIena, looksLikeChapter10, parseIenaKeyTypes, typeFromKeyStatus,
  validateIenaKeyTypes, type IenaConfig,
} from './index.js';

const NONE: IenaConfig = { keyTypes: new Map(), ports: new Set() };
const PINNED: IenaConfig = { keyTypes: new Map(), ports: new Set([50000]) };

interface Spec { key?: number; size?: number; time?: number; ks?: number; n2?: number; seq?: number; trailer?: number }

/** An IENA packet around `payload` (size and trailer right unless overridden). */
function iena(payload: Buffer, s: Spec = {}): Buffer {
  const b = Buffer.alloc(16 + payload.length);
  b.writeUInt16BE(s.key ?? 0x1234, 0);
  b.writeUInt16BE(s.size ?? b.length / 2, 2);
  b.writeUIntBE(s.time ?? 5_000_000, 4, 6);
  b[10] = s.ks ?? 0x12;
  b[11] = s.n2 ?? 0;
  b.writeUInt16BE(s.seq ?? 1, 12);
  payload.copy(b, 14);
  b.writeUInt16BE(s.trailer ?? 0xdead, b.length - 2);
  return b;
}

/** D-type parameters with wc=2: id, delay, 2 words each. */
function dParams(n: number): Buffer {
  const b = Buffer.alloc(n * 8);
  for (let i = 0; i < n; i++) b.writeUInt16BE(i, i * 8);
  return b;
}

describe('detection (§4.6)', () => {
  it('accepts size + trailer on any port, rejects 319/320, short payloads, Chapter 10', () => {
    const pkt = iena(dParams(3));
    for (const port of [1024, 5548, 5550, 50000, 50001, 12345]) expect(dissectIena(pkt, port, 40000, NONE)?.frameType).toBe('IENA-D');
    expect(dissectIena(pkt, 319, 40000, NONE)).toBeNull();
    expect(dissectIena(pkt, 40000, 320, NONE)).toBeNull();
    expect(dissectIena(pkt.subarray(0, 15), 50000, 1, NONE)).toBeNull();
    const ch10 = Buffer.from(pkt);
    ch10[0] = 0x25;
    ch10[1] = 0xeb;
    expect(dissectIena(ch10, 50000, 1, NONE)).toBeNull();
  });

  it('rejects a Format 1 transfer header followed by a checksum-valid Chapter 10 header, not a key that merely starts with 0x01', () => {
    const hdr = Buffer.alloc(24);
    hdr.writeUInt16LE(0xeb25, 0);
    hdr.writeUInt32LE(24, 4);
    let sum = 0;
    for (let i = 0; i < 22; i += 2) sum += hdr.readUInt16LE(i);
    hdr.writeUInt16LE(sum & 0xffff, 22);
    const ch10 = Buffer.concat([Buffer.from([0x01, 0, 0, 0]), hdr]);
    expect(looksLikeChapter10(ch10)).toBe(true);
    // Make the same bytes look like IENA (size field, trailer): Chapter 10 still wins.
    const disguised = Buffer.concat([ch10, Buffer.from([0xde, 0xad])]);
    expect(dissectIena(disguised, 50000, 1, NONE)).toBeNull();
    const key0100 = iena(dParams(2), { key: 0x0100 });
    expect(looksLikeChapter10(key0100)).toBe(false);
    expect(dissectIena(key0100, 50000, 1, NONE)?.info.key).toBe(0x0100);
  });

  it('one strong signal needs two weak ones', () => {
    // trailer only; time plausible; body tiles as D (key-status bits) → accepted.
    expect(dissectIena(iena(dParams(3), { size: 7 }), 50000, 1, NONE)).not.toBeNull();
    // trailer only; time implausible; body tiles → one weak → rejected.
    expect(dissectIena(iena(dParams(3), { size: 7, time: 2 ** 47 }), 50000, 1, NONE)).toBeNull();
    // size only, bad trailer: time + tiling → accepted with the warning.
    expect(dissectIena(iena(dParams(3), { trailer: 0xbeef }), 50000, 1, NONE)!.errors).toEqual(['iena.bad_trailer']);
    // nothing strong → rejected even if everything else fits.
    expect(dissectIena(iena(dParams(3), { size: 7, trailer: 0xbeef }), 50000, 1, NONE)).toBeNull();
  });

  it('a configured key counts as a strong signal', () => {
    const pkt = iena(dParams(3), { key: 0x2cfa, trailer: 0xbeef, time: 2 ** 47 });
    expect(dissectIena(pkt, 50000, 1, NONE)).toBeNull();
    const cfg: IenaConfig = { keyTypes: parseIenaKeyTypes({ '0x2cfa': 'D' }), ports: new Set() };
    expect(dissectIena(pkt, 50000, 1, cfg)!.errors).toEqual(['iena.bad_trailer', 'iena.time_out_of_range']);
  });

  it('the sequence tracker turns "seq = previous + 1" into the missing weak signal', () => {
    // trailer only, time plausible, body fits no layout (bits unset, wc 0, zero-length M): one weak signal.
    const body = Buffer.from('ffffffff0000' + '00'.repeat(10), 'hex');
    const tracker = new IenaSequenceTracker(4);
    const cfg: IenaConfig = { ...NONE, sequences: tracker };
    expect(dissectIena(iena(body, { size: 9, ks: 0, seq: 65535 }), 50000, 1, cfg, 7)).toBeNull();
    const second = dissectIena(iena(body, { size: 9, ks: 0, seq: 0 }), 50000, 1, cfg, 7);
    expect(second?.errors).toEqual(['iena.size_mismatch', 'iena.no_consistent_layout']);
    expect(dissectIena(iena(body, { size: 9, ks: 0, seq: 1 }), 50000, 1, cfg, 8)).toBeNull(); // another flow
    expect(dissectIena(iena(body, { size: 9, ks: 0, seq: 2 }), 50000, 1, NONE)).toBeNull(); // no tracker
  });
});

describe('pinned ports', () => {
  it('every payload is IENA: short ones are IENA-Unknown with iena.too_short, never null', () => {
    for (const n of [0, 1, 10, 14, 15]) {
      const r = dissectIena(iena(dParams(0)).subarray(0, n), 50000, 1, PINNED)!;
      expect(r.frameType).toBe('IENA-Unknown');
      expect(r.info.type_source).toBe('none');
      expect(r.errors).toEqual(['iena.too_short']);
    }
    expect(dissectIena(iena(dParams(1)).subarray(0, 14), 1, 50000, PINNED)!.info.sequence).toBe(1);
  });

  it('odd length, size mismatch, bad trailer, time out of range are reported together', () => {
    const pkt = Buffer.concat([iena(dParams(2), { time: 2 ** 46, trailer: 0x0bad }), Buffer.from([0x77])]);
    const r = dissectIena(pkt, 50000, 1, PINNED)!;
    expect(r.errors).toEqual(['iena.odd_length', 'iena.bad_trailer', 'iena.time_out_of_range']);
    expect(r.frameType).toBe('IENA-D');
    const wrong = dissectIena(iena(dParams(2), { size: 3, trailer: 0x0bad }), 50000, 1, PINNED)!;
    expect(wrong.errors).toEqual(['iena.size_mismatch', 'iena.bad_trailer']);
  });
});

describe('type from the key-status bits (§4.3)', () => {
  it('P, M, Q, D from the bits; N and no bits → null', () => {
    expect([0x80, 0xb0, 0x30, 0x20, 0x10, 0x00, 0x47, 0x08].map(typeFromKeyStatus)).toEqual(['P', 'P', 'M', 'Q', 'D', null, null, null]);
  });

  it('the bits win over the heuristic and over what tiles', () => {
    const r = dissectIena(iena(dParams(3), { ks: 0x30 }), 50000, 1, PINNED)!;
    expect(r.info).toMatchObject({ type: 'M', type_source: 'key_status' });
    expect(r.errors).toContain('iena.bad_body');
  });
});

describe('parameter cap and data views', () => {
  it(`lists at most ${DEFAULT_IENA_MAX_PARAMS} parameters by default, param_count has them all`, () => {
    const r = dissectIena(iena(dParams(600)), 50000, 1, PINNED)!;
    expect(r.info.param_count).toBe(600);
    expect(r.info.params).toHaveLength(DEFAULT_IENA_MAX_PARAMS);
    expect(dissectIena(iena(dParams(600)), 50000, 1, { ...PINNED, maxParams: 0 })!.info.params).toEqual([]);
  });

  it('parameter data are views into the payload (no copies)', () => {
    const pkt = iena(dParams(2));
    const r = dissectIena(pkt, 50000, 1, PINNED)!;
    expect(r.info.params[0].data.buffer).toBe(pkt.buffer);
  });
});

describe('parseIenaKeyTypes', () => {
  it('accepts hex and decimal keys, numbers, lower-case types, a Map, and nothing', () => {
    expect(parseIenaKeyTypes({ '0x2cfa': 'D', '41789': 'm', 26: ' n ' })).toEqual(new Map([[0x2cfa, 'D'], [41789, 'M'], [26, 'N']]));
    expect(parseIenaKeyTypes(new Map([[0xffff, 'Q']]))).toEqual(new Map([[0xffff, 'Q']]));
    expect(parseIenaKeyTypes(undefined)).toEqual(new Map());
    expect(parseIenaKeyTypes(null)).toEqual(new Map());
    expect(parseIenaKeyTypes({ '0x001a': 'P', '26': 'P' })).toEqual(new Map([[26, 'P']]));
  });

  it('reads the documented config-file section (YAML turns bare 0x keys into numbers)', () => {
    const doc = parseYaml('iena-key-types:\n  0x2cfa: D\n  "0x24fb": N\n  "41789": M\n  26: q\n') as Record<string, unknown>;
    expect(parseIenaKeyTypes(doc['iena-key-types'])).toEqual(new Map([[0x2cfa, 'D'], [0x24fb, 'N'], [41789, 'M'], [26, 'Q']]));
  });

  it('names the bad entry', () => {
    expect(() => parseIenaKeyTypes({ '0x1ffff': 'D' })).toThrow(/key "0x1ffff" is not a 16-bit key/);
    expect(() => parseIenaKeyTypes({ abc: 'D' })).toThrow(/key "abc"/);
    expect(() => parseIenaKeyTypes({ '0x2cfa': 'X' })).toThrow(/key 0x2cfa has type "X"; expected one of P, D, N, M, Q/);
    expect(() => parseIenaKeyTypes({ '0x2cfa': 'I' })).toThrow(/no public source defines an IENA "I" type/);
    expect(() => parseIenaKeyTypes({ '0x2cfa': 4 })).toThrow(/has type 4/);
    expect(() => parseIenaKeyTypes({ '0x001a': 'M', '26': 'N' })).toThrow(/key 0x001a is given twice with different types \((M and N|N and M)\)/);
    expect(() => parseIenaKeyTypes(['D'])).toThrow(/got a list/);
    expect(() => parseIenaKeyTypes('0x2cfa=D')).toThrow(/got string/);
    expect(validateIenaKeyTypes({ '0x2cfa': 'D' })).toBeUndefined();
    expect(validateIenaKeyTypes({ '0x2cfa': 'Z' })).toMatch(/expected one of/);
  });
});

describe('IenaSequenceTracker', () => {
  it('is bounded, evicts the least recently seen, and counts evictions', () => {
    const t = new IenaSequenceTracker(2);
    t.observe(1, 1, 10);
    t.observe(1, 2, 10);
    expect(t.observe(1, 1, 11)).toBe(true); // key 1 refreshed
    t.observe(1, 3, 10); // evicts key 2
    expect(t.size).toBe(2);
    expect(t.evictions).toBe(1);
    expect(t.observe(1, 2, 11)).toBe(false);
    expect(() => new IenaSequenceTracker(0)).toThrow(/positive integer/);
  });
});

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('robustness', () => {
  const real = ['iena/acranetwork_iena_test.pcap', 'iena/acranetwork_ienad.pcap', 'iena/acranetwork_ienam_multiple.pcap',
    'iena/acranetwork_corrupt_ienad.pcap'].flatMap((f) => readCaptureFrames(publicCapture(f)!)).map((f) => framePayload(f.data).payload);
  const configs: IenaConfig[] = [NONE, PINNED, { keyTypes: parseIenaKeyTypes({ '0x001a': 'M', '0x2cfa': 'Q', '0xa33d': 'N', '0x0a00': 'P' }), ports: new Set([50000]) },
    { ...NONE, sequences: new IenaSequenceTracker(64) }];

  it('every truncation of every real IENA packet: errors on pinned ports, never an exception', () => {
    let cases = 0;
    for (const p of real) {
      for (let n = 0; n < p.length; n++) {
        const cut = p.subarray(0, n);
        for (const cfg of configs) {
          const r = dissectIena(cut, 50000, 1, cfg);
          cases++;
          if (cfg.ports.size) expect(r!.errors.length).toBeGreaterThan(0);
        }
      }
    }
    expect(cases).toBeGreaterThan(40_000);
  });

  it('random bytes and mutated real packets never throw', () => {
    const rnd = prng(0x1e7a);
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.alloc(Math.floor(rnd() * 300));
        for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rnd() * 256);
        if (buf.length >= 16 && rnd() < 0.5) {
          buf.writeUInt16BE(buf.length >> 1, 2); // make the size field right
          buf.writeUInt16BE(0xdead, (buf.length & ~1) - 2);
        }
      } else {
        buf = Buffer.from(real[Math.floor(rnd() * real.length)]);
        for (let k = 0; k < 4; k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
      }
      for (const cfg of configs) expect(() => dissectIena(buf, 50000, 1, cfg, i)).not.toThrow();
    }
  });
});
