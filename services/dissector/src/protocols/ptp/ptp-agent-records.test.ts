/**
 * The contract with the capture agent: every public PTP capture read and
 * decoded by the agent's own reader and decoder, then dissected from the
 * record's payload and ports exactly as classify.ts does, gives the same
 * result as the test oracles' independent path (which tshark checks).
 */
import { describe, expect, it } from 'vitest';
import { agentRecords } from '../../../test-oracles/agent-records.js';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { dissectPtp, type PtpResult } from './index.js';

/** The oracle path: the test reader's own frame split (checked against tshark in ptp-captures.test.ts). */
function dissectCapture(path: string): (PtpResult | null)[] {
  return readCaptureFrames(path).map((f) => {
    const p = framePayload(f.data);
    if (p.kind === 'ethernet-ptp') return dissectPtp(p.payload, 'ethernet', 0, 0);
    return p.kind === 'udp' ? dissectPtp(p.payload, 'udp', p.srcPort, p.dstPort) : null;
  });
}

const FILES = ['ptp/tcpdump_ptp.pcap', 'ptp/tcpdump_ptp_corrections.pcap', 'ptp/tcpdump_ptp_ethernet.pcap',
  'ptp/tcpdump_ptp_management.pcap', 'ptp/tcpdump_ptp_v2_1.pcap', 'ptp/scapy-gptp_ptp_example.pcapng'];

describe('PTP from the capture agent records', () => {
  for (const file of FILES) {
    const path = publicCapture(file);
    (path ? it : it.skip)(`${file}: agent payload → dissectPtp equals the oracle path`, async () => {
      const records = await agentRecords(path!);
      const viaAgent = records.map((rec) => {
        if (rec.ethertype === 0x88f7) return dissectPtp(rec.payload, 'ethernet', 0, 0);
        if (rec.ip_proto === 17) return dissectPtp(rec.payload, 'udp', rec.src_port, rec.dst_port);
        return null;
      });
      expect(records.every((r) => r.decode_error === null)).toBe(true);
      expect(viaAgent).toEqual(dissectCapture(path!));
    });
  }
});
