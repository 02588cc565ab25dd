/** Crafted frames → PacketRecords through the capture agent's decoder, and a batch around them. */
import { decodeFrame } from '@streamlens/capture-agent';
import { emptyPacketRecord, type PacketBatch, type PacketRecord } from '@streamlens/common';

export function recordOf(frame: Buffer, linkType = 1, frameNo = 1): PacketRecord {
  const r = emptyPacketRecord();
  decodeFrame(linkType, frame, frame.length, r);
  r.frame_no = frameNo;
  return r;
}

export function batchOf(records: PacketRecord[], linkType = 1): PacketBatch {
  return {
    agent_id: 'test-agent', interface: 'eth9', link_type: linkType, agent_run: 'run-7', batch_seq: 42,
    base_ts_ns: 1_732_000_000_000_000_000n, sample_rate: 1,
    records: records.map((r, i) => ({ ...r, frame_no: i + 1, ts_offset_ns: i * 1000 })),
  };
}
