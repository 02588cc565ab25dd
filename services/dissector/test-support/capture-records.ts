/**
 * Capture file → PacketRecords for the dissector's tests, through the capture
 * agent's own reader and decoder (the path production records take), as one
 * PacketBatch per file (base time = the first frame, offsets after it).
 */
import { CaptureFileError, CaptureFileReader, decodeFrame } from '@streamlens/capture-agent';
import { emptyPacketRecord, type PacketBatch, type PacketRecord } from '@streamlens/common';

export interface CaptureRecords {
  batch: PacketBatch;
  records: PacketRecord[];
  /** The file ended inside a record (e.g. a capture cut at 1 MiB); frames before it are delivered. */
  truncated: boolean;
}

export async function readCaptureRecords(path: string): Promise<CaptureRecords> {
  const reader = await CaptureFileReader.open(path);
  const records: PacketRecord[] = [];
  let base: bigint | null = null;
  let linkType = -1;
  let truncated = false;
  try {
    for (;;) {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        if (linkType === -1) linkType = f.linkType;
        if (f.linkType !== linkType) throw new Error(`${path}: several link types; the test reader makes one batch per file`);
        const ts = BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNs);
        base ??= ts;
        const rec = emptyPacketRecord();
        decodeFrame(f.linkType, f.data, f.wireLen, rec);
        rec.frame_no = f.frameNo;
        rec.ts_offset_ns = Number(ts - base);
        records.push(rec);
      }
      if (!(await reader.fill())) break;
    }
  } catch (err) {
    if (!(err instanceof CaptureFileError && err.code === 'truncated')) throw err;
    truncated = true;
  } finally {
    await reader.close();
  }
  const batch: PacketBatch = {
    agent_id: 'test', interface: path, link_type: linkType === -1 ? 1 : linkType, agent_run: 'test-run', batch_seq: 0,
    base_ts_ns: base ?? 0n, sample_rate: 1, records,
  };
  return { batch, records, truncated };
}
