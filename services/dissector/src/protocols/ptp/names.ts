/**
 * PTP value tables: message types (names, frame types, fixed lengths, classes),
 * TLV type names and the PTPv1 control names. Indexed arrays so the hot path
 * does a bounds-free lookup and never builds a string for a known value.
 * Source: protocols.md §3.4, §3.7, §3.9.
 */

/** messageType nibble → name ('Unknown' for the reserved values 4–7, 0xE, 0xF). */
export const PTP_MESSAGE_NAMES: readonly string[] = [
  'Sync', 'Delay_Req', 'Pdelay_Req', 'Pdelay_Resp', 'Unknown', 'Unknown', 'Unknown', 'Unknown',
  'Follow_Up', 'Delay_Resp', 'Pdelay_Resp_Follow_Up', 'Announce', 'Signaling', 'Management', 'Unknown', 'Unknown',
];

/** messageType nibble → frame_type. */
export const PTP_FRAME_TYPES: readonly string[] = PTP_MESSAGE_NAMES.map((n) => `PTP-${n}`);

export const PTP_UNKNOWN_FRAME_TYPE = 'PTP-Unknown';

/** messageType nibble → length of the header plus fixed body; 0 for reserved types. */
export const PTP_FIXED_LENGTH: readonly number[] = [44, 44, 54, 54, 0, 0, 0, 0, 44, 54, 54, 64, 44, 48, 0, 0];

/** Event messages (timestamped, UDP port 319) are types 0–3; general ones (port 320) are 8–0xD. */
export function isPtpEventMessage(type: number): boolean {
  return type < 4;
}

/** Legacy controlField per messageType (IEEE 1588-2008 table 23); 5 = "all others". */
export const PTP_LEGACY_CONTROL: readonly number[] = [0, 1, 5, 5, -1, -1, -1, -1, 2, 3, 5, 5, 5, 4, -1, -1];

/** TLV types (IEEE 1588-2008/2019, linuxptp tlv.h). */
const TLV_NAMES = new Map<number, string>([
  [0x0001, 'MANAGEMENT'],
  [0x0002, 'MANAGEMENT_ERROR_STATUS'],
  [0x0003, 'ORGANIZATION_EXTENSION'],
  [0x0004, 'REQUEST_UNICAST_TRANSMISSION'],
  [0x0005, 'GRANT_UNICAST_TRANSMISSION'],
  [0x0006, 'CANCEL_UNICAST_TRANSMISSION'],
  [0x0007, 'ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION'],
  [0x0008, 'PATH_TRACE'],
  [0x0009, 'ALTERNATE_TIME_OFFSET_INDICATOR'],
  [0x2000, 'AUTHENTICATION_2008'],
  [0x2001, 'AUTHENTICATION_CHALLENGE'],
  [0x2002, 'SECURITY_ASSOCIATION_UPDATE'],
  [0x2003, 'CUM_FREQ_SCALE_FACTOR_OFFSET'],
  [0x4000, 'ORGANIZATION_EXTENSION_PROPAGATE'],
  [0x4001, 'ENHANCED_ACCURACY_METRICS'],
  [0x8000, 'ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE'],
  [0x8001, 'L1_SYNC'],
  [0x8002, 'PORT_COMMUNICATION_AVAILABILITY'],
  [0x8003, 'PROTOCOL_ADDRESS'],
  [0x8004, 'SLAVE_RX_SYNC_TIMING_DATA'],
  [0x8005, 'SLAVE_RX_SYNC_COMPUTED_DATA'],
  [0x8006, 'SLAVE_TX_EVENT_TIMESTAMPS'],
  [0x8007, 'CUMULATIVE_RATE_RATIO'],
  [0x8008, 'PAD'],
  [0x8009, 'AUTHENTICATION'],
]);

export const TLV_MANAGEMENT = 0x0001;
export const TLV_MANAGEMENT_ERROR_STATUS = 0x0002;
export const TLV_ORGANIZATION_EXTENSION = 0x0003;
export const TLV_REQUEST_UNICAST = 0x0004;
export const TLV_GRANT_UNICAST = 0x0005;
export const TLV_CANCEL_UNICAST = 0x0006;
export const TLV_ACK_CANCEL_UNICAST = 0x0007;
export const TLV_PATH_TRACE = 0x0008;
export const TLV_ORG_EXT_PROPAGATE = 0x4000;
export const TLV_ORG_EXT_DO_NOT_PROPAGATE = 0x8000;

/** IEEE 802.1 organizationId (gPTP TLVs). */
export const ORG_IEEE_8021 = 0x0080c2;

/** Name of a TLV type; unassigned values read `UNKNOWN_0xNNNN`. */
export function ptpTlvTypeName(type: number): string {
  return TLV_NAMES.get(type) ?? `UNKNOWN_0x${type.toString(16).padStart(4, '0')}`;
}

/** Whether a TLV type carries organizationId/organizationSubType at the start of its value. */
export function isOrganizationExtension(type: number): boolean {
  return type === TLV_ORGANIZATION_EXTENSION || type === TLV_ORG_EXT_PROPAGATE || type === TLV_ORG_EXT_DO_NOT_PROPAGATE;
}

/** PTPv1 controlField → message_type_name (v1 classifies by control, IEEE 1588-2002). */
export const PTP_V1_NAMES: readonly string[] = ['v1-Sync', 'v1-Delay_Req', 'v1-Follow_Up', 'v1-Delay_Resp', 'v1-Management'];

export function ptpV1Name(control: number): string {
  return control < PTP_V1_NAMES.length ? PTP_V1_NAMES[control] : 'v1-Unknown';
}
