/**
 * tshark as the oracle: run it over a capture with reassembly off (the agent
 * decodes single frames) and compare every field it can map with what
 * decodeFrame produced for the same frame.
 */
import { execFileSync } from 'node:child_process';
import { emptyPacketRecord, type PacketRecord } from '@streamlens/common';
import { CaptureFileReader, decodeFrame, DEFAULT_PAYLOAD_CAP } from '../src/index.js';

export const TSHARK_FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.protocols', 'frame.interface_id',
  'eth.src', 'eth.dst', 'eth.type', 'vlan.id', 'vlan.etype', 'ieee8021ad.id', 'sll.src.eth', 'sll.etype',
  'ip.version', 'ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.dsfield', 'ip.id', 'ip.flags', 'ip.frag_offset', 'ip.hdr_len', 'ip.len', 'ip.opt.type',
  'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.tclass', 'ipv6.flow', 'ipv6.plen',
  'ipv6.hopopts.nxt', 'ipv6.routing.nxt', 'ipv6.fraghdr.nxt', 'ipv6.dstopts.nxt', 'ah.next_header',
  'ipv6.fraghdr.ident', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
  'tcp.srcport', 'tcp.dstport', 'tcp.hdr_len', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.len', 'tcp.payload',
  'udp.srcport', 'udp.dstport', 'udp.length', 'udp.payload',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4',
  'igmp.type', 'igmp.maddr',
  'dns.id', 'dns.flags.response', 'dns.flags.opcode', 'dns.flags.rcode', 'dns.qry.name', 'dns.qry.type',
  'dns.count.queries', 'dns.count.answers', 'dns.length',
  'http.request.method', 'http.request.uri', 'http.request.version', 'http.response.version', 'http.response.code',
  'http.response.phrase', 'http.host',
  '_ws.malformed', '_ws.expert.message',
] as const;

export type TsharkRow = Record<(typeof TSHARK_FIELDS)[number], string[]>;

/** Preferences that make tshark dissect each frame on its own, as the agent does. */
const PREFS = [
  'ip.defragment:FALSE', 'ipv6.defragment:FALSE', 'tcp.desegment_tcp_streams:FALSE', 'tcp.analyze_sequence_numbers:FALSE',
  'dns.desegment_dns_messages:FALSE', 'http.desegment_headers:FALSE', 'http.desegment_body:FALSE',
];

export function tsharkRows(file: string): TsharkRow[] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=\u0001'];
  for (const p of PREFS) args.push('-o', p);
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  let out: string;
  try {
    out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // tshark exits non-zero on a cut-short file but still prints every complete frame.
    const e = err as { stdout?: string };
    if (typeof e.stdout !== 'string') throw err;
    out = e.stdout;
  }
  return out.split('\n').filter((l) => l.length > 0).map((line) => {
    const cols = line.split('\t');
    const row = {} as TsharkRow;
    TSHARK_FIELDS.forEach((f, i) => {
      const v = cols[i] ?? '';
      row[f] = v === '' ? [] : v.split('\u0001');
    });
    return row;
  });
}

export interface DecodedFrame {
  frameNo: number;
  linkType: number;
  interfaceIndex: number;
  /** Interface number within its pcapng section (what tshark shows as frame.interface_id). */
  interfaceInSection: number;
  tsSec: number;
  tsNs: number;
  data: Buffer;
  rec: PacketRecord;
}

/** Read and decode every frame of a file (one fresh record per frame). Stops quietly at a truncated tail. */
export async function decodeFile(file: string, payloadCap = DEFAULT_PAYLOAD_CAP): Promise<{ frames: DecodedFrame[]; error: Error | null }> {
  const reader = await CaptureFileReader.open(file);
  const frames: DecodedFrame[] = [];
  let error: Error | null = null;
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        const rec = emptyPacketRecord();
        rec.frame_no = f.frameNo;
        decodeFrame(f.linkType, f.data, f.wireLen, rec, payloadCap);
        const ifs = reader.interfaces();
        const sectionStart = ifs.findIndex((i) => i.section === ifs[f.interfaceIndex].section);
        frames.push({
          frameNo: f.frameNo, linkType: f.linkType, interfaceIndex: f.interfaceIndex, interfaceInSection: f.interfaceIndex - sectionStart,
          tsSec: f.tsSec, tsNs: f.tsNs, data: f.data, rec,
        });
      }
    } while (await reader.fill());
  } catch (err) {
    error = err as Error;
  } finally {
    await reader.close();
  }
  return { frames, error };
}

