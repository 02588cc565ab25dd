/**
 * TypeScript shapes of the Avro contracts in schemas/avro/. Field names and
 * meanings are documented in the .avsc files; keep both in step (the codec
 * tests round-trip every field).
 */

export interface IcmpInfo { type: number; code: number }
export interface ArpInfo { op: number; sender_mac: number; sender_ip: Buffer; target_mac: number; target_ip: Buffer }
export interface IgmpInfo { type: number; group: Buffer }
export interface DnsInfo {
  is_response: boolean; id: number; opcode: number; rcode: number;
  qname: string; qtype: number; question_count: number; answer_count: number; size: number;
}
export interface HttpInfo {
  is_request: boolean; method: string; uri: string; version: string;
  status_code: number; reason: string; host: string;
}

export interface PacketRecord {
  ts_offset_ns: number;
  frame_no: number;
  wire_len: number;
  cap_len: number;
  eth_src: number;
  eth_dst: number;
  vlan_ids: number[];
  ethertype: number;
  ip_version: number;
  src_ip: Buffer;
  dst_ip: Buffer;
  ip_proto: number;
  ip_ttl: number;
  ip_tos: number;
  ip_id: number;
  ip_flags: number;
  ip_frag_offset: number;
  ip_options: Buffer;
  ipv6_flow_label: number;
  ipv6_ext_headers: number[];
  src_port: number;
  dst_port: number;
  tcp_flags: number;
  tcp_flags_str: string;
  tcp_seq: number;
  tcp_ack: number;
  tcp_window: number;
  icmp: IcmpInfo | null;
  arp: ArpInfo | null;
  igmp: IgmpInfo | null;
  dns: DnsInfo | null;
  http: HttpInfo | null;
  payload_len: number;
  payload: Buffer;
  decode_error: string | null;
}

/** Fields shared by both batch envelopes. */
export interface BatchHeader {
  agent_id: string;
  interface: string;
  link_type: number;
  agent_run: string;
  batch_seq: number;
  /** Epoch ns; record time = base_ts_ns + ts_offset_ns. */
  base_ts_ns: bigint;
  sample_rate: number;
}

export interface PacketBatch extends BatchHeader {
  records: PacketRecord[];
}

export interface Ch10Packet {
  channel_id: number;
  packet_length: number;
  data_length: number;
  data_type_version: number;
  seq: number;
  flags: number;
  data_type: number;
  data_type_name: string;
  rtc: number;
  header_checksum_ok: boolean;
  secondary_time_format: number | null;
  secondary_time_s: number | null;
  secondary_time_ns: number | null;
  secondary_checksum: 'none' | 'byte' | 'word' | 'bad';
  data_checksum: 'none' | 'ok' | 'bad' | 'unchecked';
  complete: boolean;
  csdw: number | null;
  message_count: number | null;
  /** Epoch ns (timestamp-nanos, exact as bigint). */
  time_ns: bigint | null;
  time_text: string | null;
  time_year_from_capture: boolean;
  reassembled: boolean;
}

export interface TmatsInfo {
  irig106_release: number;
  format: 'ascii' | 'xml';
  config_changed: boolean;
  program_name: string;
  test_article: string;
  irig106_edition: string;
  origination_date: string;
  data_sources: { id: string; type: string }[];
  channels: { recorder_id: string; channel_id: number; data_source_id: string; data_type: string; enabled: boolean; name: string }[];
  attribute_count: number;
  text: string;
  complete: boolean;
}

export interface Ch10Info {
  udp_format: number;
  udp_msg_type: number;
  udp_seq: number | null;
  udp_seq_bits: number;
  source_id: number | null;
  seg_channel_id: number | null;
  seg_channel_seq: number | null;
  seg_offset: number | null;
  packets: Ch10Packet[];
  tmats: TmatsInfo | null;
}

export interface PtpAnnounce {
  current_utc_offset: number;
  gm_priority1: number;
  gm_clock_class: number;
  gm_clock_accuracy: number;
  gm_offset_scaled_log_variance: number;
  gm_priority2: number;
  gm_identity: string;
  steps_removed: number;
  time_source: number;
}

export interface PtpTlv {
  type: number;
  type_name: string;
  length: number;
  organization_id: number | null;
  organization_subtype: number | null;
  value: Buffer;
  unicast_message_type: number | null;
  log_inter_message_period: number | null;
  duration_s: number | null;
  renewal_invited: boolean | null;
  link_delay_interval: number | null;
  time_sync_interval: number | null;
  announce_interval: number | null;
  interval_flags: number | null;
  cumulative_scaled_rate_offset: number | null;
  gm_time_base_indicator: number | null;
  scaled_last_gm_freq_change: number | null;
  path_sequence: string[];
}

