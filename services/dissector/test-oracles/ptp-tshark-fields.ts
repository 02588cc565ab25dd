/**
 * Test support: the mapping from tshark's PTP fields (TShark 4.0) to what
 * dissectPtp produces, formatted the way `tshark -T fields` prints them.
 * A field that does not apply to a message must be absent in tshark too.
 */
import type { PtpTlv } from '@streamlens/common';
import type { PtpResult } from '../src/protocols/ptp/index.js';

const hex = (v: number, width: number): string => `0x${v.toString(16).padStart(width, '0')}`;
const clock = (id: string | null): string => (id === null ? '' : `0x${id}`);
const num = (v: number | null | undefined): string => (v === null || v === undefined ? '' : String(v));
const typeIn = (r: PtpResult, ...types: number[]): boolean => types.includes(r.info.message_type);

function tlvList(r: PtpResult, pick: (t: PtpTlv) => string, keep: (t: PtpTlv) => boolean = () => true): string {
  return r.info.tlvs.filter(keep).map(pick).join(';');
}

const isGptpOrg = (t: PtpTlv, subtype: number): boolean =>
  t.type === 3 && t.organization_id === 0x0080c2 && t.organization_subtype === subtype;

/** Signaling TLVs tshark shows under ptp.v2.sig.tlv.* (everything but the gPTP interval request). */
const sigTlv = (t: PtpTlv): boolean => !isGptpOrg(t, 2);

/** Wireshark decodes the Follow_Up information TLV on gPTP Follow_Up and on one-step gPTP Sync. */
const fuTlv = (r: PtpResult): boolean =>
  (r.info.major_sdo_id & 1) === 1 && (typeIn(r, 8) || (typeIn(r, 0) && (r.info.flags & 0x0200) === 0));

function ts(r: PtpResult, types: number[], part: 's' | 'ns'): string {
  if (!typeIn(r, ...types)) return '';
  return num(part === 's' ? r.info.timestamp_s : r.info.timestamp_ns);
}

