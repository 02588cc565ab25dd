/**
 * Crafted PTP messages for what no public capture has (Signaling with
 * unicast negotiation and gPTP interval-request TLVs, Management error
 * status, PATH_TRACE, one-step gPTP Sync, negative corrections, padding and
 * trailers, PTPv1), written to a pcap and checked field by field against
 * tshark, plus the values we decode that tshark does not show.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ethernetPtpFrame, framePayload, readCaptureFrames, udp6Frame, udpFrame, writePcap } from '../../../test-oracles/capture-frames.js';
import {
  announceBody, cancelValue, followUpInfoData, intervalRequestData, managementBody, orgValue, portIdentity, ptpMessage,
  ptpV1Message, timestamp, tlv, unicastValue,
} from '../../../test-oracles/ptp-builder.js';
import { PTP_TSHARK_FIELDS } from '../../../test-oracles/ptp-tshark-fields.js';
import { tsharkFields } from '../../../test-oracles/tshark.js';
import { dissectPtp, type PtpResult } from './index.js';

const GM = '7483efffff01ac16';
const SLAVE = 'a0369ffffe856e8a';

interface Crafted {
  name: string;
  frame: Buffer;
  frameType: string;
  errors?: string[];
  check?: (r: PtpResult) => void;
}

const CRAFTED: Crafted[] = [
  {
    name: 'Signaling: REQUEST/GRANT/CANCEL/ACK_CANCEL unicast transmission TLVs over UDP 320',
    frame: udpFrame(ptpMessage({ type: 0xc, flags: 0x0400, domain: 44, clock: SLAVE, seq: 7, control: 5 },
      portIdentity('ffffffffffffffff', 0xffff), [
        tlv(4, unicastValue(0xb, 1, 300)),
        tlv(5, unicastValue(0x0, -4, 60, true)),
        tlv(6, cancelValue(0x9)),
        tlv(7, cancelValue(0xb)),
      ]), 320, 320, [10, 0, 0, 1]),
    frameType: 'PTP-Signaling',
    check: (r) => {
      expect(r.info.tlvs.map((t) => t.type_name)).toEqual([
        'REQUEST_UNICAST_TRANSMISSION', 'GRANT_UNICAST_TRANSMISSION', 'CANCEL_UNICAST_TRANSMISSION',
        'ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION']);
      expect(r.info.tlvs[0]).toMatchObject({ unicast_message_type: 11, log_inter_message_period: 1, duration_s: 300, renewal_invited: null });
      expect(r.info.tlvs[1]).toMatchObject({ unicast_message_type: 0, log_inter_message_period: -4, duration_s: 60, renewal_invited: true });
      expect(r.info.tlvs[2]).toMatchObject({ unicast_message_type: 9, duration_s: null });
      expect(r.info.target_clock_id).toBe('ffffffffffffffff');
      expect(r.info.target_port).toBe(0xffff);
    },
  },
  {
    name: 'Signaling: gPTP message interval request TLV (00-80-C2 subtype 2) over L2',
    frame: ethernetPtpFrame(ptpMessage({ type: 0xc, sdo: 1, minor: 1, clock: GM, seq: 3, control: 5, logInterval: 127 },
      portIdentity('ffffffffffffffff', 0xffff), [
        tlv(3, orgValue(0x0080c2, 2, intervalRequestData(-128, -3, 127, 0x06))),
      ]), '0180c200000e'),
    frameType: 'PTP-Signaling',
    check: (r) => {
      expect(r.info.tlvs[0]).toMatchObject({
        type: 3, type_name: 'ORGANIZATION_EXTENSION', length: 12, organization_id: 0x0080c2, organization_subtype: 2,
        link_delay_interval: -128, time_sync_interval: -3, announce_interval: 127, interval_flags: 6,
      });
    },
  },
  {
    name: 'Signaling: unknown and PAD TLVs are listed by type',
    frame: udpFrame(ptpMessage({ type: 0xc, clock: SLAVE, seq: 8 }, portIdentity(GM, 1), [
      tlv(0x8008, Buffer.alloc(4)), tlv(0x7ffe, Buffer.from('abcd', 'hex')),
    ]), 320, 320),
    frameType: 'PTP-Signaling',
    check: (r) => {
      expect(r.info.tlvs.map((t) => [t.type_name, t.length, t.value.toString('hex')])).toEqual([
        ['PAD', 4, '00000000'], ['UNKNOWN_0x7ffe', 2, 'abcd']]);
    },
  },
  {
    name: 'Announce with PATH_TRACE over UDP 320, every dataset field non-default',
    frame: udpFrame(ptpMessage({ type: 0xb, clock: GM, seq: 65535, control: 5, logInterval: 1, flags: 0x003c },
      announceBody({ ts: timestamp(1_700_000_000, 999_999_999), utcOffset: 37, p1: 127, clockClass: 6, accuracy: 0x21,
        variance: 0x4e5d, p2: 128, gm: GM, steps: 2, timeSource: 0x20 }),
      [tlv(8, Buffer.from(`${GM}${SLAVE}`, 'hex'))]), 320, 320),
    frameType: 'PTP-Announce',
    check: (r) => {
      expect(r.info.announce).toEqual({ current_utc_offset: 37, gm_priority1: 127, gm_clock_class: 6, gm_clock_accuracy: 0x21,
        gm_offset_scaled_log_variance: 0x4e5d, gm_priority2: 128, gm_identity: GM, steps_removed: 2, time_source: 0x20 });
      expect(r.info.tlvs[0].path_sequence).toEqual([GM, SLAVE]);
      expect(r.info.timestamp_s).toBe(1_700_000_000);
    },
  },
  {
    name: 'Management RESPONSE with MANAGEMENT_ERROR_STATUS (NO_SUCH_ID for DEFAULT_DATA_SET)',
    frame: ethernetPtpFrame(ptpMessage({ type: 0xd, clock: GM, seq: 12, control: 4 },
      managementBody(portIdentity(SLAVE, 1), 2),
      [tlv(2, Buffer.from([0x00, 0x02, 0x20, 0x00, 0, 0, 0, 0]))])),
    frameType: 'PTP-Management',
    check: (r) => {
      expect(r.info).toMatchObject({ management_action: 2, management_error_id: 2, management_id: 0x2000 });
    },
  },
  {
    name: 'Management GET PRIORITY1 over UDP 320',
    frame: udpFrame(ptpMessage({ type: 0xd, clock: SLAVE, seq: 13, control: 4 },
      managementBody(portIdentity('ffffffffffffffff', 0xffff), 0), [tlv(1, Buffer.from([0x20, 0x05]))]), 320, 320),
    frameType: 'PTP-Management',
    check: (r) => expect(r.info).toMatchObject({ management_action: 0, management_id: 0x2005, management_error_id: null }),
  },
  {
    name: 'Sync v2.1 with a negative sub-ns correction, messageTypeSpecific, minorSdoId, domain 24',
    frame: udpFrame(ptpMessage({ type: 0, minor: 1, minorSdo: 3, domain: 24, correction: -98304n, messageTypeSpecific: 0xdeadbeef,
      clock: GM, seq: 1, control: 0, logInterval: -4 }, timestamp(281_474_976_710_655, 5)), 319, 319),
    frameType: 'PTP-Sync',
    check: (r) => expect(r.info).toMatchObject({ correction_scaled_ns: -98304, message_type_specific: 0xdeadbeef,
      minor_version: 1, minor_sdo_id: 3, timestamp_s: 281_474_976_710_655 }),
  },
  {
    name: 'Delay_Req with 2 trailing bytes after messageLength (IPv6 checksum fix-up style) is clean',
    frame: udpFrame(Buffer.concat([ptpMessage({ type: 1, clock: SLAVE, seq: 99, control: 1 }, timestamp(0, 0)),
      Buffer.from([0xab, 0xcd])]), 319, 319),
    frameType: 'PTP-Delay_Req',
    check: (r) => expect(r.info.message_length).toBe(44),
  },
  {
    name: 'Sync over UDP/IPv6 to ff0e::181 with the 2-byte checksum trailer of Annex E',
    frame: udp6Frame(Buffer.concat([ptpMessage({ type: 0, clock: GM, seq: 321, control: 0, logInterval: 0 },
      timestamp(1_700_000_002, 7)), Buffer.from([0x12, 0x34])]), 319, 319),
    frameType: 'PTP-Sync',
    check: (r) => expect(r.info).toMatchObject({ message_length: 44, sequence_id: 321, timestamp_ns: 7 }),
  },
  {
    name: 'Delay_Resp over L2 followed by a PRP trailer (…88FB) is clean',
    frame: ethernetPtpFrame(Buffer.concat([ptpMessage({ type: 9, clock: GM, seq: 99, control: 3, logInterval: 0 },
      Buffer.concat([timestamp(1_700_000_001, 42), portIdentity(SLAVE, 1)])), Buffer.from('000a0044 88fb'.replace(/ /g, ''), 'hex')])),
    frameType: 'PTP-Delay_Resp',
    check: (r) => expect(r.info).toMatchObject({ requesting_clock_id: SLAVE, requesting_port: 1, timestamp_ns: 42 }),
  },
  {
    name: 'one-step gPTP Sync carries its origin timestamp and the Follow_Up information TLV',
    frame: ethernetPtpFrame(ptpMessage({ type: 0, sdo: 1, clock: GM, seq: 500, control: 0, logInterval: -3, flags: 0x0008 },
      timestamp(1188290, 927222883), [tlv(3, orgValue(0x0080c2, 1, followUpInfoData(-1234, 7, 99)))]), '0180c200000e'),
    frameType: 'PTP-Sync',
    check: (r) => {
      expect(r.info.timestamp_s).toBe(1188290);
      expect(r.info.tlvs[0]).toMatchObject({ cumulative_scaled_rate_offset: -1234, gm_time_base_indicator: 7, scaled_last_gm_freq_change: 99 });
    },
  },
  {
    name: 'gPTP Follow_Up with a negative cumulativeScaledRateOffset',
    frame: ethernetPtpFrame(ptpMessage({ type: 8, sdo: 1, clock: GM, seq: 500, control: 2, logInterval: -3, flags: 0x0008 },
      timestamp(1188290, 927222883), [tlv(3, orgValue(0x0080c2, 1, followUpInfoData(-2147483648, 65535, 2147483647)))]), '0180c200000e'),
    frameType: 'PTP-Follow_Up',
  },
  {
    name: 'Pdelay_Resp_Follow_Up over L2 (PTP, not gPTP)',
    frame: ethernetPtpFrame(ptpMessage({ type: 0xa, clock: GM, seq: 77, control: 5 },
      Buffer.concat([timestamp(12, 999_999_999), portIdentity(SLAVE, 2)])), '0180c200000e'),
    frameType: 'PTP-Pdelay_Resp_Follow_Up',
  },
];

const dir = mkdtempSync(join(tmpdir(), 'ptp-crafted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dissectFrame(frame: Buffer): PtpResult | null {
  const p = framePayload(frame);
  return p.kind === 'ethernet-ptp' ? dissectPtp(p.payload, 'ethernet', 0, 0) : dissectPtp(p.payload, 'udp', p.srcPort, p.dstPort);
}

describe('crafted PTP messages against tshark', () => {
  const file = join(dir, 'crafted.pcap');
  writePcap(file, CRAFTED.map((c) => c.frame));
  const rows = tsharkFields(file, PTP_TSHARK_FIELDS.map(([f]) => f));
  const frames = readCaptureFrames(file);

  CRAFTED.forEach((c, i) => {
    it(c.name, () => {
      const r = dissectFrame(frames[i].data);
      expect(r).not.toBeNull();
      expect(r!.frameType).toBe(c.frameType);
      expect(r!.errors).toEqual(c.errors ?? []);
      const mismatches: string[] = [];
      PTP_TSHARK_FIELDS.forEach(([field, get], j) => {
        const want = rows[i][j + 1] ?? '';
        if (get(r!) !== want) mismatches.push(`${field}: tshark "${want}", ours "${get(r!)}"`);
      });
      expect(mismatches).toEqual([]);
      c.check?.(r!);
    });
  });
});

describe('PTPv1 (recognised only)', () => {
  it('v1 Sync over UDP 319 is PTP-Unknown with version 1 and its integrity fields, matching tshark', () => {
    const file = join(dir, 'v1.pcap');
    const msg = ptpV1Message(0, '0002a5123456', 1, 4242, Buffer.alloc(84));
    writePcap(file, [udpFrame(msg, 319, 319)]);
    const [row] = tsharkFields(file, ['ptp.versionptp', 'ptp.sequenceid', 'ptp.controlfield', 'ptp.sourceuuid', 'ptp.sourceportid', 'ptp.flags']);
    const r = dissectPtp(msg, 'udp', 319, 319)!;
    expect(r.frameType).toBe('PTP-Unknown');
    expect(r.errors).toEqual([]);
    expect(r.info.version).toBe(1);
    expect(r.info.message_type_name).toBe('v1-Sync');
    expect([String(r.info.version), String(r.info.sequence_id), String(r.info.control),
      r.info.source_clock_id.replace(/(..)(?!$)/g, '$1:'), String(r.info.source_port), `0x${r.info.flags.toString(16).padStart(4, '0')}`])
      .toEqual(row.slice(1));
  });

  it('v1 over Ethernet is bad_version (v1 never had an L2 mapping)', () => {
    const r = dissectPtp(ptpV1Message(0, '0002a5123456', 1, 1, Buffer.alloc(84)), 'ethernet', 0, 0)!;
    expect(r.frameType).toBe('PTP-Unknown');
    expect(r.errors).toEqual(['ptp.bad_version']);
  });
});
