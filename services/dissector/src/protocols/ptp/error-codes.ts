/**
 * Error and warning codes the PTP dissector puts on a record (protocols.md
 * §3.10). Errors mean the message is malformed; warnings mean it parsed but
 * breaks a convention a healthy network keeps. docs/protocols/ptp.md lists them.
 */
export const PTP_ERRORS = {
  /** versionPTP is not 2 (and, over UDP, not the PTPv1 pattern either), e.g. v1 over Ethernet. */
  badVersion: 'ptp.bad_version',
  /** Fewer than the 34 header bytes (PTPv1: 36) are present. */
  truncated: 'ptp.truncated',
  /** messageLength is larger than the bytes present (cut by the snap length, or a lie). */
  lengthTooLarge: 'ptp.length_too_large',
  /** messageLength is smaller than the 34-byte header. */
  lengthTooSmall: 'ptp.length_too_small',
  /** messageType is reserved (4–7, 0xE, 0xF). */
  unknownType: 'ptp.unknown_type',
  /** messageLength (or the bytes present) is shorter than the type's fixed body. */
  shortBody: 'ptp.short_body',
  /** The TLVs do not tile the rest of the message, a lengthField is odd, or a known TLV is too short for its fields. */
  badTlv: 'ptp.bad_tlv',
  /** A timestamp's nanosecondsField is ≥ 10^9. */
  badTimestamp: 'ptp.bad_timestamp',
  /** correctionField beyond ±2^52 (±68 s): never a real correction; stored clamped to ±2^52. */
  correctionOutOfRange: 'ptp.correction_out_of_range',
} as const;

export const PTP_WARNINGS = {
  /** UDP: an event message (Sync, Delay_Req, Pdelay_Req, Pdelay_Resp) on port 320 and not 319, or a general message on 319 and not 320. */
  portClassMismatch: 'ptp.port_class_mismatch',
  /** minorVersionPTP 0 and controlField differs from the IEEE 1588-2008 legacy value for the type. */
  controlMismatch: 'ptp.control_mismatch',
  /** logMessageInterval outside −7…+7 and not 0x7F. */
  logIntervalOutOfRange: 'ptp.log_interval_out_of_range',
} as const;
