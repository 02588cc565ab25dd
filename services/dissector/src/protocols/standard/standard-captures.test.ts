/**
 * Standard protocols on real traffic (tcpdump's test captures, see
 * services/dissector/test-fixtures/standard/README.md): every frame through
 * the capture agent's decoder and a default Dissector, compared with tshark
 * frame by frame: the protocol (the last of tshark's frame.protocols this
 * vocabulary names) and the message code.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaptureRecords } from '../../../test-support/capture-records.js';
import { hasTshark, tsharkFields } from '../../../test-support/tshark.js';
import { Dissector } from '../../dissect.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../test-fixtures/standard');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();

const TSHARK_NAMES: Record<string, string> = {
  dhcp: 'DHCP', dhcpv6: 'DHCPv6', ntp: 'NTP', tftp: 'TFTP', ssh: 'SSH', igmp: 'IGMP', icmpv6: 'ICMPv6', icmp: 'ICMP',
  arp: 'ARP', dns: 'DNS', http: 'HTTP', tcp: 'TCP', udp: 'UDP',
};
/** tshark field holding the message code we put in app.code, per frame type. */
const CODE_FIELDS: Record<string, string> = {
  DHCP: 'dhcp.option.dhcp', DHCPv6: 'dhcpv6.msgtype', NTP: 'ntp.flags.mode', TFTP: 'tftp.opcode', IGMP: 'igmp.type',
  ICMPv6: 'icmpv6.type', ICMP: 'icmp.type', ARP: 'arp.opcode',
};

function tsharkFrameType(protocols: string): string {
  const tokens = protocols.split(':');
  for (let i = tokens.length - 1; i >= 0; i--) if (TSHARK_NAMES[tokens[i]]) return TSHARK_NAMES[tokens[i]];
  return 'OTHER';
}

describe.runIf(hasTshark())('standard protocols on real captures, frame by frame against tshark', () => {
  it.each(FILES)('%s', async (name) => {
    const path = join(DIR, name);
    const { batch } = await readCaptureRecords(path);
    const out = new Dissector().dissectBatch(batch).records;
    const fields = Object.values(CODE_FIELDS);
    const rows = tsharkFields(path, ['frame.protocols', '_ws.malformed', 'tcp.analysis.retransmission', ...fields]);
    expect(out).toHaveLength(rows.length);
    let codes = 0;
    out.forEach((r, i) => {
      const [protocols, malformed, retransmission] = rows[i];
      if (retransmission !== '' && r.classified_by === 'port') {
        // tshark does not dissect a retransmitted segment again; by port it is still that protocol.
        expect(tsharkFrameType(protocols), `frame ${i + 1}`).toBe('TCP');
        return;
      }
      const expected = tsharkFrameType(protocols);
      expect(r.frame_type, `frame ${i + 1}: tshark ${protocols}`).toBe(expected);
      // A datagram tshark calls malformed is malformed here too, and nothing else is.
      expect(r.errors, `frame ${i + 1}`).toEqual(malformed !== '' ? [`${r.app?.protocol ?? expected.toLowerCase()}.malformed`] : []);
      const field = CODE_FIELDS[expected];
      if (field && r.app) {
        const value = rows[i][3 + fields.indexOf(field)].split(',')[0];
        expect(r.app.code, `frame ${i + 1} ${field}`).toBe(Number(value));
        codes++;
      }
    });
    if (out.some((r) => CODE_FIELDS[r.frame_type])) expect(codes).toBeGreaterThan(0);
  });

  it('the TFTP transfer between ephemeral ports is recognised from its request', async () => {
    const { batch } = await readCaptureRecords(join(DIR, 'tcpdump_tftp.pcap'));
    const out = new Dissector().dissectBatch(batch).records;
    expect(out.map((r) => r.app?.message)).toContain('DATA');
    expect(out.every((r) => r.frame_type === 'TFTP')).toBe(true);
  });
});