export interface PtpInfo {
  version: number;
  minor_version: number;
  message_type: number;
  message_type_name: string;
  major_sdo_id: number;
  minor_sdo_id: number;
  message_length: number;
  domain: number;
  flags: number;
  correction_scaled_ns: number;
  message_type_specific: number;
  source_clock_id: string;
  source_port: number;
  sequence_id: number;
  control: number;
  log_message_interval: number;
  timestamp_s: number | null;
  timestamp_ns: number | null;
  requesting_clock_id: string | null;
  requesting_port: number | null;
  target_clock_id: string | null;
  target_port: number | null;
  announce: PtpAnnounce | null;
  management_action: number | null;
  management_id: number | null;
  management_error_id: number | null;
  tlvs: PtpTlv[];
}

export interface IenaParam { param_id: number; delay: number | null; length: number | null; data: Buffer }

export interface IenaInfo {
  key: number;
  size_words: number;
  time_us: number;
  key_status: number;
  n2_status: number;
  sequence: number;
  type: 'P' | 'D' | 'N' | 'M' | 'Q' | 'Unknown';
  type_source: 'config' | 'key_status' | 'heuristic' | 'heuristic-ambiguous' | 'none';
  type_candidates: string[];
  trailer: number;
  param_count: number;
  params: IenaParam[];
}

export interface AppInfo {
  protocol: string; message: string; server_name: string | null; version: string | null;
  /** Numeric message code (DHCP type, NTP mode, TLS handshake type, reply code, ...); null when none. */
  code?: number | null;
  /** Short protocol-specific text (ALPN, SSH software, DHCP host name, ...); null when none. */
  detail?: string | null;
}

export interface EnrichedRecord {
  packet: PacketRecord;
  frame_type: string;
  frame_types: string[];
  protocols: string[];
  errors: string[];
  cast: 'unicast' | 'multicast' | 'broadcast';
  ch10: Ch10Info | null;
  ptp: PtpInfo | null;
  iena: IenaInfo | null;
  app: AppInfo | null;
  /** Which precedence rule decided frame_type (docs/frame-types.md); '' from older writers. */
  classified_by?: string;
}

export interface EnrichedBatch extends BatchHeader {
  records: EnrichedRecord[];
}

/** Value of a message on the alerts topic (schemas/avro/alert-record.avsc): a stream-health alert firing or resolving. */
export interface AlertRecord {
  agent_id: string;
  interface: string;
  ts_ns: bigint;
  alert_id: string;
  rule: string;
  state: string;
  severity: string;
  metric: string;
  value: number;
  threshold: number;
  comparison: string;
  window_start_ns: bigint;
  window_ns: number;
  fired_at_ns: bigint;
  kind: string;
  src: string;
  dst: string;
  stream_id: number;
  domain: number;
  clock_id: string;
  port_number: number;
  message_type: string;
  keyed_by: string;
  stream: string;
}

export const SCHEMA_NAMES = {
  packetBatch: 'io.streamlens.v1.PacketBatch',
  enrichedBatch: 'io.streamlens.v1.EnrichedBatch',
  alertRecord: 'io.streamlens.v1.AlertRecord',
} as const;

const EMPTY = Buffer.alloc(0);

/** A packet record with every field at its schema default; decoders fill what they find. */
export function emptyPacketRecord(): PacketRecord {
  return {
    ts_offset_ns: 0, frame_no: 0, wire_len: 0, cap_len: 0, eth_src: 0, eth_dst: 0, vlan_ids: [],
    ethertype: 0, ip_version: 0, src_ip: EMPTY, dst_ip: EMPTY, ip_proto: 0, ip_ttl: 0, ip_tos: 0,
    ip_id: 0, ip_flags: 0, ip_frag_offset: 0, ip_options: EMPTY, ipv6_flow_label: 0, ipv6_ext_headers: [],
    src_port: 0, dst_port: 0, tcp_flags: 0, tcp_flags_str: '', tcp_seq: 0, tcp_ack: 0, tcp_window: 0,
    icmp: null, arp: null, igmp: null, dns: null, http: null, payload_len: 0, payload: EMPTY, decode_error: null,
  };
}
