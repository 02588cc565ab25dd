import { describe, expect, it } from 'vitest';
import { AvroCodec, RecordRouter, SCHEMA_NAMES, type PacketBatch, type PacketRecord } from '@streamlens/common';
import { samplePacketRecord } from '@streamlens/common/testing';
import { Batcher, type BatcherOptions, type SealedBatch } from './batcher.js';
import type { SealTrigger } from './agent-metrics.js';

const codec = AvroCodec.forStreamLens();

function record(i: number): PacketRecord {
  const r = samplePacketRecord(i);
  r.src_ip = Buffer.from([10, 0, i & 0xff, (i >> 8) & 0xff]);
  r.payload = Buffer.alloc(i % 50, i & 0xff);
  return r;
}

function make(over: Partial<BatcherOptions> = {}) {
  const sealed: { batch: SealedBatch; trigger: SealTrigger }[] = [];
  let seq = 0;
  const b = new Batcher(codec, {
    agentId: 'edge-1', agentRun: 'run-x', interfaceName: 'eth1', linkType: 1, sampleRate: 4,
    maxRecords: 1000, maxBytes: 1 << 20, lingerMs: 100, partitionCount: 4,
    nextBatchSeq: () => seq++, onSealed: (batch, trigger) => sealed.push({ batch, trigger }), ...over,
  });
  return { b, sealed };
}

const decode = (s: SealedBatch) => codec.decode<PacketBatch>(s.value, SCHEMA_NAMES.packetBatch).value;

