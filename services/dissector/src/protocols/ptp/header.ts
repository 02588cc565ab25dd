/**
 * The 34-byte PTPv2 common header (protocols.md §3.2), big-endian, read
 * straight into a PtpInfo. Also the version test of §3.1 and the empty
 * PtpInfo every result starts from.
 */
import type { PtpInfo } from '@streamlens/common';
import { clockIdentityHex } from './clock-identity.js';
import { PTP_MESSAGE_NAMES } from './names.js';
import { PTP_ERRORS } from './error-codes.js';

/** Largest magnitude the Avro codecs carry exactly as a number (avsc's safe long range). */
const MAX_CORRECTION = 2 ** 52;

export const PTP_HEADER_LENGTH = 34;

/**
 * Which PTP version the bytes claim (Wireshark's test): 1 when the BE u16 at
 * offset 0 is 1, 2 when versionPTP (low nibble of byte 1) is 2, else 0.
 */
export function ptpVersionOf(buf: Buffer): 0 | 1 | 2 {
  if (buf.length < 2) return 0;
  if (buf[0] === 0 && buf[1] === 1) return 1;
  return (buf[1] & 0x0f) === 2 ? 2 : 0;
}

/** A PtpInfo with every field at its schema default; the readers fill what they find. */
export function emptyPtpInfo(): PtpInfo {
  return {
    version: 0, minor_version: 0, message_type: 0, message_type_name: 'Unknown', major_sdo_id: 0, minor_sdo_id: 0,
    message_length: 0, domain: 0, flags: 0, correction_scaled_ns: 0, message_type_specific: 0, source_clock_id: '',
    source_port: 0, sequence_id: 0, control: 0, log_message_interval: 0, timestamp_s: null, timestamp_ns: null,
    requesting_clock_id: null, requesting_port: null, target_clock_id: null, target_port: null, announce: null,
    management_action: null, management_id: null, management_error_id: null, tlvs: [],
  };
}

/** Fill the header fields from `buf` (length ≥ 34, checked by the caller). */
export function readPtpHeader(buf: Buffer, info: PtpInfo, errors: string[]): void {
  const b0 = buf[0];
  const b1 = buf[1];
  info.major_sdo_id = b0 >> 4;
  info.message_type = b0 & 0x0f;
  info.message_type_name = PTP_MESSAGE_NAMES[b0 & 0x0f];
  info.minor_version = b1 >> 4;
  info.version = b1 & 0x0f;
  info.message_length = buf.readUInt16BE(2);
  info.domain = buf[4];
  info.minor_sdo_id = buf[5];
  info.flags = buf.readUInt16BE(6);
  // Signed 64-bit ns x 2^16 without a BigInt: exact within the ±2^52 an Avro
  // long holds as a JavaScript number (68 s of correction); anything larger
  // is garbage, stored clamped and flagged.
  const correction = buf.readInt32BE(8) * 4294967296 + buf.readUInt32BE(12);
  if (Math.abs(correction) > MAX_CORRECTION) {
    info.correction_scaled_ns = correction < 0 ? -MAX_CORRECTION : MAX_CORRECTION;
    if ((b1 & 0x0f) === 2) errors.push(PTP_ERRORS.correctionOutOfRange); // other versions are reported as such
  } else {
    info.correction_scaled_ns = correction;
  }
  info.message_type_specific = buf.readUInt32BE(16);
  info.source_clock_id = clockIdentityHex(buf, 20);
  info.source_port = buf.readUInt16BE(28);
  info.sequence_id = buf.readUInt16BE(30);
  info.control = buf[32];
  info.log_message_interval = buf.readInt8(33);
}

/**
 * Fill what a header cut short still shows (first byte fields, length,
 * domain) so a truncated message keeps its type and version on the record.
 */
export function readPartialPtpHeader(buf: Buffer, info: PtpInfo): void {
  const n = buf.length;
  if (n >= 1) {
    info.major_sdo_id = buf[0] >> 4;
    info.message_type = buf[0] & 0x0f;
    info.message_type_name = PTP_MESSAGE_NAMES[buf[0] & 0x0f];
  }
  if (n >= 2) {
    info.minor_version = buf[1] >> 4;
    info.version = buf[1] & 0x0f;
  }
  if (n >= 4) info.message_length = buf.readUInt16BE(2);
  if (n >= 5) info.domain = buf[4];
  if (n >= 6) info.minor_sdo_id = buf[5];
  if (n >= 8) info.flags = buf.readUInt16BE(6);
}
