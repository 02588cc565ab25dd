#!/usr/bin/env node
// Builds test/fixtures/sample/streamlens-sample.pcapng, the bundled sample
// capture: real public captures (listed in that folder's README, with their
// licences) placed on one timeline and merged into one Ethernet pcapng with
// nanosecond timestamps. Deterministic: the same inputs give the same bytes.
//
//   npm run build && node scripts/make-sample-capture.mjs [--captures DIR] [--out FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CaptureFileError, CaptureFileReader } from '@streamlens/capture-agent';

const { values } = parseArgs({ options: { captures: { type: 'string', default: 'test/fixtures/captures' }, out: { type: 'string', default: 'test/fixtures/sample/streamlens-sample.pcapng' } } });
const C = values.captures;
const STD = 'services/dissector/test-fixtures/standard';

// [file, seconds after the start of the sample]
export const PARTS = [
  [`${C}/ptp/tcpdump_ptp_ethernet.pcap`, 0],
  [`${C}/ch10udp_derived/c10net_pychapter10_sample.pcap`, 5],
  [`${C}/iena/acranetwork_ienad.pcap`, 10],
  [`${C}/iena/acranetwork_ienam_multiple.pcap`, 10.5],
  [`${C}/iena/acranetwork_iena_test.pcap`, 11],
  [`${C}/ptp/tcpdump_ptp.pcap`, 12],
  [`${C}/ch10udp/acranetwork_sample_ch10uart.pcap`, 13],
  [`${STD}/tcpdump_dns_udp.pcap`, 15],
  [`${STD}/tcpdump_ipv4_tcp_http_xml.pcap`, 16],
  [`${STD}/tcpdump_ssh.pcap`, 17],
  [`${STD}/tcpdump_ntp-control.pcap`, 18],
  [`${STD}/tcpdump_dhcp-rfc3004.pcap`, 19],
  [`${STD}/tcpdump_IGMP_V2.pcap`, 20],
  [`${STD}/tcpdump_tftp.pcap`, 21],
];
const START_NS = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z

const frames = [];
for (const [file, at] of PARTS) {
  const reader = await CaptureFileReader.open(file);
  let first = null;
  let last = null;
  try {
    do {
      for (let f = reader.next(); f !== null; f = reader.next()) {
        if (f.linkType !== 1) throw new Error(`${file}: only Ethernet captures go into the sample (link type ${f.linkType})`);
        let ts = BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNs);
        first ??= ts;
        // A part whose timestamps step back (a recorder's clock, a merged file) keeps its packet order:
        // sorted by time, its sequence numbers would be scrambled (false loss in the stream-health report).
        if (last !== null && ts < last) ts = last;
        last = ts;
        frames.push({ ts: START_NS + BigInt(Math.round(at * 1e9)) + (ts - first), data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.capLen)), wireLen: f.wireLen });
      }
    } while (await reader.fill());
  } catch (err) {
    if (!(err instanceof CaptureFileError && err.code === 'truncated')) throw err;
  } finally {
    await reader.close();
  }
}
frames.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)); // stable: equal times keep file order

const blocks = [];
function block(type, body) {
  const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  blocks.push(b);
}
function option(code, value) {
  const b = Buffer.alloc(4 + value.length + ((4 - (value.length % 4)) % 4));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}
const shb = Buffer.alloc(16);
shb.writeUInt32LE(0x1a2b3c4d, 0);
shb.writeUInt16LE(1, 4);
shb.writeBigInt64LE(-1n, 8);
block(0x0a0d0d0a, Buffer.concat([shb, option(4, Buffer.from('streamlens make-sample-capture')), Buffer.alloc(4)]));
const idb = Buffer.alloc(8);
idb.writeUInt16LE(1, 0); // Ethernet
idb.writeUInt32LE(65535, 4);
block(1, Buffer.concat([idb, option(2, Buffer.from('sample')), option(9, Buffer.from([9])), Buffer.alloc(4)]));
for (const f of frames) {
  const h = Buffer.alloc(20);
  h.writeUInt32LE(0, 0);
  h.writeUInt32LE(Number(f.ts >> 32n), 4);
  h.writeUInt32LE(Number(f.ts & 0xffffffffn), 8);
  h.writeUInt32LE(f.data.length, 12);
  h.writeUInt32LE(f.wireLen, 16);
  block(6, Buffer.concat([h, f.data]));
}
writeFileSync(values.out, Buffer.concat(blocks));
console.log(`${values.out}: ${frames.length} frames from ${PARTS.length} captures`);
