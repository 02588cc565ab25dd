/**
 * The contract with the capture agent: the public IENA captures read and
 * decoded by the agent's own reader and decoder, dissected from the record's
 * UDP payload and ports, give the same results as the oracle path.
 */
import { describe, expect, it } from 'vitest';
import { agentRecords } from '../../../test-oracles/agent-records.js';
import { framePayload, publicCapture, readCaptureFrames } from '../../../test-oracles/capture-frames.js';
import { dissectIena, type IenaConfig } from './index.js';

const FILES = ['iena/acranetwork_iena_test.pcap', 'iena/acranetwork_ienad.pcap', 'iena/acranetwork_ienam_multiple.pcap',
  'iena/acranetwork_corrupt_ienad.pcap'];
const DEFAULTS: IenaConfig = { keyTypes: new Map(), ports: new Set() };

describe('IENA from the capture agent records', () => {
  it.each(FILES)('%s: agent payload → dissectIena equals the oracle path', async (file) => {
    const path = publicCapture(file)!;
    const records = await agentRecords(path);
    expect(records.every((r) => r.decode_error === null && r.ip_proto === 17)).toBe(true);
    const viaAgent = records.map((rec) => dissectIena(rec.payload, rec.dst_port, rec.src_port, DEFAULTS));
    const oracle = readCaptureFrames(path).map((f) => {
      const p = framePayload(f.data);
      return dissectIena(p.payload, p.dstPort, p.srcPort, DEFAULTS);
    });
    expect(viaAgent.every((r) => r !== null)).toBe(true);
    expect(viaAgent).toEqual(oracle);
  });
});
