/**
 * One crafted frame per protocol feature the decoder handles, for the tshark
 * comparison, the truncation sweeps, the fuzz test and the benchmark mix.
 */
import {
  arp, dnsMessage, dnsOverTcp, ethernet, icmp, igmp, igmpV3Report, ipv4, ipv6, linuxSll, linuxSll2, nullHeader, TCP, tcp, udp,
} from './frames.js';

export interface CraftedFrame {
  name: string;
  linkType: number;
  data: Buffer;
  /** Length on the wire when the capture cut the frame (default data.length). */
  wireLen?: number;
}

const MSS = Buffer.from([0x02, 0x04, 0x05, 0xb4]);
const ROUTER_ALERT = Buffer.from([0x94, 0x04, 0x00, 0x00]);
const ptpSync = Buffer.from('1002002c00000000000000000000000000000000001b19fffe0000000001000000fd0000000000000000000000', 'hex');

const ip = (o: Partial<Parameters<typeof ipv4>[0]> & { proto: number }, p: Buffer) => ipv4({ src: '192.168.1.10', dst: '192.168.1.20', ...o }, p);
const eth4 = (p: Buffer, vlans?: { tpid?: number; vid: number }[]) => ethernet({ type: 0x0800, vlans, src: '00:11:22:33:44:55', dst: '66:77:88:99:aa:bb' }, p);
const eth6 = (p: Buffer) => ethernet({ type: 0x86dd, src: '00:11:22:33:44:55', dst: '33:33:00:00:00:01' }, p);

const httpGet = Buffer.from('GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: t\r\nhOsT:  example.org \r\nAccept: */*\r\n\r\n', 'latin1');
const httpPost = Buffer.from('POST /api/v1/items HTTP/1.0\r\nHost: api.example.com:8080\r\nContent-Length: 2\r\n\r\n{}', 'latin1');
const httpResp = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');

const dnsQuery = dnsMessage({ id: 0x1234, questions: [{ name: 'www.example.org', type: 1 }] });
const dnsAnswer = dnsMessage({ id: 0x1234, response: true, questions: [{ name: 'www.example.org', type: 1 }], answersA: ['93.184.216.34', '93.184.216.35'] });
const dnsNx = dnsMessage({ id: 0xbeef, response: true, rcode: 3, questions: [{ name: 'nope.example', type: 28 }] });
const mdnsQuery = dnsMessage({ id: 0, questions: [{ name: '_services._dns-sd._udp.local', type: 12 }] });

