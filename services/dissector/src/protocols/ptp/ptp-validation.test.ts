/**
 * The validation checklist of protocols.md §3.10 as error codes, the
 * warnings, the null/non-null contract per transport, and robustness: every
 * truncation of every real PTP frame and random bytes never throw.
 */
import { describe, expect, it } from 'vitest';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { portIdentity, ptpMessage, timestamp, tlv, unicastValue } from '../../../test-oracles/ptp-builder.js';
import { MAX_LISTED_TLVS, dissectPtp, isPtpPort } from './index.js';

const GM = '7483efffff01ac16';

const sync = (over: Parameters<typeof ptpMessage>[0] = { type: 0 }, body = timestamp(1, 2), tlvs: Buffer[] = []): Buffer =>
  ptpMessage({ control: 0, logInterval: 0, ...over }, body, tlvs);

describe('validation errors (§3.10)', () => {
  it('a clean Sync has no errors and decodes its fields', () => {
    const r = dissectPtp(sync({ type: 0, seq: 4711, clock: GM, port: 3, domain: 7 }), 'udp', 319, 319)!;
    expect(r.errors).toEqual([]);
    expect(r.frameType).toBe('PTP-Sync');
    expect(r.info).toMatchObject({ version: 2, sequence_id: 4711, source_clock_id: GM, source_port: 3, domain: 7,
      timestamp_s: 1, timestamp_ns: 2, message_type_name: 'Sync' });
  });

  it('ptp.bad_version over Ethernet (never falls back, PTP-Unknown)', () => {
    const m = sync();
    m[1] = 0x03;
    const r = dissectPtp(m, 'ethernet', 0, 0)!;
    expect(r.frameType).toBe('PTP-Unknown');
    expect(r.errors).toEqual(['ptp.bad_version']);
    expect(r.info.version).toBe(3);
  });

  it('over UDP a payload that is neither v2 nor v1 is not PTP (null), whatever the port', () => {
    const m = sync();
    m[1] = 0x03;
    expect(dissectPtp(m, 'udp', 319, 319)).toBeNull();
    expect(dissectPtp(Buffer.from('12340100000100000000000003777777', 'hex'), 'udp', 5353, 320)).toBeNull();
    expect(dissectPtp(Buffer.alloc(0), 'udp', 319, 319)).toBeNull();
    expect(dissectPtp(Buffer.from([0x00]), 'udp', 319, 319)).toBeNull();
  });

  it('ptp.truncated when fewer than 34 header bytes are present; the type is still shown', () => {
    const r = dissectPtp(sync().subarray(0, 20), 'ethernet', 0, 0)!;
    expect(r.frameType).toBe('PTP-Unknown');
    expect(r.errors).toEqual(['ptp.truncated']);
    expect(r.info).toMatchObject({ version: 2, message_type: 0, message_length: 44 });
    expect(dissectPtp(Buffer.alloc(0), 'ethernet', 0, 0)!.errors).toEqual(['ptp.bad_version']);
  });

  it('ptp.length_too_large when messageLength runs past the bytes: header kept, body only if present', () => {
    const announce = ptpMessage({ type: 0xb, control: 5, logInterval: 1 }, Buffer.alloc(30));
    const cut = dissectPtp(announce.subarray(0, 50), 'udp', 320, 320)!;
    expect(cut.frameType).toBe('PTP-Announce');
    expect(cut.errors).toEqual(['ptp.length_too_large']);
    expect(cut.info.announce).toBeNull();
    const lie = sync({ type: 0, length: 60 });
    const r = dissectPtp(lie, 'udp', 319, 319)!;
    expect(r.errors).toEqual(['ptp.length_too_large']);
    expect(r.info.timestamp_s).toBe(1);
  });

  it('ptp.length_too_small when messageLength < 34 (body not read)', () => {
    const r = dissectPtp(sync({ type: 0, length: 20 }), 'udp', 319, 319)!;
    expect(r.errors).toEqual(['ptp.length_too_small']);
    expect(r.info.timestamp_s).toBeNull();
  });

  it('ptp.unknown_type for reserved messageTypes 4-7, 0xE, 0xF', () => {
    for (const type of [4, 5, 6, 7, 0xe, 0xf]) {
      const r = dissectPtp(ptpMessage({ type }, Buffer.alloc(10)), 'ethernet', 0, 0)!;
      expect(r.frameType).toBe('PTP-Unknown');
      expect(r.errors).toEqual(['ptp.unknown_type']);
      expect(r.info.message_type).toBe(type);
    }
  });

  it('ptp.short_body when messageLength is below the type fixed length', () => {
    const r = dissectPtp(ptpMessage({ type: 9, control: 3, logInterval: 0 }, timestamp(1, 1)), 'udp', 320, 320)!;
    expect(r.frameType).toBe('PTP-Delay_Resp');
    expect(r.errors).toEqual(['ptp.short_body']);
    expect(r.info.requesting_clock_id).toBeNull();
  });

  it('ptp.bad_tlv: odd lengthField, leftover bytes, a TLV past messageLength, a known TLV too short', () => {
    const sig = (tlvs: Buffer[]): Buffer => ptpMessage({ type: 0xc, control: 5 }, portIdentity(GM, 1), tlvs);
    expect(dissectPtp(sig([tlv(0x8008, Buffer.alloc(3))]), 'udp', 320, 320)!.errors).toEqual(['ptp.bad_tlv']);
    expect(dissectPtp(sig([tlv(0x8008, Buffer.alloc(2)), Buffer.from([0, 1])]), 'udp', 320, 320)!.errors).toEqual(['ptp.bad_tlv']);
    const over = dissectPtp(sig([tlv(0x8008, Buffer.alloc(2), 40)]), 'udp', 320, 320)!;
    expect(over.errors).toEqual(['ptp.bad_tlv']);
    expect(over.info.tlvs[0].value).toHaveLength(2);
    expect(dissectPtp(sig([tlv(4, Buffer.alloc(2))]), 'udp', 320, 320)!.errors).toEqual(['ptp.bad_tlv']);
    expect(dissectPtp(sig([tlv(8, Buffer.alloc(12))]), 'udp', 320, 320)!.errors).toEqual(['ptp.bad_tlv']);
    expect(dissectPtp(sig([tlv(4, unicastValue(0, 0, 10))]), 'udp', 320, 320)!.errors).toEqual([]);
  });

  it('a TLV cut by the snap length is not blamed on the sender (only length_too_large)', () => {
    const m = ptpMessage({ type: 0xc, control: 5 }, portIdentity(GM, 1), [tlv(4, unicastValue(0, 0, 10))]);
    const r = dissectPtp(m.subarray(0, m.length - 3), 'udp', 320, 320)!;
    expect(r.errors).toEqual(['ptp.length_too_large']);
    expect(r.info.tlvs).toHaveLength(1);
  });

  it('ptp.bad_timestamp when nanoseconds >= 10^9', () => {
    const r = dissectPtp(sync({ type: 0 }, timestamp(5, 1_000_000_000)), 'udp', 319, 319)!;
    expect(r.errors).toEqual(['ptp.bad_timestamp']);
    expect(r.info.timestamp_ns).toBe(1_000_000_000);
  });

  it(`lists at most ${MAX_LISTED_TLVS} TLVs but validates all of them`, () => {
    const pads = Array.from({ length: 100 }, () => tlv(0x8008, Buffer.alloc(2)));
    const ok = dissectPtp(ptpMessage({ type: 0xc, control: 5 }, portIdentity(GM, 1), pads), 'udp', 320, 320)!;
    expect(ok.errors).toEqual([]);
    expect(ok.info.tlvs).toHaveLength(MAX_LISTED_TLVS);
    const bad = dissectPtp(ptpMessage({ type: 0xc, control: 5 }, portIdentity(GM, 1), [...pads, Buffer.from([1])]), 'udp', 320, 320)!;
    expect(bad.errors).toEqual(['ptp.bad_tlv']);
  });
});

