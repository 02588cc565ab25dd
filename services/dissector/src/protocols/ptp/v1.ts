/**
 * PTPv1 (IEEE 1588-2002), recognised only (protocols.md §3.9): the integrity
 * fields of its 40-byte header so loss counting works, classified PTP-Unknown.
 * Layout (Wireshark packet-ptp.c): versionPTP u16 @0, versionNetwork u16 @2,
 * subdomain 16 B @4, messageType @20, sourceCommunicationTechnology @21,
 * sourceUuid 6 B @22, sourcePortId u16 @28, sequenceId u16 @30, control @32,
 * flags u16 @34.
 */
import type { PtpInfo } from '@streamlens/common';
import { hexBytes } from './clock-identity.js';
import { PTP_ERRORS } from './error-codes.js';
import { ptpV1Name } from './names.js';

export const PTP_V1_MIN_LENGTH = 36;

export function readPtpV1(buf: Buffer, info: PtpInfo, errors: string[]): void {
  info.version = 1;
  info.message_length = buf.length;
  info.log_message_interval = 127; // v1 has no logMessageInterval in the header
  if (buf.length < PTP_V1_MIN_LENGTH) {
    errors.push(PTP_ERRORS.truncated);
    return;
  }
  const control = buf[32];
  info.message_type = control;
  info.control = control;
  info.message_type_name = ptpV1Name(control);
  info.source_clock_id = hexBytes(buf, 22, 6);
  info.source_port = buf.readUInt16BE(28);
  info.sequence_id = buf.readUInt16BE(30);
  info.flags = buf.readUInt16BE(34);
}
