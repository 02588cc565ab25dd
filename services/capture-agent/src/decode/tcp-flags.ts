/** TCP flag bits as the record carries them, and their names precomputed for all 512 combinations. */

export const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'NS'] as const;

/** Index by the 9 flag bits (NS..FIN); gives e.g. "SYN,ACK". */
export const TCP_FLAG_STRINGS: readonly string[] = Object.freeze(
  Array.from({ length: 512 }, (_, bits) => TCP_FLAG_NAMES.filter((_, i) => bits & (1 << i)).join(',')),
);