describe('Batcher', () => {
  it('encodes records into per-partition PacketBatch messages that decode to exactly what was added', () => {
    const { b, sealed } = make();
    const router = new RecordRouter('edge-1', 'eth1');
    const added: { rec: PacketRecord; sec: number; nsec: number }[] = [];
    for (let i = 0; i < 200; i++) {
      const rec = record(i);
      const sec = 1_700_000_000 + Math.floor(i / 7);
      const nsec = (i * 123_456_789) % 1_000_000_000;
      added.push({ rec: { ...rec, payload: Buffer.from(rec.payload) }, sec, nsec });
      b.add(rec, sec, nsec, 0);
      rec.payload.fill(0xee); // the batcher must have copied it
    }
    expect(sealed).toHaveLength(0);
    b.flush();
    expect(sealed.every((s) => s.trigger === 'flush')).toBe(true);
    const seen: string[] = [];
    for (const { batch } of sealed) {
      const v = decode(batch);
      expect(v).toMatchObject({ agent_id: 'edge-1', interface: 'eth1', link_type: 1, agent_run: 'run-x', sample_rate: 4 });
      expect(batch.key.toString()).toBe('edge-1/eth1');
      expect(batch.partitionCount).toBe(4);
      expect(batch.records).toBe(v.records.length);
      for (const r of v.records) {
        expect(router.partitionOf(r, 4)).toBe(batch.partition);
        const a = added[r.frame_no - 1];
        const ns = v.base_ts_ns + BigInt(r.ts_offset_ns);
        expect(ns).toBe(BigInt(a.sec) * 1_000_000_000n + BigInt(a.nsec));
        expect({ ...r, ts_offset_ns: 0 }).toEqual({ ...a.rec, ts_offset_ns: 0 });
        seen.push(String(r.frame_no));
      }
    }
    expect(seen.sort()).toEqual(added.map((_, i) => String(i + 1)).sort());
    expect(sealed.map((s) => decode(s.batch).batch_seq).sort((x, y) => x - y)).toEqual(sealed.map((_, i) => i));
  });

  it('closes a batch at maxRecords, once its records reach maxBytes, after the linger time, and when times are too far apart', () => {
    const one = make({ partitionCount: 1, maxRecords: 10 });
    for (let i = 0; i < 25; i++) one.b.add(record(i), 1, i, 0);
    expect(one.sealed.map((s) => [s.batch.records, s.trigger])).toEqual([[10, 'records'], [10, 'records']]);

    const bytes = make({ partitionCount: 1, maxBytes: 4096 });
    for (let i = 0; i < 100; i++) bytes.b.add(record(i), 1, i, 0);
    bytes.b.flush();
    expect(bytes.sealed.length).toBeGreaterThan(2);
    const biggestRecord = 600;
    for (const s of bytes.sealed.slice(0, -1)) {
      expect(s.trigger).toBe('bytes');
      // At or past the limit by at most one record.
      expect(s.batch.value.length).toBeGreaterThanOrEqual(4096 - 200);
      expect(s.batch.value.length).toBeLessThanOrEqual(4096 + biggestRecord);
    }
    expect(bytes.sealed.reduce((n, s) => n + s.batch.records, 0)).toBe(100);
    // Each batch's first record is its base time.
    for (const s of bytes.sealed) {
      const v = decode(s.batch);
      expect(v.records[0].ts_offset_ns).toBe(0);
      expect(v.base_ts_ns).toBe(1_000_000_000n + BigInt(v.records[0].frame_no - 1));
    }

    const linger = make({ partitionCount: 1, lingerMs: 50 });
    linger.b.add(record(0), 1, 0, 1000);
    linger.b.sweep(1049);
    expect(linger.sealed).toHaveLength(0);
    linger.b.sweep(1050);
    expect(linger.sealed.map((s) => s.trigger)).toEqual(['linger']);

    const span = make({ partitionCount: 1 });
    span.b.add(record(0), 1_000_000_000, 0, 0);
    span.b.add(record(1), 1_000_000_000 + 200 * 86400, 0, 0); // 200 days later: offset beyond 2^53 ns
    span.b.add(record(2), 1_000_000_000 + 200 * 86400 - 1, 999_999_999, 0); // 1 ns before its base: a negative offset is fine
    span.b.flush();
    expect(span.sealed.map((s) => [s.batch.records, s.trigger])).toEqual([[1, 'span'], [2, 'flush']]);
    expect(decode(span.sealed[1].batch).records[1].ts_offset_ns).toBe(-1);
  });

  it('keeps a record larger than maxBytes whole, closing its batch at once', () => {
    const { b, sealed } = make({ partitionCount: 1, maxBytes: 4096 });
    const big = record(0);
    big.payload = Buffer.alloc(9000, 7);
    b.add(big, 1, 0, 0);
    b.add(record(1), 1, 1, 0);
    b.flush();
    expect(sealed.map((s) => [s.batch.records, s.trigger])).toEqual([[1, 'bytes'], [1, 'flush']]);
    expect(decode(sealed[0].batch).records[0].payload).toEqual(big.payload);
  });

  it('rejects a record that does not match the schema and stays usable', () => {
    const { b, sealed } = make({ partitionCount: 1 });
    b.add(record(0), 1, 0, 0);
    const bad = record(1) as unknown as Record<string, unknown>;
    bad.ip_ttl = 'sixty-four'; // a string where the schema has an int
    expect(() => b.add(bad as unknown as PacketRecord, 1, 1, 0)).toThrow();
    b.add(record(2), 1, 2, 0);
    b.flush();
    expect(decode(sealed[0].batch).records.map((r) => r.frame_no)).toEqual([1, 3]);
  });

  it('re-routes by a new partition count after closing what was routed by the old one', () => {
    const { b, sealed } = make({ partitionCount: 2 });
    for (let i = 0; i < 20; i++) b.add(record(i), 1, i, 0);
    b.setPartitionCount(5);
    expect(sealed.every((s) => s.batch.partitionCount === 2)).toBe(true);
    const before = sealed.length;
    for (let i = 20; i < 40; i++) b.add(record(i), 1, i, 0);
    b.flush();
    expect(sealed.slice(before).every((s) => s.batch.partitionCount === 5)).toBe(true);
    expect(new Set(sealed.slice(before).map((s) => s.batch.partition)).size).toBeGreaterThan(2);
  });
});
