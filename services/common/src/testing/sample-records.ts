/** Hand-built records that exercise every field of the contracts (tests and benchmarks). */
import { emptyPacketRecord, type EnrichedBatch, type PacketBatch, type PacketRecord } from '../records.js';

export function samplePacketRecord(i = 0): PacketRecord {
  return {
    ...emptyPacketRecord(),
    ts_offset_ns: 1_000 * i + 7,
    frame_no: i + 1,
    wire_len: 90,
    cap_len: 90,
    eth_src: 0x0011_2233_4455,
    eth_dst: 0xffff_ffff_ffff,
    vlan_ids: [100, 200],
    ethertype: 0x0800,
    ip_version: 4,
    src_ip: Buffer.from([192, 168, 1, 10]),
    dst_ip: Buffer.from([192, 168, 1, 255]),
    ip_proto: 6,
    ip_ttl: 64,
    ip_tos: 0x10,
    ip_id: 4242,
    ip_flags: 2,
    ip_frag_offset: 0,
    ip_options: Buffer.from([1, 1, 1, 0]),
    src_port: 40000 + i,
    dst_port: 80,
    tcp_flags: 0x012,
    tcp_flags_str: 'SYN,ACK',
    tcp_seq: 4_294_967_295,
    tcp_ack: 17,
    tcp_window: 65535,
    icmp: { type: 3, code: 1 },
    arp: { op: 1, sender_mac: 0x0011_2233_4455, sender_ip: Buffer.from([10, 0, 0, 1]), target_mac: 0, target_ip: Buffer.from([10, 0, 0, 2]) },
    igmp: { type: 0x16, group: Buffer.from([239, 1, 2, 3]) },
    dns: { is_response: true, id: 0xbeef, opcode: 0, rcode: 3, qname: 'example.org', qtype: 28, question_count: 1, answer_count: 2, size: 120 },
    http: { is_request: true, method: 'GET', uri: '/index.html', version: 'HTTP/1.1', status_code: 0, reason: '', host: 'example.org' },
    payload_len: 1400,
    payload: Buffer.from('hello \u00e9 world'),
    decode_error: 'tcp.truncated',
  };
}

export function samplePacketBatch(n = 3): PacketBatch {
  return {
    agent_id: 'agent-1',
    interface: 'eth0',
    link_type: 1,
    agent_run: 'run-1',
    batch_seq: 12,
    base_ts_ns: 1_732_000_000_123_456_789n,
    sample_rate: 1,
    records: Array.from({ length: n }, (_, i) => samplePacketRecord(i)),
  };
}

export function sampleEnrichedBatch(): EnrichedBatch {
  const { records, ...header } = samplePacketBatch(1);
  return {
    ...header,
    records: [{
      packet: records[0],
      frame_type: 'TMATS',
      frame_types: ['TMATS', 'CH10-Time'],
      protocols: ['eth', 'ipv4', 'udp', 'ch10', 'tmats'],
      errors: ['ch10.bad_data_checksum'],
      cast: 'broadcast',
      ch10: {
        udp_format: 1, udp_msg_type: 0, udp_seq: 16_777_215, udp_seq_bits: 24, source_id: null,
        seg_channel_id: null, seg_channel_seq: null, seg_offset: null,
        packets: [{
          channel_id: 0, packet_length: 1024, data_length: 996, data_type_version: 7, seq: 255, flags: 0x80, data_type: 1,
          data_type_name: 'TMATS', rtc: 2 ** 48 - 1, header_checksum_ok: true, secondary_time_format: 1, secondary_time_s: 946_684_800,
          secondary_time_ns: 999_999_999, secondary_checksum: 'word', data_checksum: 'none', complete: true, csdw: 0x20b,
          message_count: null, time_ns: 1_539_814_762_000_000_000n, time_text: '2018-10-17 22:19:22.000',
          time_year_from_capture: false, reassembled: true,
        }],
        tmats: {
          irig106_release: 0x0b, format: 'ascii', config_changed: false, program_name: 'D200', test_article: 'KC-135',
          irig106_edition: '15', origination_date: '10-17-2018', data_sources: [{ id: 'DS1', type: 'DRS' }],
          channels: [{ recorder_id: 'R1', channel_id: 3, data_source_id: 'PCM1', data_type: 'PCMIN', enabled: true, name: 'PCM-1' }],
          attribute_count: 1, text: 'G\\PN:D200;\r\n', complete: true,
        },
      },
      ptp: {
        version: 2, minor_version: 1, message_type: 11, message_type_name: 'Announce', major_sdo_id: 1, minor_sdo_id: 0,
        message_length: 64, domain: 0, flags: 0x0208, correction_scaled_ns: -65536, source_clock_id: '7cfe90fffef950b4',
        source_port: 1, sequence_id: 65535, control: 5, log_message_interval: -3, timestamp_s: 281_474_976_710_655,
        timestamp_ns: 999_999_999, requesting_clock_id: null, requesting_port: null, target_clock_id: null, target_port: null,
        announce: { current_utc_offset: 37, gm_priority1: 128, gm_clock_class: 248, gm_clock_accuracy: 0xfe,
          gm_offset_scaled_log_variance: 0xffff, gm_priority2: 128, gm_identity: '7483efffff01ac16', steps_removed: 0, time_source: 0x50 },
        message_type_specific: 0xfffffffe, management_action: null, management_id: null, management_error_id: null,
        tlvs: [{
          type: 8, type_name: 'PATH_TRACE', length: 8, organization_id: null, organization_subtype: null,
          value: Buffer.from('7483efffff01ac16', 'hex'), unicast_message_type: null, log_inter_message_period: null,
          duration_s: null, renewal_invited: null, link_delay_interval: null, time_sync_interval: null,
          announce_interval: null, interval_flags: null, cumulative_scaled_rate_offset: null,
          gm_time_base_indicator: null, scaled_last_gm_freq_change: null, path_sequence: ['7483efffff01ac16'],
        }, {
          type: 5, type_name: 'GRANT_UNICAST_TRANSMISSION', length: 8, organization_id: null, organization_subtype: null,
          value: Buffer.from('b0fe0000012c0001', 'hex'), unicast_message_type: 11, log_inter_message_period: -2,
          duration_s: 300, renewal_invited: true, link_delay_interval: -128, time_sync_interval: 127,
          announce_interval: 126, interval_flags: 0x0e, cumulative_scaled_rate_offset: -2_147_483_648,
          gm_time_base_indicator: 65535, scaled_last_gm_freq_change: 2_147_483_647, path_sequence: [],
        }],
      },
      iena: {
        key: 0x2cfa, size_words: 52, time_us: 31_622_399_999_999, key_status: 2, n2_status: 0, sequence: 65535, type: 'D',
        type_source: 'heuristic', type_candidates: ['D'], trailer: 0xdead, param_count: 1,
        params: [{ param_id: 0xffff, delay: 0, length: null, data: Buffer.from([0xfe, 0xd1, 0x7c, 0xfe]) }],
      },
      app: { protocol: 'tls', message: 'ClientHello', server_name: 'example.org', version: 'TLS 1.3', code: 1, detail: 'alpn=h2,http/1.1' },
      classified_by: 'ch10-header',
    }],
  };
}
