/**
 * IEEE 1588 PTP dissector: PTPv2 (IEEE 1588-2008), v2.1 (1588-2019) and gPTP
 * (802.1AS) over Ethernet (ethertype 0x88F7) or UDP 319/320; PTPv1 is
 * recognised only. Byte-level reference: protocols.md §3; user docs:
 * docs/protocols/ptp.md.
 *
 * Entry point (used by classify.ts):
 *   dissectPtp(payload, transport, srcPort, dstPort) → PtpResult | null
 * - `payload` is the bytes after the ethertype (and VLAN tags) for 'ethernet',
 *   or the UDP payload for 'udp'. Bytes after messageLength (Ethernet padding,
 *   the IPv6 UDP-checksum trailer, a PRP trailer) are ignored.
 * - Over Ethernet the result is never null: a bad header still yields
 *   PTP-Unknown with an error (precedence rule 1: 0x88F7 never falls back).
 * - Over UDP the result is null when the payload is neither PTPv2 nor PTPv1,
 *   so the classifier can try other protocols.
 * - frame_type is PTP-<MessageType> whenever a v2 header of 34 bytes is
 *   present with a defined messageType; body, TLV, timestamp and length
 *   problems ride along as errors. Otherwise PTP-Unknown (v1 included).
 * - Never throws: every read is bounds-checked first.
 */
import type { PtpInfo } from '@streamlens/common';
import { readPtpBody } from './bodies.js';
import { PTP_ERRORS, PTP_WARNINGS } from './error-codes.js';
import { PTP_HEADER_LENGTH, emptyPtpInfo, ptpVersionOf, readPartialPtpHeader, readPtpHeader } from './header.js';
import {
  PTP_FIXED_LENGTH, PTP_FRAME_TYPES, PTP_LEGACY_CONTROL, PTP_UNKNOWN_FRAME_TYPE, isPtpEventMessage,
} from './names.js';
import { walkPtpTlvs } from './tlv.js';
import { readPtpV1 } from './v1.js';

export { PTP_ERRORS, PTP_WARNINGS } from './error-codes.js';
export { PTP_FRAME_TYPES, PTP_MESSAGE_NAMES, PTP_UNKNOWN_FRAME_TYPE, ptpTlvTypeName } from './names.js';
export { MAX_LISTED_TLVS } from './tlv.js';

export type PtpTransport = 'ethernet' | 'udp';

export interface PtpResult {
  info: PtpInfo;
  /** PTP-Sync … PTP-Management, or PTP-Unknown. */
  frameType: string;
  /** Error and warning codes (PTP_ERRORS, PTP_WARNINGS); empty when clean. */
  errors: string[];
}

export const PTP_EVENT_PORT = 319;
export const PTP_GENERAL_PORT = 320;

/** Whether either port is a PTP port, the UDP precondition for trying dissectPtp. */
export function isPtpPort(srcPort: number, dstPort: number): boolean {
  return srcPort === PTP_EVENT_PORT || srcPort === PTP_GENERAL_PORT
    || dstPort === PTP_EVENT_PORT || dstPort === PTP_GENERAL_PORT;
}

/** Ethernet 0x88F7 payload or UDP 319/320 payload. null only when a UDP payload is not PTP at all (never throws). */
export function dissectPtp(payload: Buffer, transport: PtpTransport, srcPort: number, dstPort: number): PtpResult | null {
  const version = ptpVersionOf(payload);
  if (transport === 'udp' && version === 0) return null;
  const info = emptyPtpInfo();
  const errors: string[] = [];

  if (version === 1 && transport === 'udp') {
    readPtpV1(payload, info, errors);
    return { info, frameType: PTP_UNKNOWN_FRAME_TYPE, errors };
  }
  if (payload.length < PTP_HEADER_LENGTH) {
    readPartialPtpHeader(payload, info);
    errors.push(version === 2 ? PTP_ERRORS.truncated : PTP_ERRORS.badVersion);
    return { info, frameType: PTP_UNKNOWN_FRAME_TYPE, errors };
  }
  readPtpHeader(payload, info, errors);
  if (version !== 2) {
    // Only reachable over Ethernet, where v2 is the only version (v1 never had an L2 mapping).
    errors.push(PTP_ERRORS.badVersion);
    return { info, frameType: PTP_UNKNOWN_FRAME_TYPE, errors };
  }

  const type = info.message_type;
  const fixed = PTP_FIXED_LENGTH[type];
  if (fixed === 0) {
    errors.push(PTP_ERRORS.unknownType);
    return { info, frameType: PTP_UNKNOWN_FRAME_TYPE, errors };
  }

  const messageLength = info.message_length;
  if (messageLength < PTP_HEADER_LENGTH) {
    errors.push(PTP_ERRORS.lengthTooSmall);
  } else {
    const complete = messageLength <= payload.length;
    if (!complete) errors.push(PTP_ERRORS.lengthTooLarge);
    const end = complete ? messageLength : payload.length;
    if (end < fixed) {
      if (complete) errors.push(PTP_ERRORS.shortBody);
    } else {
      readPtpBody(payload, type, transport === 'ethernet' && (info.major_sdo_id & 1) === 1, info, errors);
      walkPtpTlvs(payload, fixed, end, complete, info, errors);
    }
  }
  checkConventions(info, transport, srcPort, dstPort, errors);
  return { info, frameType: PTP_FRAME_TYPES[type], errors };
}

/** The warnings of protocols.md §3.10 item 7. */
function checkConventions(info: PtpInfo, transport: PtpTransport, srcPort: number, dstPort: number, errors: string[]): void {
  const type = info.message_type;
  if (transport === 'udp') {
    // Only the two standard ports have a class; a configured extra PTP port carries both kinds.
    const onEvent = srcPort === PTP_EVENT_PORT || dstPort === PTP_EVENT_PORT;
    const onGeneral = srcPort === PTP_GENERAL_PORT || dstPort === PTP_GENERAL_PORT;
    if (isPtpEventMessage(type) ? onGeneral && !onEvent : onEvent && !onGeneral) errors.push(PTP_WARNINGS.portClassMismatch);
  }
  // controlField is deprecated in v2.1 (the 2019 sample sends 0 for everything), so only 2008 messages are checked.
  if (info.minor_version === 0 && info.control !== PTP_LEGACY_CONTROL[type]) errors.push(PTP_WARNINGS.controlMismatch);
  const lmi = info.log_message_interval;
  if ((lmi < -7 || lmi > 7) && lmi !== 127) errors.push(PTP_WARNINGS.logIntervalOutOfRange);
}