describe('warnings (§3.10 item 7)', () => {
  it('port class: an event message on 320 and not 319, a general message on 319 and not 320', () => {
    expect(dissectPtp(sync(), 'udp', 320, 320)!.errors).toEqual(['ptp.port_class_mismatch']);
    expect(dissectPtp(sync(), 'udp', 50000, 319)!.errors).toEqual([]);
    expect(dissectPtp(sync(), 'udp', 1319, 1319)!.errors).toEqual([]); // a configured extra PTP port has no class
    const fu = ptpMessage({ type: 8, control: 2, logInterval: 0 }, timestamp(1, 1));
    expect(dissectPtp(fu, 'udp', 319, 319)!.errors).toEqual(['ptp.port_class_mismatch']);
    expect(dissectPtp(fu, 'ethernet', 0, 0)!.errors).toEqual([]);
  });

  it('controlField checked against the legacy table only for minorVersionPTP 0', () => {
    expect(dissectPtp(sync({ type: 0, control: 5 }), 'udp', 319, 319)!.errors).toEqual(['ptp.control_mismatch']);
    expect(dissectPtp(sync({ type: 0, control: 5, minor: 1 }), 'udp', 319, 319)!.errors).toEqual([]);
  });

  it('logMessageInterval outside -7..7 and not 127', () => {
    expect(dissectPtp(sync({ type: 0, logInterval: -8 }), 'udp', 319, 319)!.errors).toEqual(['ptp.log_interval_out_of_range']);
    expect(dissectPtp(sync({ type: 0, logInterval: 127 }), 'udp', 319, 319)!.errors).toEqual([]);
  });
});

