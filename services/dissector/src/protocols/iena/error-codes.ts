/**
 * Error and warning codes the IENA dissector puts on a record (protocols.md
 * §4.7). docs/protocols/iena.md lists them with what each means.
 */
export const IENA_ERRORS = {
  /** Fewer than 16 bytes (14-byte header + 2-byte trailer); only reported on pinned ports. */
  tooShort: 'iena.too_short',
  /** The UDP payload has an odd number of bytes (IENA is a whole number of 16-bit words). */
  oddLength: 'iena.odd_length',
  /** size × 2 differs from the UDP payload length (e.g. a size counted in bytes, or a cut packet). */
  sizeMismatch: 'iena.size_mismatch',
  /** The end field is not 0xDEAD (a warning: the spec is not public, every known producer sends 0xDEAD). */
  badTrailer: 'iena.bad_trailer',
  /** The header time is ≥ 366 days of microseconds. */
  timeOutOfRange: 'iena.time_out_of_range',
  /** The body does not tile with the resolved type's layout. */
  badBody: 'iena.bad_body',
  /** An M or Q message with Length 0. */
  zeroLengthMessage: 'iena.zero_length_message',
  /** No configured type, no key-status type bits, and no layout fits: decoded as P. */
  noConsistentLayout: 'iena.no_consistent_layout',
} as const;

export const IENA_WARNINGS = {
  /** Several layouts fit and nothing else decides: IENA-Unknown with the candidates (configure the key's type). */
  ambiguousType: 'iena.ambiguous_type',
} as const;