const num = (s: string | undefined): number => (s === undefined ? NaN : Number(s));
const macNum = (s: string | undefined): number => (s === undefined ? 0 : parseInt(s.replace(/:/g, ''), 16));
const hex = (b: Buffer): string => b.toString('hex');
const ipv4Hex = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s.split('.').map(Number)).toString('hex'));

function ipv6Hex(s: string | undefined): string {
  if (s === undefined) return '';
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

const EXT_BY_PROTO: Record<string, { type: number; nxt: keyof TsharkRow }> = {
  'ipv6.hopopts': { type: 0, nxt: 'ipv6.hopopts.nxt' },
  'ipv6.routing': { type: 43, nxt: 'ipv6.routing.nxt' },
  'ipv6.fraghdr': { type: 44, nxt: 'ipv6.fraghdr.nxt' },
  'ipv6.dstopts': { type: 60, nxt: 'ipv6.dstopts.nxt' },
  ah: { type: 51, nxt: 'ah.next_header' },
};

const LINK_HEADER: Record<number, number> = { 1: 14, 113: 16, 276: 20, 0: 4, 108: 4, 101: 0, 12: 0, 14: 0, 228: 0, 229: 0 };

/**
 * Compare one decoded frame with tshark's view of it. Returns a list of
 * "frame N field: ours=… tshark=…" lines (empty when they agree).
 */
export function compareFrame(d: DecodedFrame, t: TsharkRow): string[] {
  const out: string[] = [];
  const r = d.rec;
  const eq = (field: string, ours: unknown, theirs: unknown) => {
    const a = JSON.stringify(ours);
    const b = JSON.stringify(theirs);
    if (a !== b) out.push(`frame ${d.frameNo} ${field}: ours=${a} tshark=${b}`);
  };
  eq('frame_no', d.frameNo, num(t['frame.number'][0]));
  if (t['frame.time_epoch'].length) {
    // (A pcapng Simple Packet Block has no time; tshark shows none, the reader repeats the previous one.)
    const [sec, frac = ''] = t['frame.time_epoch'][0].split('.');
    eq('time', `${d.tsSec}.${String(d.tsNs).padStart(9, '0')}`, `${sec}.${frac.padEnd(9, '0')}`);
  }
  eq('wire_len', r.wire_len, num(t['frame.len'][0]));
  eq('cap_len', r.cap_len, num(t['frame.cap_len'][0]));
  if (t['frame.interface_id'].length) eq('interface', d.interfaceInSection, num(t['frame.interface_id'][0]));

  const protos = t['frame.protocols'][0].split(':');
  const link = protos[0];
  eq('eth_src', r.eth_src, link === 'eth' ? macNum(t['eth.src'][0]) : link === 'sll' ? macNum(t['sll.src.eth'][0]) : 0);
  eq('eth_dst', r.eth_dst, link === 'eth' ? macNum(t['eth.dst'][0]) : 0);
  // Tags in wire order: tshark calls 802.1ad S-tags "ieee8021ad" and 802.1Q (and 0x9100) tags "vlan".
  const ipIdx = protos.findIndex((p) => p === 'ip' || p === 'ipv6');
  const tagLayers = protos.slice(0, ipIdx < 0 ? protos.length : ipIdx).filter((p) => p === 'vlan' || p === 'ieee8021ad');
  const vlans = tagLayers.length;
  const seen = { vlan: 0, ieee8021ad: 0 };
  eq('vlan_ids', r.vlan_ids, tagLayers.map((p) => num(t[p === 'vlan' ? 'vlan.id' : 'ieee8021ad.id'][seen[p as 'vlan' | 'ieee8021ad']++])));
  let ethertype: number;
  if (vlans > 0 && tagLayers[vlans - 1] === 'vlan') ethertype = num(t['vlan.etype'][t['vlan.etype'].length - 1]);
  else if (vlans > 0) ethertype = num(t['eth.type'][t['eth.type'].length - 1]);
  else if (link === 'eth') ethertype = t['eth.type'].length ? num(t['eth.type'][0]) : 0;
  else if (link === 'sll') ethertype = t['sll.etype'].length ? num(t['sll.etype'][0]) : 0;
  else ethertype = ipIdx < 0 ? 0 : protos[ipIdx] === 'ip' ? 0x0800 : 0x86dd;
  eq('ethertype', r.ethertype, ethertype);

  const l3 = (LINK_HEADER[d.linkType] ?? 0) + 4 * vlans;
  if (ipIdx < 0) {
    // Not IP: the payload is everything after the link header.
    eq('ip_version', r.ip_version, 0);
    eq('payload_len', r.payload_len, r.wire_len - l3);
    eq('payload', hex(r.payload), hex(d.data.subarray(l3, l3 + r.payload.length)));
    eq('payload_kept', r.payload.length, Math.max(0, Math.min(r.cap_len - l3, r.payload_len)));
    if (protos.includes('arp')) {
      eq('arp', r.arp && { ...r.arp, sender_ip: hex(r.arp.sender_ip), target_ip: hex(r.arp.target_ip) }, {
        op: num(t['arp.opcode'][0]),
        sender_mac: macNum(t['arp.src.hw_mac'][0]),
        sender_ip: ipv4Hex(t['arp.src.proto_ipv4'][0]),
        target_mac: macNum(t['arp.dst.hw_mac'][0]),
        target_ip: ipv4Hex(t['arp.dst.proto_ipv4'][0]),
      });
    }
    return out;
  }

  let ipEnd: number;
  let l4 = ipIdx + 1;
  let fragmented = false;
  if (protos[ipIdx] === 'ip') {
    eq('ip_version', r.ip_version, 4);
    eq('src_ip', hex(r.src_ip), ipv4Hex(t['ip.src'][0]));
    eq('dst_ip', hex(r.dst_ip), ipv4Hex(t['ip.dst'][0]));
    eq('ip_proto', r.ip_proto, num(t['ip.proto'][0]));
    eq('ip_ttl', r.ip_ttl, num(t['ip.ttl'][0]));
    eq('ip_tos', r.ip_tos, num(t['ip.dsfield'][0]));
    eq('ip_id', r.ip_id, num(t['ip.id'][0]));
    eq('ip_flags', r.ip_flags, num(t['ip.flags'][0]));
    // tshark 4.0 gives the IPv4 fragment offset in 8-byte units; the record has bytes.
    eq('ip_frag_offset', r.ip_frag_offset, num(t['ip.frag_offset'][0]) * 8);
    eq('ip_options_len', r.ip_options.length, num(t['ip.hdr_len'][0]) - 20);
    if (t['ip.opt.type'].length) eq('ip_options_first_type', r.ip_options[0], num(t['ip.opt.type'][0]));
    ipEnd = l3 + num(t['ip.len'][0]);
    fragmented = r.ip_frag_offset !== 0;
  } else {
    eq('ip_version', r.ip_version, 6);
    eq('src_ip', hex(r.src_ip), ipv6Hex(t['ipv6.src'][0]));
    eq('dst_ip', hex(r.dst_ip), ipv6Hex(t['ipv6.dst'][0]));
    eq('ip_ttl', r.ip_ttl, num(t['ipv6.hlim'][0]));
    eq('ip_tos', r.ip_tos, num(t['ipv6.tclass'][0]));
    eq('ipv6_flow_label', r.ipv6_flow_label, num(t['ipv6.flow'][0]));
    const ext: number[] = [];
    let proto = num(t['ipv6.nxt'][0]);
    while (EXT_BY_PROTO[protos[l4]]) {
      const e = EXT_BY_PROTO[protos[l4]];
      ext.push(e.type);
      const nxt = t[e.nxt];
      proto = num(nxt[nxt.length - 1]);
      l4++;
    }
    eq('ipv6_ext_headers', r.ipv6_ext_headers, ext);
    eq('ip_proto', r.ip_proto, proto);
    if (ext.includes(44)) {
      eq('ip_id', r.ip_id, num(t['ipv6.fraghdr.ident'][0]));
      eq('ip_frag_offset', r.ip_frag_offset, num(t['ipv6.fraghdr.offset'][0]) * 8);
      eq('ip_flags', r.ip_flags, num(t['ipv6.fraghdr.more'][0]));
      fragmented = r.ip_frag_offset !== 0;
    }
    ipEnd = l3 + 40 + num(t['ipv6.plen'][0]);
  }

  const transport = fragmented ? 'fragment' : protos[l4];
  const ports = (a: string, b: string) => {
    eq('src_port', r.src_port, num(t[a as keyof TsharkRow][0]));
    eq('dst_port', r.dst_port, num(t[b as keyof TsharkRow][0]));
  };
  // Where the L4 header starts: after the IPv4 header, or the IPv6 header and its extension headers.
  const l4Start = l3 + (protos[ipIdx] === 'ip' ? num(t['ip.hdr_len'][0]) : 40 + extLength(r, d, l3));
  const checkPayload = (start: number, payloadLen: number) => {
    // Payload: what was sent after the L4 header, kept as far as it was captured (and inside this IP packet).
    eq('payload_len', r.payload_len, payloadLen);
    const keptEnd = Math.min(d.data.length, ipEnd, start + payloadLen);
    eq('payload', hex(r.payload), hex(d.data.subarray(start, keptEnd)));
  };
  if (transport === 'tcp') {
    ports('tcp.srcport', 'tcp.dstport');
    eq('tcp_seq', r.tcp_seq, num(t['tcp.seq_raw'][0]));
    eq('tcp_ack', r.tcp_ack, num(t['tcp.ack_raw'][0]));
    eq('tcp_flags', r.tcp_flags, num(t['tcp.flags'][0]) & 0x1ff);
    eq('tcp_window', r.tcp_window, num(t['tcp.window_size_value'][0]));
    const len = num(t['tcp.len'][0]);
    checkPayload(l4Start + num(t['tcp.hdr_len'][0]), len);
    if (len > 0 && t['tcp.payload'].length) eq('tcp.payload', hex(r.payload), t['tcp.payload'][0].slice(0, r.payload.length * 2));
  } else if (transport === 'udp') {
    ports('udp.srcport', 'udp.dstport');
    checkPayload(l4Start + 8, num(t['udp.length'][0]) - 8);
    if (t['udp.payload'].length) eq('udp.payload', hex(r.payload), t['udp.payload'][0].slice(0, r.payload.length * 2));
  } else {
    eq('src_port', r.src_port, 0);
    eq('dst_port', r.dst_port, 0);
    eq('tcp_flags', r.tcp_flags, 0);
    if (transport === 'icmp' || transport === 'icmpv6') {
      eq('icmp', r.icmp, { type: num(t[`${transport}.type`][0]), code: num(t[`${transport}.code`][0]) });
      checkPayload(l4Start + 8, ipEnd - l4Start - 8);
    } else {
      eq('icmp', r.icmp, null);
      if (transport === 'igmp') {
        const type = num(t['igmp.type'][0]);
        eq('igmp.type', r.igmp?.type, type);
        eq('igmp.group', r.igmp && hex(r.igmp.group), type === 0x22 ? '00000000' : ipv4Hex(t['igmp.maddr'][0] ?? '0.0.0.0'));
      }
      checkPayload(l4Start, ipEnd - l4Start);
    }
  }
  // Application layers count only directly above this frame's transport (not inside an ICMP error's quote).
  const app = transport === 'tcp' || transport === 'udp' ? protos[l4 + 1] : undefined;
  if (app === 'dns' || app === 'mdns') {
    eq('dns', r.dns && { ...r.dns, size: 0 }, {
      is_response: t['dns.flags.response'][0] === '1' || t['dns.flags.response'][0] === 'True',
      id: num(t['dns.id'][0]),
      opcode: num(t['dns.flags.opcode'][0]),
      rcode: r.dns?.is_response ? num(t['dns.flags.rcode'][0]) : (r.dns?.rcode ?? 0),
      qname: (t['dns.qry.name'][0] ?? '').replace(/^<Root>$/, ''),
      qtype: t['dns.qry.type'].length ? num(t['dns.qry.type'][0]) : 0,
      question_count: num(t['dns.count.queries'][0]),
      answer_count: num(t['dns.count.answers'][0]),
      size: 0,
    });
    eq('dns.size', r.dns?.size, transport === 'tcp' ? num(t['dns.length'][0]) : num(t['udp.length'][0]) - 8);
  } else {
    eq('dns', r.dns, null);
  }
  // tshark also says "http" for a port-80 segment that only continues a message (no start line): no summary then.
  if (app === 'http' && (t['http.request.method'].length > 0 || t['http.response.code'].length > 0)) {
    const isRequest = t['http.request.method'].length > 0;
    // (tshark keeps trailing whitespace of a header value; RFC 9110 excludes it, and so does the decoder.)
    eq('http', r.http, isRequest
      ? { is_request: true, method: t['http.request.method'][0], uri: t['http.request.uri'][0], version: t['http.request.version'][0],
          status_code: 0, reason: '', host: (t['http.host'][0] ?? '').trim() }
      : { is_request: false, method: '', uri: '', version: t['http.response.version'][0], status_code: num(t['http.response.code'][0]),
          reason: t['http.response.phrase'][0] ?? '', host: '' });
  } else {
    eq('http', r.http, null);
  }
  return out;
}

/** Bytes of IPv6 extension headers before the L4 header (0 for IPv4), from our own decode of the frame. */
function extLength(r: PacketRecord, d: DecodedFrame, l3: number): number {
  if (r.ip_version !== 6 || r.ipv6_ext_headers.length === 0) return 0;
  let p = l3 + 40;
  for (const h of r.ipv6_ext_headers) {
    if (h === 44) p += 8;
    else if (h === 51) p += (d.data[p + 1] + 2) * 4;
    else p += (d.data[p + 1] + 1) * 8;
  }
  return p - l3 - 40;
}

/** Decode a file and compare every frame with tshark; returns the mismatches and the frames. */
export async function compareFileWithTshark(file: string, payloadCap = DEFAULT_PAYLOAD_CAP): Promise<{ mismatches: string[]; frames: DecodedFrame[]; rows: TsharkRow[]; error: Error | null }> {
  const { frames, error } = await decodeFile(file, payloadCap);
  const rows = tsharkRows(file);
  const mismatches: string[] = [];
  // Wireshark also numbers pcapng custom and systemd-journal blocks; those rows have no interface and no frame of ours.
  const byNumber = new Map(rows.map((r) => [Number(r['frame.number'][0]), r]));
  const ours = new Set(frames.map((f) => f.frameNo));
  for (const r of rows) {
    const n = Number(r['frame.number'][0]);
    if (!ours.has(n) && (r['frame.interface_id'].length > 0 || !/^(data|systemd_journal)$/.test(r['frame.protocols'][0] ?? ''))) {
      mismatches.push(`frame ${n}: tshark has a frame the reader did not deliver (${r['frame.protocols'][0]})`);
    }
  }
  for (const f of frames) {
    const row = byNumber.get(f.frameNo);
    if (row) mismatches.push(...compareFrame(f, row));
    else mismatches.push(`frame ${f.frameNo}: tshark has no such frame`);
  }
  return { mismatches, frames, rows, error };
}
