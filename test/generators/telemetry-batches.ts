/**
 * The generated capture as the aggregator receives it: each frame decoded by
 * the capture agent's decoder, dissected by the dissector (so the integrity
 * fields are the real ones), routed into partitions with the same
 * RecordRouter as the services and cut into batches in capture order.
 */
import { decodeFrame } from '@streamlens/capture-agent';
import { Dissector } from '@streamlens/dissector';
import { emptyPacketRecord, RecordRouter, type EnrichedBatch, type PacketBatch, type PacketRecord } from '@streamlens/common';

export interface RoutedEnrichedBatch {
  partition: number;
  batch: EnrichedBatch;
}

export function enrichedBatchesOf(frames: { tsNs: bigint; data: Buffer }[], o: { agentId: string; iface: string; partitions: number; batchRecords: number }): RoutedEnrichedBatch[] {
  const router = new RecordRouter(o.agentId, o.iface);
  const dissector = new Dissector();
  const open = new Map<number, { base: bigint; recs: PacketRecord[] }>();
  const out: RoutedEnrichedBatch[] = [];
  let seq = 0;
  const flush = (partition: number) => {
    const b = open.get(partition);
    if (!b || b.recs.length === 0) return;
    const batch: PacketBatch = {
      agent_id: o.agentId, interface: o.iface, link_type: 1, agent_run: 'generated', batch_seq: seq++, base_ts_ns: b.base, sample_rate: 1, records: b.recs,
    };
    out.push({ partition, batch: dissector.dissectBatch(batch) });
    open.delete(partition);
  };
  frames.forEach((f, i) => {
    const rec = emptyPacketRecord();
    decodeFrame(1, f.data, f.data.length, rec);
    rec.frame_no = i + 1;
    const partition = router.partitionOf(rec, o.partitions);
    let b = open.get(partition);
    if (!b) open.set(partition, (b = { base: f.tsNs, recs: [] }));
    rec.ts_offset_ns = Number(f.tsNs - b.base);
    b.recs.push(rec);
    if (b.recs.length >= o.batchRecords) flush(partition);
  });
  for (const p of [...open.keys()].sort((a, b) => a - b)) flush(p);
  return out;
}