export const PTP_TSHARK_FIELDS: ReadonlyArray<readonly [string, (r: PtpResult) => string]> = [
  ['ptp.v2.majorsdoid', (r) => hex(r.info.major_sdo_id, 2)],
  ['ptp.v2.messagetype', (r) => hex(r.info.message_type, 2)],
  ['ptp.v2.minorversionptp', (r) => num(r.info.minor_version)],
  ['ptp.v2.versionptp', (r) => num(r.info.version)],
  ['ptp.v2.messagelength', (r) => num(r.info.message_length)],
  ['ptp.v2.domainnumber', (r) => num(r.info.domain)],
  ['ptp.v2.minorsdoid', (r) => num(r.info.minor_sdo_id)],
  ['ptp.v2.flags', (r) => hex(r.info.flags, 4)],
  // tshark prints correction.ns (an FT_UINT64) as the unsigned two's complement of the signed value.
  ['ptp.v2.correction.ns', (r) => String(BigInt.asUintN(64, BigInt(Math.floor(r.info.correction_scaled_ns / 65536))))],
  ['ptp.v2.correction.subns', (r) => num((r.info.correction_scaled_ns % 65536 + 65536) % 65536 / 65536)],
  ['ptp.v2.messagetypespecific', (r) => num(r.info.message_type_specific)],
  ['ptp.v2.clockidentity', (r) => clock(r.info.source_clock_id)],
  ['ptp.v2.sourceportid', (r) => num(r.info.source_port)],
  ['ptp.v2.sequenceid', (r) => num(r.info.sequence_id)],
  ['ptp.v2.controlfield', (r) => num(r.info.control)],
  ['ptp.v2.logmessageperiod', (r) => num(r.info.log_message_interval)],
  // Bodies: each message type's timestamp under its own tshark name.
  ['ptp.v2.sdr.origintimestamp.seconds', (r) => ts(r, [0, 1], 's')],
  ['ptp.v2.sdr.origintimestamp.nanoseconds', (r) => ts(r, [0, 1], 'ns')],
  ['ptp.v2.pdrq.origintimestamp.seconds', (r) => ts(r, [2], 's')],
  ['ptp.v2.pdrq.origintimestamp.nanoseconds', (r) => ts(r, [2], 'ns')],
  ['ptp.v2.pdrs.requestreceipttimestamp.seconds', (r) => ts(r, [3], 's')],
  ['ptp.v2.pdrs.requestreceipttimestamp.nanoseconds', (r) => ts(r, [3], 'ns')],
  ['ptp.v2.pdrs.requestingportidentity', (r) => (typeIn(r, 3) ? clock(r.info.requesting_clock_id) : '')],
  ['ptp.v2.pdrs.requestingsourceportid', (r) => (typeIn(r, 3) ? num(r.info.requesting_port) : '')],
  ['ptp.v2.fu.preciseorigintimestamp.seconds', (r) => ts(r, [8], 's')],
  ['ptp.v2.fu.preciseorigintimestamp.nanoseconds', (r) => ts(r, [8], 'ns')],
  ['ptp.v2.dr.receivetimestamp.seconds', (r) => ts(r, [9], 's')],
  ['ptp.v2.dr.receivetimestamp.nanoseconds', (r) => ts(r, [9], 'ns')],
  ['ptp.v2.dr.requestingsourceportidentity', (r) => (typeIn(r, 9) ? clock(r.info.requesting_clock_id) : '')],
  ['ptp.v2.dr.requestingsourceportid', (r) => (typeIn(r, 9) ? num(r.info.requesting_port) : '')],
  ['ptp.v2.pdfu.responseorigintimestamp.seconds', (r) => ts(r, [10], 's')],
  ['ptp.v2.pdfu.responseorigintimestamp.nanoseconds', (r) => ts(r, [10], 'ns')],
  ['ptp.v2.pdfu.requestingportidentity', (r) => (typeIn(r, 10) ? clock(r.info.requesting_clock_id) : '')],
  ['ptp.v2.pdfu.requestingsourceportid', (r) => (typeIn(r, 10) ? num(r.info.requesting_port) : '')],
  ['ptp.v2.an.origintimestamp.seconds', (r) => ts(r, [11], 's')],
  ['ptp.v2.an.origintimestamp.nanoseconds', (r) => ts(r, [11], 'ns')],
  ['ptp.v2.an.origincurrentutcoffset', (r) => num(r.info.announce?.current_utc_offset)],
  ['ptp.v2.an.priority1', (r) => num(r.info.announce?.gm_priority1)],
  ['ptp.v2.an.grandmasterclockclass', (r) => num(r.info.announce?.gm_clock_class)],
  ['ptp.v2.an.grandmasterclockaccuracy', (r) => (r.info.announce ? hex(r.info.announce.gm_clock_accuracy, 2) : '')],
  ['ptp.v2.an.grandmasterclockvariance', (r) => num(r.info.announce?.gm_offset_scaled_log_variance)],
  ['ptp.v2.an.priority2', (r) => num(r.info.announce?.gm_priority2)],
  ['ptp.v2.an.grandmasterclockidentity', (r) => clock(r.info.announce?.gm_identity ?? null)],
  ['ptp.v2.an.localstepsremoved', (r) => num(r.info.announce?.steps_removed)],
  ['ptp.v2.timesource', (r) => (r.info.announce ? hex(r.info.announce.time_source, 2) : '')],
  ['ptp.v2.an.tlvType', (r) => (typeIn(r, 11) ? tlvList(r, (t) => num(t.type)) : '')],
  ['ptp.v2.an.lengthField', (r) => (typeIn(r, 11) ? tlvList(r, (t) => num(t.length)) : '')],
  ['ptp.v2.an.pathsequence', (r) => (typeIn(r, 11) ? tlvList(r, (t) => t.path_sequence.map((id) => clock(id)).join(';'), (t) => t.type === 8) : '')],
  // gPTP Follow_Up information TLV (Follow_Up, and one-step Sync). tshark declares cumulativeScaledRateOffset
  // FT_UINT32 although 802.1AS makes it Integer32, so it prints the unsigned reading of our signed value.
  ['ptp.as.fu.tlvType', (r) => (fuTlv(r) ? tlvList(r, (t) => num(t.type)) : '')],
  ['ptp.as.fu.lengthField', (r) => (fuTlv(r) ? tlvList(r, (t) => num(t.length)) : '')],
  ['ptp.as.fu.organizationId', (r) => (fuTlv(r) ? tlvList(r, (t) => num(t.organization_id)) : '')],
  ['ptp.as.fu.organizationSubType', (r) => (fuTlv(r) ? tlvList(r, (t) => num(t.organization_subtype)) : '')],
  ['ptp.as.fu.cumulativeScaledRateOffset', (r) => (fuTlv(r) ? tlvList(r, (t) => num((t.cumulative_scaled_rate_offset ?? 0) >>> 0)) : '')],
  ['ptp.as.fu.gmTimeBaseIndicator', (r) => (fuTlv(r) ? tlvList(r, (t) => num(t.gm_time_base_indicator)) : '')],
  ['ptp.as.fu.scaledLastGmFreqChange', (r) => (fuTlv(r) ? tlvList(r, (t) => num(t.scaled_last_gm_freq_change)) : '')],
  // Signaling.
  ['ptp.v2.sig.targetportidentity', (r) => (typeIn(r, 12) ? clock(r.info.target_clock_id) : '')],
  ['ptp.v2.sig.targetportid', (r) => (typeIn(r, 12) ? num(r.info.target_port) : '')],
  ['ptp.v2.sig.tlv.tlvType', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.type), sigTlv) : '')],
  ['ptp.v2.sig.tlv.lengthField', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.length), sigTlv) : '')],
  ['ptp.v2.sig.tlv.messageType', (r) => (typeIn(r, 12) ? tlvList(r, (t) => hex(t.unicast_message_type ?? 0, 2), (t) => t.unicast_message_type !== null) : '')],
  ['ptp.v2.sig.tlv.logInterMessagePeriod', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.log_inter_message_period), (t) => t.log_inter_message_period !== null) : '')],
  ['ptp.v2.sig.tlv.durationField', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.duration_s), (t) => t.duration_s !== null) : '')],
  ['ptp.v2.sig.tlv.renewalInvited', (r) => (typeIn(r, 12) ? tlvList(r, (t) => (t.renewal_invited ? '1' : '0'), (t) => t.renewal_invited !== null) : '')],
  ['ptp.as.sig.tlvType', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.type), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.lengthField', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.length), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.tlv.organizationId', (r) => (typeIn(r, 12) ? tlvList(r, (t) => hex(t.organization_id ?? 0, 6), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.tlv.organizationSubType', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.organization_subtype), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.tlv.linkdelayinterval', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.link_delay_interval), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.tlv.timesyncinterval', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.time_sync_interval), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.tlv.announceinterval', (r) => (typeIn(r, 12) ? tlvList(r, (t) => num(t.announce_interval), (t) => isGptpOrg(t, 2)) : '')],
  ['ptp.as.sig.tlv.flags', (r) => (typeIn(r, 12) ? tlvList(r, (t) => hex(t.interval_flags ?? 0, 2), (t) => isGptpOrg(t, 2)) : '')],
  // Management.
  ['ptp.v2.mm.targetportidentity', (r) => (typeIn(r, 13) ? clock(r.info.target_clock_id) : '')],
  ['ptp.v2.mm.targetportid', (r) => (typeIn(r, 13) ? num(r.info.target_port) : '')],
  ['ptp.v2.mm.action', (r) => num(r.info.management_action)],
  ['ptp.v2.mm.tlvType', (r) => (typeIn(r, 13) ? tlvList(r, (t) => num(t.type)) : '')],
  ['ptp.v2.mm.lengthField', (r) => (typeIn(r, 13) ? tlvList(r, (t) => num(t.length)) : '')],
  ['ptp.v2.mm.managementId', (r) => num(r.info.management_id)],
];
