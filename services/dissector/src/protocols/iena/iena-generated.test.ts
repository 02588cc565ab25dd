/**
 * The IENA dissector against the independent generator
 * (test-oracles/iena_generator.py, written from protocols.md §4 and sharing
 * no code with it): every type with key-status bits set and unset, odd M/Q
 * datasets with pad, sequence wraps, ambiguity, faults, and payloads that are
 * not IENA. Every decoded field must equal the generator's expectation.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { framePayload, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { IenaSequenceTracker, dissectIena, parseIenaKeyTypes, type IenaConfig, type IenaResult } from './index.js';

interface ExpectedParam { param_id: number; delay: number | null; length: number | null; data: string }
interface Expected {
  frame_type: string; key: number; size_words: number; time_us: number; key_status: number; n2_status: number;
  sequence: number; type: string; type_source: string; type_candidates: string[]; trailer: number; param_count: number;
  params: ExpectedParam[]; errors: string[];
}
interface Generated { seed: number; key_types: Record<string, string>; frames: { frame: number; dst_port: number; expect: Expected | null }[] }

const GENERATOR = join(dirname(fileURLToPath(import.meta.url)), '../../../test-oracles/iena_generator.py');
const dir = mkdtempSync(join(tmpdir(), 'iena-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function generate(seed: number): { doc: Generated; payloads: ReturnType<typeof framePayload>[] } {
  const out = join(dir, String(seed));
  execFileSync('python3', [GENERATOR, '--out', out, '--seed', String(seed)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const doc = JSON.parse(readFileSync(join(out, 'iena_generated.json'), 'utf8')) as Generated;
  const payloads = readCaptureFrames(join(out, 'iena_generated.pcap')).map((f) => framePayload(f.data));
  return { doc, payloads };
}

/** Our result in the generator's vocabulary. */
function asExpected(r: IenaResult): Expected {
  const i = r.info;
  return {
    frame_type: r.frameType, key: i.key, size_words: i.size_words, time_us: i.time_us, key_status: i.key_status,
    n2_status: i.n2_status, sequence: i.sequence, type: i.type, type_source: i.type_source, type_candidates: i.type_candidates,
    trailer: i.trailer, param_count: i.param_count,
    params: i.params.map((p) => ({ param_id: p.param_id, delay: p.delay, length: p.length, data: p.data.toString('hex') })),
    errors: [...r.errors].sort(),
  };
}

describe.each([1106, 7, 424242])('generated IENA packets (seed %i)', (seed) => {
  const { doc, payloads } = generate(seed);
  const config: IenaConfig = { keyTypes: parseIenaKeyTypes(doc.key_types), ports: new Set() };

  it('covers every type, every type source, and the negative cases', () => {
    const exp = doc.frames.map((f) => f.expect);
    const types = new Set(exp.filter((e) => e).map((e) => e!.frame_type));
    expect([...types].sort()).toEqual(['IENA-D', 'IENA-M', 'IENA-N', 'IENA-P', 'IENA-Q', 'IENA-Unknown']);
    const sources = new Set(exp.filter((e) => e).map((e) => e!.type_source));
    expect([...sources].sort()).toEqual(['config', 'heuristic', 'heuristic-ambiguous', 'key_status']);
    expect(exp.filter((e) => e === null).length).toBeGreaterThan(0);
    expect(payloads).toHaveLength(doc.frames.length);
  });

  it('every frame decodes exactly as the generator says, detected on any port without pinning', () => {
    const mismatches: string[] = [];
    doc.frames.forEach((f, i) => {
      const p = payloads[i];
      const r = dissectIena(p.payload, p.dstPort, p.srcPort, config);
      const got = r ? asExpected(r) : null;
      if (JSON.stringify(got) !== JSON.stringify(f.expect)) {
        mismatches.push(`frame ${f.frame} (port ${f.dst_port}): expected ${JSON.stringify(f.expect)}\n  got ${JSON.stringify(got)}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('pinning the port gives the same decode for IENA frames', () => {
    doc.frames.forEach((f, i) => {
      if (!f.expect) return;
      const p = payloads[i];
      const r = dissectIena(p.payload, p.dstPort, p.srcPort, { ...config, ports: new Set([p.dstPort]) });
      expect(asExpected(r!)).toEqual(f.expect);
    });
  });

  it('without the key → type map every IENA frame is still detected (type then from bits or heuristic)', () => {
    const none: IenaConfig = { keyTypes: new Map(), ports: new Set() };
    doc.frames.forEach((f, i) => {
      const p = payloads[i];
      const r = dissectIena(p.payload, p.dstPort, p.srcPort, none);
      expect(r === null).toBe(f.expect === null);
      if (r && f.expect && f.expect.type_source !== 'config') expect(asExpected(r)).toEqual(f.expect);
    });
  });
});

describe('sequence tracker (the weak "+1" signal)', () => {
  it('sees the wrap 65534 → 65535 → 0 → 1 of the generated stream as increments', () => {
    const { doc, payloads } = generate(1106);
    const tracker = new IenaSequenceTracker(16);
    const ups: boolean[] = [];
    doc.frames.forEach((f, i) => {
      if (f.expect?.key !== 0x5eee) return;
      ups.push(tracker.observe(0, f.expect.key, payloads[i].payload.readUInt16BE(12)));
    });
    expect(ups).toEqual([false, true, true, true]);
  });
});
