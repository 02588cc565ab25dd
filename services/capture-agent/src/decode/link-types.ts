/**
 * pcap LINKTYPE_* values the decoder understands (https://www.tcpdump.org/linktypes.html).
 * DLT_RAW is 12 on most platforms and 14 on OpenBSD; some writers put the DLT
 * in the file instead of LINKTYPE_RAW (101), so all three mean raw IP.
 */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  DLT_RAW_12: 12,
  DLT_RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: 'null', 1: 'ethernet', 12: 'raw', 14: 'raw', 101: 'raw', 108: 'loop', 113: 'linux-sll',
  228: 'ipv4', 229: 'ipv6', 276: 'linux-sll2',
};

/** True when decodeFrame decodes this link type beyond handing back the whole frame. */
export function isSupportedLinkType(linkType: number): boolean {
  return linkType in NAMES;
}

/** Short name for logs ("ethernet", "linux-sll", ...), or "linktype-N". */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `linktype-${linkType}`;
}
