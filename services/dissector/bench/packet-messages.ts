/**
 * The benchmark capture as the packets topic carries it: PacketBatch Avro
 * messages made with the capture agent's own reader and decoder, BATCH
 * records per message, handed out CHUNK messages at a time so memory stays
 * bounded however large the capture.
 */
import { CaptureFileReader, decodeFrame } from '@streamlens/capture-agent';
import { emptyPacketRecord, SCHEMA_NAMES, type AvroCodec, type PacketBatch, type PacketRecord } from '@streamlens/common';

export async function* packetMessageChunks(path: string, codec: AvroCodec, batchRecords: number, chunkMessages: number): AsyncGenerator<Buffer[]> {
  const reader = await CaptureFileReader.open(path);
  let base: bigint | null = null;
  let records: PacketRecord[] = [];
  let chunk: Buffer[] = [];
  let seq = 0;
  const flush = () => {
    const batch: PacketBatch = {
      agent_id: 'bench', interface: 'mix', link_type: 1, agent_run: 'bench-run', batch_seq: seq++,
      base_ts_ns: base ?? 0n, sample_rate: 1, records,
    };
    chunk.push(codec.encode(SCHEMA_NAMES.packetBatch, batch));
    records = [];
    base = null;
  };
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        const ts = BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNs);
        base ??= ts;
        const r = emptyPacketRecord();
        decodeFrame(f.linkType, f.data, f.wireLen, r);
        r.frame_no = f.frameNo;
        r.ts_offset_ns = Number(ts - base);
        records.push(r);
        if (records.length === batchRecords) {
          flush();
          if (chunk.length === chunkMessages) {
            yield chunk;
            chunk = [];
          }
        }
      }
    } while (await reader.fill());
    if (records.length) flush();
    if (chunk.length) yield chunk;
  } finally {
    await reader.close();
  }
}