export const ETHERNET_FRAMES: CraftedFrame[] = [
  ['tcp syn with MSS', eth4(ip({ proto: 6, df: true }, tcp({ sport: 40000, dport: 443, seq: 0xfffffff0, flags: TCP.SYN, options: MSS })))],
  ['tcp syn,ack', eth4(ip({ proto: 6, df: true }, tcp({ sport: 443, dport: 40000, seq: 7, ack: 0xfffffff1, flags: TCP.SYN | TCP.ACK, window: 29200 })))],
  ['tcp psh,ack with data', eth4(ip({ proto: 6 }, tcp({ sport: 40000, dport: 5000, seq: 1, ack: 8, flags: TCP.PSH | TCP.ACK }, Buffer.from('hello tcp'))))],
  ['tcp fin,ack', eth4(ip({ proto: 6 }, tcp({ sport: 40000, dport: 443, flags: TCP.FIN | TCP.ACK })))],
  ['tcp rst', eth4(ip({ proto: 6 }, tcp({ sport: 40000, dport: 443, flags: TCP.RST, window: 0 })))],
  ['tcp every flag', eth4(ip({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: 0x1ff, urgent: 3 }, Buffer.from('x'))))],
  ['tcp ece,cwr,ns', eth4(ip({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: TCP.ECE | TCP.CWR | TCP.NS | TCP.SYN })))],
  ['udp', eth4(ip({ proto: 17, tos: 0xb8, ttl: 3 }, udp({ sport: 5000, dport: 6000 }, Buffer.from('udp payload bytes'))))],
  ['udp empty', eth4(ip({ proto: 17 }, udp({ sport: 5000, dport: 6000 })))],
  ['802.1Q udp', eth4(ip({ proto: 17 }, udp({ sport: 1, dport: 2 }, Buffer.from('vlan'))), [{ vid: 100 }])],
  ['QinQ 88a8/8100 udp', eth4(ip({ proto: 17 }, udp({ sport: 1, dport: 2 }, Buffer.from('qinq'))), [{ tpid: 0x88a8, vid: 10 }, { vid: 4000 }])],
  ['QinQ 9100/8100 tcp', eth4(ip({ proto: 6 }, tcp({ sport: 3, dport: 4, flags: TCP.ACK })), [{ tpid: 0x9100, vid: 7 }, { vid: 8 }])],
  ['ipv4 options (router alert + NOPs)', eth4(ip({ proto: 17, options: Buffer.concat([ROUTER_ALERT, Buffer.from([1, 1, 1, 0])]) }, udp({ sport: 9, dport: 9 }, Buffer.from('opt'))))],
  ['ipv4 first fragment (MF) of a udp datagram', eth4(ip({ proto: 17, mf: true, id: 0xabcd },
    Buffer.concat([Buffer.from([0x13, 0x88, 0x17, 0x70, 0x05, 0xdc, 0, 0]), Buffer.alloc(64, 0x41)])))],
  ['ipv4 later fragment', eth4(ip({ proto: 17, fragOffset: 1480, id: 0xabcd }, Buffer.alloc(100, 0x42)))],
  ['ipv4 last fragment with DF clear and reserved bit', eth4(ip({ proto: 6, fragOffset: 8, reservedFlag: true, id: 7 }, Buffer.alloc(12, 0x43)))],
  ['ipv4 gre (other protocol)', eth4(ip({ proto: 47 }, Buffer.from('0000080045000014', 'hex')))],
  ['icmp echo request', eth4(ip({ proto: 1 }, icmp(8, 0, Buffer.from('abcdefghijklmnop'))))],
  ['icmp echo reply', eth4(ip({ proto: 1 }, icmp(0, 0, Buffer.from('abcdefghijklmnop'))))],
  ['icmp port unreachable', eth4(ip({ proto: 1 }, icmp(3, 3, ip({ proto: 17, src: '192.168.1.20', dst: '192.168.1.10' }, udp({ sport: 53, dport: 33000 }, Buffer.alloc(8))), Buffer.alloc(4))))],
  ['arp request', ethernet({ type: 0x0806, dst: 'ff:ff:ff:ff:ff:ff', src: '00:11:22:33:44:55' }, arp({ op: 1, sha: '00:11:22:33:44:55', spa: '192.168.1.10', tha: '00:00:00:00:00:00', tpa: '192.168.1.1' }))],
  ['arp reply padded', ethernet({ type: 0x0806, src: '66:77:88:99:aa:bb', dst: '00:11:22:33:44:55' }, Buffer.concat([arp({ op: 2, sha: '66:77:88:99:aa:bb', spa: '192.168.1.1', tha: '00:11:22:33:44:55', tpa: '192.168.1.10' }), Buffer.alloc(18)]))],
  ['igmpv2 report', eth4(ip({ proto: 2, ttl: 1, dst: '239.1.2.3', options: ROUTER_ALERT }, igmp(0x16, '239.1.2.3')))],
  ['igmpv2 leave', eth4(ip({ proto: 2, ttl: 1, dst: '224.0.0.2', options: ROUTER_ALERT }, igmp(0x17, '239.1.2.3')))],
  ['igmp general query', eth4(ip({ proto: 2, ttl: 1, dst: '224.0.0.1' }, igmp(0x11, '0.0.0.0')))],
  ['igmpv3 query', eth4(ip({ proto: 2, ttl: 1, dst: '239.9.9.9', options: ROUTER_ALERT }, igmp(0x11, '239.9.9.9', true)))],
  ['igmpv3 report', eth4(ip({ proto: 2, ttl: 1, dst: '224.0.0.22', options: ROUTER_ALERT }, igmpV3Report(['239.1.1.1', '239.2.2.2'])))],
  ['dns query', eth4(ip({ proto: 17 }, udp({ sport: 53001, dport: 53 }, dnsQuery)))],
  ['dns response with compressed answers', eth4(ip({ proto: 17 }, udp({ sport: 53, dport: 53001 }, dnsAnswer)))],
  ['dns nxdomain', eth4(ip({ proto: 17 }, udp({ sport: 53, dport: 53001 }, dnsNx)))],
  ['dns over tcp', eth4(ip({ proto: 6 }, tcp({ sport: 53, dport: 40001, flags: TCP.PSH | TCP.ACK }, dnsOverTcp(dnsAnswer))))],
  ['mdns query', eth4(ip({ proto: 17, dst: '224.0.0.251' }, udp({ sport: 5353, dport: 5353 }, mdnsQuery)))],
  ['http get', eth4(ip({ proto: 6 }, tcp({ sport: 40002, dport: 80, flags: TCP.PSH | TCP.ACK }, httpGet)))],
  ['http post', eth4(ip({ proto: 6 }, tcp({ sport: 40003, dport: 80, flags: TCP.PSH | TCP.ACK }, httpPost)))],
  ['http response', eth4(ip({ proto: 6 }, tcp({ sport: 80, dport: 40002, flags: TCP.PSH | TCP.ACK }, httpResp)))],
  ['ipv6 udp', eth6(ipv6({ nextHeader: 17, tclass: 0x2e, flow: 0xabcde, hopLimit: 255 }, udp({ sport: 1000, dport: 2000 }, Buffer.from('six'))))],
  ['ipv6 tcp', eth6(ipv6({ nextHeader: 6 }, tcp({ sport: 1000, dport: 2000, flags: TCP.SYN })))],
  ['ipv6 hop-by-hop icmpv6 (MLD report)', eth6(ipv6({ nextHeader: 58, hopLimit: 1, ext: [{ type: 0, options: Buffer.from([5, 2, 0, 0]) }] }, icmp(143, 0, Buffer.alloc(20), Buffer.from([0, 0, 0, 1]))))],
  ['ipv6 routing header tcp', eth6(ipv6({ nextHeader: 6, ext: [{ type: 43, routingType: 0, segmentsLeft: 1 }] }, tcp({ sport: 1, dport: 2, flags: TCP.ACK })))],
  ['ipv6 destination options udp', eth6(ipv6({ nextHeader: 17, ext: [{ type: 60, options: Buffer.from([1, 4, 0, 0, 0, 0]) }] }, udp({ sport: 7, dport: 8 }, Buffer.from('dst'))))],
  ['ipv6 first fragment udp', eth6(ipv6({ nextHeader: 17, ext: [{ type: 44, offset: 0, more: true, id: 0x01020304 }] }, Buffer.concat([udp({ sport: 9, dport: 10, length: 3000 }), Buffer.alloc(64, 7)])))],
  ['ipv6 later fragment', eth6(ipv6({ nextHeader: 17, ext: [{ type: 44, offset: 1448, more: false, id: 0x01020304 }] }, Buffer.alloc(80, 8)))],
  ['ipv6 ah tcp', eth6(ipv6({ nextHeader: 6, ext: [{ type: 51 }] }, tcp({ sport: 11, dport: 12, flags: TCP.ACK }, Buffer.from('ah'))))],
  ['ipv6 hop+dst+routing+fragment chain', eth6(ipv6({ nextHeader: 17, ext: [{ type: 0 }, { type: 60 }, { type: 43 }, { type: 44, more: false, offset: 0, id: 5 }] }, udp({ sport: 13, dport: 14 }, Buffer.from('chain'))))],
  ['icmpv6 echo request', eth6(ipv6({ nextHeader: 58 }, icmp(128, 0, Buffer.from('ping6'))))],
  ['icmpv6 neighbor solicitation', eth6(ipv6({ nextHeader: 58, hopLimit: 255 }, icmp(135, 0, Buffer.from('20010db8000000000000000000000002', 'hex'), Buffer.alloc(4))))],
  ['ptp over ethernet (non-IP)', ethernet({ type: 0x88f7, dst: '01:1b:19:00:00:00', src: '00:11:22:33:44:55' }, ptpSync)],
  ['ptp over ethernet in a vlan', ethernet({ type: 0x88f7, dst: '01:1b:19:00:00:00', vlans: [{ vid: 5 }] }, ptpSync)],
  ['802.3 llc (stp)', ethernet({ type: 38, dst: '01:80:c2:00:00:00' }, Buffer.from('424203000000000080000011223344550000000080000011223344558001000014000200', 'hex').subarray(0, 38))],
  ['unknown ethertype', ethernet({ type: 0x88b5 }, Buffer.from('local experimental'))],
].map(([name, data]) => ({ name: name as string, linkType: 1, data: data as Buffer }));

