/**
 * Every `decode_error` code the frame decoder can put on a PacketRecord. The
 * part before the dot names the layer that failed; fields of the layers
 * before it are filled. The set is closed (tests check that nothing else is
 * produced), so a metric labelled by code has a bounded number of series.
 */
export const DECODE_ERROR_CODES = [
  /** The capture's link type is not one the agent decodes; payload holds the whole frame. */
  'link.unsupported',
  /** Shorter than an Ethernet header (14 bytes). */
  'eth.truncated',
  /** An 802.1Q/802.1ad tag is cut short. */
  'vlan.truncated',
  /** More stacked VLAN tags than the decoder follows (8). */
  'vlan.too_many_tags',
  /** Shorter than a Linux cooked (SLL, 16 bytes) header. */
  'sll.truncated',
  /** Shorter than a Linux cooked v2 (SLL2, 20 bytes) header. */
  'sll2.truncated',
  /** Shorter than the 4-byte null/loopback family header. */
  'null.truncated',
  /** A raw-IP frame whose first nibble is neither 4 nor 6. */
  'raw.bad_version',
  /** ARP (Ethernet/IPv4) cut short. */
  'arp.truncated',
  /** IPv4 header not fully captured, or the total length runs past the frame. */
  'ipv4.truncated',
  /** EtherType said IPv4 but the version nibble is not 4. */
  'ipv4.bad_version',
  /** IHL below 5 words. */
  'ipv4.bad_header_length',
  /** Total length smaller than the header. */
  'ipv4.bad_length',
  /** IPv6 fixed header not captured, or the payload length runs past the frame. */
  'ipv6.truncated',
  /** EtherType said IPv6 but the version nibble is not 6. */
  'ipv6.bad_version',
  /** An extension header is cut short or claims more than the packet holds. */
  'ipv6.ext_truncated',
  /** TCP header (20 bytes or its data offset) not captured. */
  'tcp.truncated',
  /** TCP data offset below 5 words or beyond the IP payload. */
  'tcp.bad_offset',
  /** UDP header not captured. */
  'udp.truncated',
  /** UDP length below 8 or beyond the IP payload of an unfragmented datagram. */
  'udp.bad_length',
  /** ICMP header (8 bytes) not captured. */
  'icmp.truncated',
  /** ICMPv6 header (8 bytes) not captured. */
  'icmpv6.truncated',
  /** IGMP message shorter than 8 bytes. */
  'igmp.truncated',
  /** DNS payload shorter than its header or question. */
  'dns.truncated',
  /** A DNS name with a bad label type, a pointer loop or more than 255 bytes. */
  'dns.bad_name',
  /** A segment that starts like HTTP but whose start line does not parse. */
  'http.bad_start_line',
  /** The captured bytes end inside the HTTP start line. */
  'http.truncated',
] as const;

export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number];
