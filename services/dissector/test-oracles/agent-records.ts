/**
 * Test-only: the PacketRecords the capture agent's real reader and decoder
 * (services/capture-agent) produce for a capture, so dissector tests can
 * check the contract between the agent's `payload` (bytes after the
 * ethertype/VLAN tags for 0x88F7, the UDP data for UDP) and the dissectors.
 */
import { emptyPacketRecord, type PacketRecord } from '@streamlens/common';
import { CaptureFileReader, decodeFrame } from '@streamlens/capture-agent';

export async function agentRecords(path: string): Promise<PacketRecord[]> {
  const reader = await CaptureFileReader.open(path);
  const out: PacketRecord[] = [];
  try {
    for await (const f of reader.frames()) {
      const rec = emptyPacketRecord();
      rec.frame_no = f.frameNo;
      decodeFrame(f.linkType, f.data, f.wireLen, rec);
      out.push(rec);
    }
  } finally {
    await reader.close();
  }
  return out;
}