/** The same network-layer packets behind every other link type. */
const innerV4 = ipv4({ proto: 17, src: '10.1.1.1', dst: '10.1.1.2' }, udp({ sport: 1111, dport: 2222 }, Buffer.from('inner v4')));
const innerV6 = ipv6({ nextHeader: 6 }, tcp({ sport: 3333, dport: 4444, flags: TCP.SYN | TCP.ACK }));
const innerArp = arp({ op: 1, sha: '00:11:22:33:44:55', spa: '10.1.1.1', tha: '00:00:00:00:00:00', tpa: '10.1.1.2' });
const vlanTag = (vid: number, type: number) => Buffer.from([vid >> 8, vid & 0xff, type >> 8, type & 0xff]);

export const OTHER_LINK_FRAMES: CraftedFrame[] = [
  { name: 'sll ipv4 udp', linkType: 113, data: linuxSll({ addr: '00:11:22:33:44:55', protocol: 0x0800 }, innerV4) },
  { name: 'sll ipv6 tcp', linkType: 113, data: linuxSll({ pktType: 4, addr: '00:11:22:33:44:55', protocol: 0x86dd }, innerV6) },
  { name: 'sll arp', linkType: 113, data: linuxSll({ pktType: 1, addr: '00:11:22:33:44:55', protocol: 0x0806 }, innerArp) },
  { name: 'sll vlan-tagged', linkType: 113, data: linuxSll({ addr: '00:11:22:33:44:55', protocol: 0x8100 }, Buffer.concat([vlanTag(42, 0x0800), innerV4])) },
  { name: 'sll loopback (no address)', linkType: 113, data: linuxSll({ hatype: 772, protocol: 0x0800 }, innerV4) },
  { name: 'sll2 ipv4 udp', linkType: 276, data: linuxSll2({ addr: '00:11:22:33:44:55', protocol: 0x0800 }, innerV4) },
  { name: 'sll2 ipv6 tcp', linkType: 276, data: linuxSll2({ addr: '00:11:22:33:44:55', protocol: 0x86dd, ifindex: 7 }, innerV6) },
  { name: 'sll2 arp', linkType: 276, data: linuxSll2({ addr: '00:11:22:33:44:55', protocol: 0x0806 }, innerArp) },
  { name: 'raw ipv4', linkType: 101, data: innerV4 },
  { name: 'raw ipv6', linkType: 101, data: innerV6 },
  { name: 'DLT_RAW 12 ipv4', linkType: 12, data: innerV4 },
  { name: 'DLT_RAW 14 ipv6', linkType: 14, data: innerV6 },
  { name: 'LINKTYPE_IPV4', linkType: 228, data: innerV4 },
  { name: 'LINKTYPE_IPV6', linkType: 229, data: innerV6 },
  { name: 'null little-endian AF_INET', linkType: 0, data: nullHeader(2, true, innerV4) },
  { name: 'null big-endian AF_INET', linkType: 0, data: nullHeader(2, false, innerV4) },
  { name: 'null AF_INET6 bsd (24)', linkType: 0, data: nullHeader(24, true, innerV6) },
  { name: 'null AF_INET6 freebsd (28) big-endian', linkType: 0, data: nullHeader(28, false, innerV6) },
  { name: 'null AF_INET6 darwin (30)', linkType: 0, data: nullHeader(30, true, innerV6) },
  { name: 'loop AF_INET', linkType: 108, data: nullHeader(2, false, innerV4) },
  { name: 'loop AF_INET6 (24)', linkType: 108, data: nullHeader(24, false, innerV6) },
];
