/**
 * Fixed message bodies after the 34-byte header (protocols.md §3.4–§3.6):
 * the one timestamp each type carries, requestingPortIdentity of responses,
 * targetPortIdentity of Signaling/Management, the Announce dataset and the
 * Management action. TLVs after the fixed part are tlv.ts' job.
 */
import type { PtpInfo } from '@streamlens/common';
import { clockIdentityHex } from './clock-identity.js';
import { PTP_ERRORS } from './error-codes.js';

const NS_PER_S = 1_000_000_000;

/** Timestamp (u48 seconds + u32 ns) at `off` into timestamp_s/ns; flags ns ≥ 10^9. */
function readTimestamp(buf: Buffer, off: number, info: PtpInfo, errors: string[]): void {
  info.timestamp_s = buf.readUIntBE(off, 6);
  const ns = buf.readUInt32BE(off + 6);
  info.timestamp_ns = ns;
  if (ns >= NS_PER_S) errors.push(PTP_ERRORS.badTimestamp);
}

function readRequestingPort(buf: Buffer, off: number, info: PtpInfo): void {
  info.requesting_clock_id = clockIdentityHex(buf, off);
  info.requesting_port = buf.readUInt16BE(off + 8);
}

function readTargetPort(buf: Buffer, off: number, info: PtpInfo): void {
  info.target_clock_id = clockIdentityHex(buf, off);
  info.target_port = buf.readUInt16BE(off + 8);
}

const TWO_STEP = 0x0200;

/**
 * Read the fixed body of a defined message type. The caller has checked that
 * the buffer holds the type's whole fixed length (PTP_FIXED_LENGTH).
 *
 * `gptp` (802.1AS: majorSdoId bit 0 over Ethernet, as Wireshark decides it):
 * a two-step Sync, a Pdelay_Req and an Announce carry 10 reserved bytes where
 * PTP has a timestamp (802.1AS-2020 10.6.3, 11.4.3, 11.4.5), so their
 * timestamp stays null instead of reporting reserved bytes as time.
 */
export function readPtpBody(buf: Buffer, type: number, gptp: boolean, info: PtpInfo, errors: string[]): void {
  switch (type) {
    case 0x0: // Sync
      if (!(gptp && (info.flags & TWO_STEP) !== 0)) readTimestamp(buf, 34, info, errors);
      return;
    case 0x2: // Pdelay_Req (10 reserved bytes follow)
      if (!gptp) readTimestamp(buf, 34, info, errors);
      return;
    case 0x1: // Delay_Req
    case 0x8: // Follow_Up: preciseOriginTimestamp
      readTimestamp(buf, 34, info, errors);
      return;
    case 0x3: // Pdelay_Resp: requestReceiptTimestamp
    case 0x9: // Delay_Resp: receiveTimestamp
    case 0xa: // Pdelay_Resp_Follow_Up: responseOriginTimestamp
      readTimestamp(buf, 34, info, errors);
      readRequestingPort(buf, 44, info);
      return;
    case 0xb: // Announce
      if (!gptp) readTimestamp(buf, 34, info, errors);
      info.announce = {
        current_utc_offset: buf.readInt16BE(44),
        gm_priority1: buf[47],
        gm_clock_class: buf[48],
        gm_clock_accuracy: buf[49],
        gm_offset_scaled_log_variance: buf.readUInt16BE(50),
        gm_priority2: buf[52],
        gm_identity: clockIdentityHex(buf, 53),
        steps_removed: buf.readUInt16BE(61),
        time_source: buf[63],
      };
      return;
    case 0xc: // Signaling
      readTargetPort(buf, 34, info);
      return;
    case 0xd: // Management: startingBoundaryHops 44, boundaryHops 45, action 46, reserved 47
      readTargetPort(buf, 34, info);
      info.management_action = buf[46] & 0x0f;
      return;
    default:
      return;
  }
}
