/**
 * Crafted frames for every protocol and link type the decoder handles,
 * written to pcap files and compared field by field with tshark on the same
 * files; then every truncation point of each, and malformed variants with the
 * exact decode_error they must produce.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyPacketRecord, type PacketRecord } from '@streamlens/common';
import { decodeFrame } from './decode-frame.js';
import { writePcap } from '../../test-fixtures/capture-writers.js';
import { ETHERNET_FRAMES, OTHER_LINK_FRAMES, type CraftedFrame } from '../../test-fixtures/crafted-catalogue.js';
import { compareFileWithTshark, type DecodedFrame } from '../../test-fixtures/tshark-oracle.js';
import { ensureMixedCapture } from '../../bench/mixed-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'streamlens-crafted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function decode(linkType: number, data: Buffer, wireLen = data.length, cap?: number): PacketRecord {
  const rec = emptyPacketRecord();
  decodeFrame(linkType, data, wireLen, rec, cap);
  return rec;
}

async function againstTshark(name: string, frames: CraftedFrame[]): Promise<DecodedFrame[]> {
  const file = join(dir, `${name}.pcap`);
  writePcap(file, { linkType: frames[0].linkType, nanos: true }, frames.map((f, i) => ({
    tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_001n, data: f.data, wireLen: f.wireLen,
  })));
  const { mismatches, frames: decoded, error } = await compareFileWithTshark(file);
  expect(error).toBeNull();
  expect(mismatches).toEqual([]);
  const errors = decoded.filter((d) => d.rec.decode_error !== null).map((d) => `${frames[d.frameNo - 1].name}: ${d.rec.decode_error}`);
  expect(errors).toEqual([]);
  return decoded;
}

const byName = (frames: DecodedFrame[], list: CraftedFrame[], name: string): PacketRecord => {
  const i = list.findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`no crafted frame ${name}`);
  return frames[i].rec;
};

describe('crafted frames decode as tshark decodes them', () => {
  it('Ethernet: every L2-L4 protocol, VLAN/QinQ, IPv4 options and fragments, IPv6 extension headers, DNS, HTTP', async () => {
    const d = await againstTshark('ethernet', ETHERNET_FRAMES);
    const get = (n: string) => byName(d, ETHERNET_FRAMES, n);
    // A few values spelled out here as well, independent of the oracle.
    expect(get('tcp syn,ack').tcp_flags_str).toBe('SYN,ACK');
    expect(get('tcp every flag').tcp_flags_str).toBe('FIN,SYN,RST,PSH,ACK,URG,ECE,CWR,NS');
    expect(get('tcp syn with MSS').tcp_seq).toBe(0xfffffff0);
    expect(get('QinQ 88a8/8100 udp').vlan_ids).toEqual([10, 4000]);
    expect(get('QinQ 88a8/8100 udp').ethertype).toBe(0x0800);
    expect(get('ipv4 options (router alert + NOPs)').ip_options.toString('hex')).toBe('9404000001010100');
    expect(get('ipv4 first fragment (MF) of a udp datagram')).toMatchObject({ ip_flags: 1, src_port: 5000, dst_port: 6000, payload_len: 1492 });
    expect(get('ipv4 first fragment (MF) of a udp datagram').payload.length).toBe(64);
    expect(get('ipv4 later fragment')).toMatchObject({ ip_frag_offset: 1480, src_port: 0, dst_port: 0, payload_len: 100 });
    expect(get('ipv6 hop+dst+routing+fragment chain')).toMatchObject({ ipv6_ext_headers: [0, 60, 43, 44], ip_proto: 17, ip_id: 5, src_port: 13 });
    expect(get('ipv6 later fragment')).toMatchObject({ ip_frag_offset: 1448, ip_id: 0x01020304, ip_flags: 0, src_port: 0 });
    expect(get('dns response with compressed answers').dns).toEqual({
      is_response: true, id: 0x1234, opcode: 0, rcode: 0, qname: 'www.example.org', qtype: 1, question_count: 1, answer_count: 2, size: 65,
    });
    expect(get('dns over tcp').dns?.qname).toBe('www.example.org');
    expect(get('mdns query').dns?.qname).toBe('_services._dns-sd._udp.local');
    expect(get('http get').http).toEqual({ is_request: true, method: 'GET', uri: '/index.html?q=1', version: 'HTTP/1.1', status_code: 0, reason: '', host: 'example.org' });
    expect(get('http response').http).toMatchObject({ is_request: false, status_code: 404, reason: 'Not Found', version: 'HTTP/1.1' });
    expect(get('ptp over ethernet (non-IP)').payload.toString('hex')).toBe('1002002c00000000000000000000000000000000001b19fffe0000000001000000fd0000000000000000000000');
    expect(get('igmpv3 report').igmp?.group.toString('hex')).toBe('00000000');
    expect(get('icmp port unreachable')).toMatchObject({ icmp: { type: 3, code: 3 }, src_port: 0 });
    expect(get('arp request').arp).toMatchObject({ op: 1, sender_mac: 0x001122334455, target_mac: 0 });
  });

  const linkTypes = [...new Set(OTHER_LINK_FRAMES.map((f) => f.linkType))];
  for (const lt of linkTypes) {
    const frames = OTHER_LINK_FRAMES.filter((f) => f.linkType === lt);
    it(`link type ${lt}: ${frames.map((f) => f.name).join('; ')}`, async () => {
      const d = await againstTshark(`link-${lt}`, frames);
      d.forEach((x, i) => expect(x.rec.ip_version > 0 || x.rec.arp !== null, frames[i].name).toBe(true));
    });
  }

  for (const mix of ['mixed', 'minimum'] as const) {
    it(`generated ${mix} traffic (the benchmark's generator, 4,000 frames) decodes as tshark decodes it`, async () => {
      const file = join(dir, `generated-${mix}.pcap`);
      ensureMixedCapture(file, 4000, 3, mix);
      const { mismatches, frames, error } = await compareFileWithTshark(file);
      expect(error).toBeNull();
      expect(frames.length).toBe(4000);
      expect(mismatches.slice(0, 20)).toEqual([]);
      expect(frames.filter((f) => f.rec.decode_error !== null).length).toBe(0);
    });
  }

  it('a frame cut by the snap length keeps its headers and the captured part of the payload, without an error', async () => {
    const full = ETHERNET_FRAMES.find((f) => f.name === 'udp')!.data;
    const d = await againstTshark('snapped', [{ name: 'snapped udp', linkType: 1, data: full.subarray(0, 50), wireLen: full.length }]);
    expect(d[0].rec).toMatchObject({ src_port: 5000, payload_len: 17, wire_len: full.length, cap_len: 50, decode_error: null });
    expect(d[0].rec.payload.toString()).toBe('udp payl');
  });
});

const LINK_LAYER = new Set(['eth', 'sll', 'sll2', 'null', 'raw', 'link']);
const NETWORK = new Set(['vlan', 'arp', 'ipv4', 'ipv6']);
const TRANSPORT = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'igmp']);
/** Errors an application or ARP/IGMP layer may raise when only its own bytes are missing. */
const ABOVE_PAYLOAD_START = new Set(['arp', 'igmp', 'dns', 'http']);

