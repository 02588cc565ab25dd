/** What the agent should publish for a capture file: every frame decoded on its own, with its capture time. */
import { emptyPacketRecord, type PacketBatch, type PacketRecord } from '@streamlens/common';
import { decodeFrame, DEFAULT_PAYLOAD_CAP } from '../src/decode/index.js';
import { CaptureFileReader } from '../src/sources/capture-file.js';

export interface ExpectedFrame {
  tsNs: bigint;
  interfaceIndex: number;
  record: PacketRecord;
}

function copyRecord(r: PacketRecord): PacketRecord {
  const c = structuredClone({ ...r, src_ip: null, dst_ip: null, ip_options: null, payload: null, arp: null, igmp: null }) as unknown as PacketRecord;
  c.src_ip = Buffer.from(r.src_ip);
  c.dst_ip = Buffer.from(r.dst_ip);
  c.ip_options = Buffer.from(r.ip_options);
  c.payload = Buffer.from(r.payload);
  c.arp = r.arp && { ...r.arp, sender_ip: Buffer.from(r.arp.sender_ip), target_ip: Buffer.from(r.arp.target_ip) };
  c.igmp = r.igmp && { ...r.igmp, group: Buffer.from(r.igmp.group) };
  return c;
}

/** Every frame of `file` by frame number (1-based index). */
export async function expectedFrames(file: string, payloadCap = DEFAULT_PAYLOAD_CAP): Promise<ExpectedFrame[]> {
  const out: ExpectedFrame[] = [];
  const reader = await CaptureFileReader.open(file);
  try {
    const rec = emptyPacketRecord();
    for await (const f of reader.frames()) {
      decodeFrame(f.linkType, f.data, f.wireLen, rec, payloadCap);
      rec.frame_no = f.frameNo;
      rec.ts_offset_ns = 0;
      out[f.frameNo - 1] = { tsNs: BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNs), interfaceIndex: f.interfaceIndex, record: copyRecord(rec) };
    }
  } finally {
    await reader.close();
  }
  return out;
}

/** Each published record with its absolute time, keyed by frame number; repeats are collected, not merged. */
export function publishedRecords(batches: PacketBatch[]): { byFrame: Map<number, { tsNs: bigint; record: PacketRecord; batch: PacketBatch }[]>; total: number } {
  const byFrame = new Map<number, { tsNs: bigint; record: PacketRecord; batch: PacketBatch }[]>();
  let total = 0;
  for (const b of batches) {
    for (const r of b.records) {
      total++;
      const tsNs = b.base_ts_ns + BigInt(r.ts_offset_ns);
      const list = byFrame.get(r.frame_no) ?? [];
      list.push({ tsNs, record: { ...r, ts_offset_ns: 0 }, batch: b });
      byFrame.set(r.frame_no, list);
    }
  }
  return { byFrame, total };
}