describe('isPtpPort', () => {
  it('is true when either port is 319 or 320', () => {
    expect(isPtpPort(319, 1)).toBe(true);
    expect(isPtpPort(1, 320)).toBe(true);
    expect(isPtpPort(318, 321)).toBe(false);
  });
});

/** Deterministic PRNG (mulberry32) so a failure names a reproducible case. */
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
  const files = ['ptp/tcpdump_ptp.pcap', 'ptp/tcpdump_ptp_corrections.pcap', 'ptp/tcpdump_ptp_ethernet.pcap',
    'ptp/tcpdump_ptp_management.pcap', 'ptp/tcpdump_ptp_v2_1.pcap'];

  it('every truncation of every real PTP payload gives a result with errors, never an exception', () => {
    let cases = 0;
    for (const f of files) {
      for (const frame of readCaptureFrames(publicCapture(f)!)) {
        const p = framePayload(frame.data);
        const transport = p.kind === 'ethernet-ptp' ? 'ethernet' : 'udp';
        const full = dissectPtp(p.payload, transport, p.srcPort, p.dstPort)!;
        for (let n = 0; n < p.payload.length; n++) {
          const cut = p.payload.subarray(0, n);
          const r = dissectPtp(cut, transport, p.srcPort, p.dstPort);
          cases++;
          if (transport === 'ethernet') expect(r).not.toBeNull();
          if (r === null) continue;
          if (n < full.info.message_length) expect(r.errors.length).toBeGreaterThan(0);
        }
      }
    }
    expect(cases).toBeGreaterThan(10_000);
  });

  it('random bytes and random mutations of real messages never throw', () => {
    const rnd = prng(0x5eed);
    const frames = files.flatMap((f) => readCaptureFrames(publicCapture(f)!)).map((f) => framePayload(f.data));
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.alloc(Math.floor(rnd() * 200));
        for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rnd() * 256);
        if (buf.length > 1 && rnd() < 0.7) buf[1] = (buf[1] & 0xf0) | 2; // mostly v2, to reach the body code
      } else {
        const src = frames[Math.floor(rnd() * frames.length)].payload;
        buf = Buffer.from(src);
        for (let k = 0; k < 4; k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
      }
      expect(() => dissectPtp(buf, 'ethernet', 0, 0)).not.toThrow();
      expect(() => dissectPtp(buf, 'udp', 319, 320)).not.toThrow();
    }
  });
});

describe('values the contract cannot carry exactly', () => {
  it('clamps and flags a correctionField beyond ±2^52, keeps a raw nanoseconds field ≥ 2^31', async () => {
    const { AvroCodec } = await import('@streamlens/common');
    const m = sync({ type: 0 }, timestamp(5, 0xffffffff));
    m.writeBigInt64BE(-(2n ** 62n), 8);
    const r = dissectPtp(m, 'udp', 319, 319)!;
    expect(r.errors).toEqual(['ptp.correction_out_of_range', 'ptp.bad_timestamp']);
    expect(r.info.correction_scaled_ns).toBe(-(2 ** 52));
    expect(r.info.timestamp_ns).toBe(0xffffffff);
    const type = AvroCodec.forStreamLens().type('io.streamlens.v1.EnrichedBatch');
    const ptpType = (type as unknown as { fields: { name: string; type: { itemsType: { fields: { name: string; type: { types: { isValid(v: unknown, o?: { errorHook(p: string[]): void }): boolean }[] } }[] } } }[] })
      .fields.find((f) => f.name === 'records')!.type.itemsType.fields.find((f) => f.name === 'ptp')!.type.types[1];
    const bad: string[] = [];
    ptpType.isValid(r.info, { errorHook: (path: string[]) => bad.push(path.join('.')) });
    expect(bad).toEqual([]);
  });
});