/** Fields of the layers below the failing one equal those of the whole frame. */
function expectLayersBefore(rec: PacketRecord, full: PacketRecord, context: string): void {
  const layer = rec.decode_error?.split('.')[0] ?? '';
  const pick = (r: PacketRecord, keys: (keyof PacketRecord)[]) => Object.fromEntries(keys.map((k) => [k, r[k]]));
  if (LINK_LAYER.has(layer)) return;
  const l2: (keyof PacketRecord)[] = layer === 'vlan' ? ['eth_src', 'eth_dst'] : ['eth_src', 'eth_dst', 'vlan_ids', 'ethertype'];
  expect(pick(rec, l2), context).toEqual(pick(full, l2));
  if (NETWORK.has(layer)) return;
  const l3: (keyof PacketRecord)[] = ['ip_version', 'src_ip', 'dst_ip', 'ip_proto', 'ip_ttl', 'ip_tos', 'ip_id', 'ip_flags',
    'ip_frag_offset', 'ip_options', 'ipv6_flow_label', 'ipv6_ext_headers'];
  expect(pick(rec, l3), context).toEqual(pick(full, l3));
  if (TRANSPORT.has(layer)) return;
  const l4: (keyof PacketRecord)[] = ['src_port', 'dst_port', 'tcp_flags', 'tcp_flags_str', 'tcp_seq', 'tcp_ack', 'tcp_window'];
  expect(pick(rec, l4), context).toEqual(pick(full, l4));
}

describe('truncated frames: every cut point gives a decode_error and keeps the layers before it', () => {
  for (const f of [...ETHERNET_FRAMES, ...OTHER_LINK_FRAMES]) {
    it(f.name, () => {
      const full = decode(f.linkType, f.data);
      expect(full.decode_error).toBeNull();
      const payloadStart = full.payload.length ? full.payload.byteOffset - f.data.byteOffset : f.data.length - full.payload_len;
      const isIp = full.ip_version !== 0;
      for (let cut = 0; cut < f.data.length; cut++) {
        const part = f.data.subarray(0, cut);
        // 1. The frame itself is short (wire length = what is there): IP says more bytes than exist.
        const short = decode(f.linkType, part, cut);
        const context = `${f.name} cut at ${cut}`;
        if (isIp || cut < payloadStart) expect(short.decode_error, context).not.toBeNull();
        expect(short.cap_len).toBe(cut);
        expectLayersBefore(short, full, context);
        // 2. The capture cut it (snap length): headers cut → an error; payload cut → none, payload = captured part.
        const snapped = decode(f.linkType, part, f.data.length);
        if (cut < payloadStart) {
          expect(snapped.decode_error, `${context} (snapped)`).not.toBeNull();
        } else {
          const layer = snapped.decode_error?.split('.')[0];
          if (snapped.decode_error !== null) expect(ABOVE_PAYLOAD_START.has(layer!), `${context} (snapped): ${snapped.decode_error}`).toBe(true);
          expect(snapped.payload_len, `${context} (snapped)`).toBe(full.payload_len);
          expect(snapped.payload.toString('hex')).toBe(full.payload.subarray(0, cut - payloadStart).toString('hex'));
        }
        expectLayersBefore(snapped, full, `${context} (snapped)`);
      }
    });
  }
});
