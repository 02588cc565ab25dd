/**
 * PacketBatch messages built from a capture file with the agent's own reader
 * and decoder, for tests that need realistic input on a topic without running
 * an agent.
 */
import { CAPTURES_DIR } from '@streamlens/common/testing';
import { CaptureFileError, CaptureFileReader, decodeFrame } from '@streamlens/capture-agent';
import { emptyPacketRecord, type PacketBatch, type PacketRecord } from '@streamlens/common';

export interface CaptureBatchOptions {
  agentId?: string;
  iface?: string;
  agentRun?: string;
  batchSize?: number;
  /** Sequence number of the first batch. */
  firstSeq?: number;
}

/** The public captures (test/fixtures/captures). */
export const SHARED_CAPTURES = CAPTURES_DIR.replace(/\/$/, '');

/** Decode every frame of `path` (a truncated tail is tolerated: complete frames are kept). */
export async function readCaptureRecords(path: string): Promise<{ linkType: number; frames: { tsNs: bigint; rec: PacketRecord }[] }> {
  const reader = await CaptureFileReader.open(path);
  const frames: { tsNs: bigint; rec: PacketRecord }[] = [];
  let linkType = 1;
  try {
    try {
      do {
        for (let f = reader.next(); f !== null; f = reader.next()) {
          const rec = emptyPacketRecord();
          decodeFrame(f.linkType, Buffer.from(f.data), f.wireLen, rec);
          rec.frame_no = f.frameNo;
          linkType = f.linkType;
          frames.push({ tsNs: BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNs), rec });
        }
      } while (await reader.fill());
    } catch (err) {
      if (!(err instanceof CaptureFileError && err.code === 'truncated')) throw err;
    }
  } finally {
    await reader.close();
  }
  return { linkType, frames };
}

/** The capture's records cut into PacketBatches of `batchSize`, in capture order. */
export async function batchesFromCapture(path: string, o: CaptureBatchOptions = {}): Promise<PacketBatch[]> {
  const { linkType, frames } = await readCaptureRecords(path);
  const size = o.batchSize ?? 50;
  const out: PacketBatch[] = [];
  for (let i = 0; i < frames.length; i += size) {
    const slice = frames.slice(i, i + size);
    const base = slice[0].tsNs;
    out.push({
      agent_id: o.agentId ?? 'test-agent',
      interface: o.iface ?? 'eth0',
      link_type: linkType,
      agent_run: o.agentRun ?? 'test-run',
      batch_seq: (o.firstSeq ?? 0) + out.length,
      base_ts_ns: base,
      sample_rate: 1,
      records: slice.map(({ tsNs, rec }) => ({ ...rec, ts_offset_ns: Number(tsNs - base) })),
    });
  }
  return out;
}
