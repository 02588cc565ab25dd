/**
 * TLV walk after a message's fixed part (protocols.md §3.7): every TLV is
 * listed by type with its name, length and value bytes; organization
 * extensions get their id/subtype; unicast negotiation, gPTP Follow_Up
 * information, gPTP message-interval request, PATH_TRACE and the Management
 * TLVs get their fields decoded. The walk must end exactly at messageLength
 * with even lengthFields, else `ptp.bad_tlv`.
 */
import type { PtpInfo, PtpTlv } from '@streamlens/common';
import { clockIdentityHex } from './clock-identity.js';
import { PTP_ERRORS } from './error-codes.js';
import {
  ORG_IEEE_8021, TLV_ACK_CANCEL_UNICAST, TLV_CANCEL_UNICAST, TLV_GRANT_UNICAST, TLV_MANAGEMENT,
  TLV_MANAGEMENT_ERROR_STATUS, TLV_PATH_TRACE, TLV_REQUEST_UNICAST, isOrganizationExtension, ptpTlvTypeName,
} from './names.js';

/** TLVs listed per message; the walk still validates every one after the cap. */
export const MAX_LISTED_TLVS = 64;

const MANAGEMENT_MESSAGE = 0xd;

function newTlv(type: number, length: number, value: Buffer): PtpTlv {
  return {
    type, type_name: ptpTlvTypeName(type), length, organization_id: null, organization_subtype: null, value,
    unicast_message_type: null, log_inter_message_period: null, duration_s: null, renewal_invited: null,
    link_delay_interval: null, time_sync_interval: null, announce_interval: null, interval_flags: null,
    cumulative_scaled_rate_offset: null, gm_time_base_indicator: null, scaled_last_gm_freq_change: null,
    path_sequence: [],
  };
}

/**
 * Decode the fields of the TLV types we know. Returns false when the value is
 * shorter than the type needs (a malformed TLV); `complete` is false when the
 * message was cut short, in which case a short value is not the sender's fault.
 */
function decodeValue(tlv: PtpTlv, v: Buffer, messageType: number, info: PtpInfo, complete: boolean): boolean {
  const n = v.length;
  switch (tlv.type) {
    case TLV_REQUEST_UNICAST:
    case TLV_GRANT_UNICAST: {
      const need = tlv.type === TLV_GRANT_UNICAST ? 8 : 6;
      if (n < need) return !complete;
      tlv.unicast_message_type = v[0] >> 4;
      tlv.log_inter_message_period = v.readInt8(1);
      tlv.duration_s = v.readUInt32BE(2);
      if (tlv.type === TLV_GRANT_UNICAST) tlv.renewal_invited = (v[7] & 1) === 1;
      return true;
    }
    case TLV_CANCEL_UNICAST:
    case TLV_ACK_CANCEL_UNICAST:
      if (n < 2) return !complete;
      tlv.unicast_message_type = v[0] >> 4;
      return true;
    case TLV_PATH_TRACE: {
      const ids: string[] = [];
      for (let off = 0; off + 8 <= n; off += 8) ids.push(clockIdentityHex(v, off));
      tlv.path_sequence = ids;
      return n % 8 === 0 || !complete;
    }
    case TLV_MANAGEMENT:
      if (n < 2) return !complete;
      if (messageType === MANAGEMENT_MESSAGE && info.management_id === null) info.management_id = v.readUInt16BE(0);
      return true;
    case TLV_MANAGEMENT_ERROR_STATUS:
      if (n < 4) return !complete;
      if (messageType === MANAGEMENT_MESSAGE && info.management_id === null) {
        info.management_error_id = v.readUInt16BE(0);
        info.management_id = v.readUInt16BE(2);
      }
      return true;
    default:
      break;
  }
  if (!isOrganizationExtension(tlv.type)) return true;
  if (n < 6) return !complete;
  tlv.organization_id = v.readUIntBE(0, 3);
  tlv.organization_subtype = v.readUIntBE(3, 3);
  if (tlv.organization_id !== ORG_IEEE_8021) return true;
  if (tlv.organization_subtype === 1) {
    // 802.1AS Follow_Up information TLV: csro(4) gmTimeBaseIndicator(2) lastGmPhaseChange(12) scaledLastGmFreqChange(4).
    if (n < 28) return !complete;
    tlv.cumulative_scaled_rate_offset = v.readInt32BE(6);
    tlv.gm_time_base_indicator = v.readUInt16BE(10);
    tlv.scaled_last_gm_freq_change = v.readInt32BE(24);
  } else if (tlv.organization_subtype === 2) {
    // 802.1AS message interval request TLV: linkDelay, timeSync, announce intervals (int8), flags, 2 reserved.
    if (n < 10) return !complete;
    tlv.link_delay_interval = v.readInt8(6);
    tlv.time_sync_interval = v.readInt8(7);
    tlv.announce_interval = v.readInt8(8);
    tlv.interval_flags = v[9];
  }
  return true;
}

/**
 * Walk TLVs in `buf[start, end)`. `end` is min(messageLength, bytes present);
 * `complete` is false when messageLength runs past the bytes present, so the
 * walk stops quietly at the cut (the length error is already reported).
 */
export function walkPtpTlvs(
  buf: Buffer, start: number, end: number, complete: boolean, info: PtpInfo, errors: string[],
): void {
  let off = start;
  let bad = false;
  const tlvs = info.tlvs;
  while (end - off >= 4) {
    const type = buf.readUInt16BE(off);
    const length = buf.readUInt16BE(off + 2);
    const valueStart = off + 4;
    const valueEnd = valueStart + length;
    if ((length & 1) !== 0) bad = true;
    const fits = valueEnd <= end;
    if (!fits && complete) bad = true;
    if (tlvs.length < MAX_LISTED_TLVS) {
      const tlv = newTlv(type, length, buf.subarray(valueStart, fits ? valueEnd : end));
      if (!decodeValue(tlv, tlv.value, info.message_type, info, complete && fits)) bad = true;
      tlvs.push(tlv);
    }
    if (!fits) { off = end; break; }
    off = valueEnd;
  }
  if (off !== end && complete) bad = true; // 1–3 bytes left over: not a TLV
  if (bad) errors.push(PTP_ERRORS.badTlv);
}
