/**
 * Live capture through cap (libpcap) into Kafka: traffic the test sends on
 * loopback and over a veth pair into a network namespace it creates comes out
 * of the packets topic frame for frame. Only loopback and the test's own
 * namespace see any traffic.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, topicNames, type PacketBatch, type PacketRecord } from '@streamlens/common';
import { testBrokers, uniqueName } from '../../../../test/harness/context.js';
import { decodeBatch, readTopic } from '../../test-fixtures/topic-reader.js';
import { agentOptions, checkAgentConfig } from '../agent-options.js';
import { AgentService } from '../agent-service.js';
import { LiveCapture, nonPromiscuousFilter } from './live-capture.js';

const logger = createLogger({ service: 'agent-test', level: process.env.AGENT_TEST_LOG ? 'info' : 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function agentFor(argv: string[]): AgentService {
  const loaded = loadConfig(agentOptions, {
    argv: ['--metrics-port', '0', '--topic-replication', '1', '--create-topics', '--topic-partitions', '2', '--linger', '20ms',
      '--kafka-brokers', testBrokers()[0], '--spool-dir', mkdtempSync(join(tmpdir(), 'spool-')), '--agent-id', 'live-test', ...argv],
    env: {},
  });
  checkAgentConfig(loaded);
  return new AgentService(loaded.config, { logger });
}

interface Published { iface: string; tsNs: bigint; r: PacketRecord; b: PacketBatch }

async function published(prefix: string): Promise<Published[]> {
  const out: Published[] = [];
  for (const m of await readTopic(testBrokers(), topicNames(prefix).packets)) {
    const b = decodeBatch(m);
    expect(m.key).toBe(`live-test/${b.interface}`);
    for (const r of b.records) out.push({ iface: b.interface, tsNs: b.base_ts_ns + BigInt(r.ts_offset_ns), r, b });
  }
  return out;
}

function sendUdp(port: number, host: string, payloads: Buffer[]): Promise<void> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    let i = 0;
    const next = () => {
      if (i === payloads.length) {
        s.close();
        resolve();
        return;
      }
      s.send(payloads[i++], port, host, (err) => (err ? reject(err) : setImmediate(next)));
    };
    next();
  });
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

describe('live capture (cap, real Kafka)', () => {
  it('captures UDP and a TCP conversation on loopback, frame for frame', async () => {
    const prefix = uniqueName('live');
    const udpPort = 40000 + Math.floor(Math.random() * 10000);
    const server = createServer((sock) => sock.on('data', (d) => sock.write(Buffer.concat([Buffer.from('echo:'), d]))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tcpPort = (server.address() as { port: number }).port;
    const agent = agentFor(['--topic-prefix', prefix, '--iface', 'lo', '--filter', `udp port ${udpPort} or tcp port ${tcpPort}`, '--snaplen', '200']);
    await agent.start();
    const t0 = nowNs();
    const payloads = Array.from({ length: 200 }, (_, i) => Buffer.concat([Buffer.from(`datagram ${i} `), randomBytes(i * 3)]));
    await sendUdp(udpPort, '127.0.0.1', payloads);
    const client = createConnection(tcpPort, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', r));
    const reply = new Promise<Buffer>((r) => client.once('data', r));
    client.write('hello over tcp');
    expect((await reply).toString()).toBe('echo:hello over tcp');
    client.end();
    await sleep(300);
    const t1 = nowNs();
    await agent.stop();
    server.close();

    const all = await published(prefix);
    const udp = all.filter((p) => p.r.ip_proto === 17);
    expect(udp).toHaveLength(payloads.length);
    udp.sort((a, b) => a.r.frame_no - b.r.frame_no);
    udp.forEach(({ r, tsNs, b, iface }, i) => {
      const p = payloads[i];
      expect(iface).toBe('lo');
      expect(b.link_type).toBe(1);
      expect(r).toMatchObject({ ethertype: 0x0800, ip_version: 4, src_port: expect.any(Number), dst_port: udpPort, payload_len: p.length, decode_error: null });
      expect(r.src_ip).toEqual(Buffer.from([127, 0, 0, 1]));
      expect(r.dst_ip).toEqual(Buffer.from([127, 0, 0, 1]));
      // Wire length is the full frame; --snaplen 200 cut what the decoder saw.
      expect(r.wire_len).toBe(14 + 20 + 8 + p.length);
      expect(r.cap_len).toBe(Math.min(200, r.wire_len));
      expect(r.payload).toEqual(p.subarray(0, Math.max(0, 200 - 42)));
      expect(tsNs >= t0 - 1_000_000n && tsNs <= t1 + 1_000_000n).toBe(true);
      if (i > 0) expect(tsNs >= udp[i - 1].tsNs).toBe(true);
    });
    const tcp = all.filter((p) => p.r.ip_proto === 6).sort((a, b) => a.r.frame_no - b.r.frame_no);
    expect(tcp[0].r).toMatchObject({ dst_port: tcpPort, tcp_flags_str: 'SYN' });
    expect(tcp[1].r).toMatchObject({ src_port: tcpPort, tcp_flags_str: 'SYN,ACK' });
    const toServer = Buffer.concat(tcp.filter((p) => p.r.dst_port === tcpPort).map((p) => p.r.payload)).toString();
    const toClient = Buffer.concat(tcp.filter((p) => p.r.src_port === tcpPort).map((p) => p.r.payload)).toString();
    expect(toServer).toBe('hello over tcp');
    expect(toClient).toBe('echo:hello over tcp');
    expect(tcp.some((p) => p.r.tcp_flags_str.includes('FIN'))).toBe(true);
    // Frame numbers count every captured frame of the interface, once each.
    const frames = all.map((p) => p.r.frame_no).sort((a, b) => a - b);
    expect(frames).toEqual(frames.map((_, i) => i + 1));
    expect(agent.metrics.captured.labels('lo').value).toBe(all.length);
    // Interface drops come from /sys/class/net/lo/statistics (cap has no pcap_stats).
    expect(agent.metrics.pcapIfDropped.get('lo')).toBe(0);
    expect(agent.metrics.registry.render()).toMatch(/^streamlens_agent_pcap_ifdropped\{interface="lo"\} 0$/m);
  });

  it('captures on "any" through the Linux cooked header', async () => {
    const prefix = uniqueName('any');
    const port = 43000 + Math.floor(Math.random() * 9000);
    const agent = agentFor(['--topic-prefix', prefix, '--iface', 'any', '--filter', `udp port ${port}`]);
    await agent.start();
    await sendUdp(port, '127.0.0.1', Array.from({ length: 20 }, (_, i) => Buffer.from(`any ${i}`)));
    await sleep(300);
    await agent.stop();
    const all = await published(prefix);
    // On "any", loopback frames are seen once (the kernel hands them up once).
    expect(all.map((p) => p.r.payload.toString()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `any ${i}`).sort());
    for (const p of all) {
      expect(p.iface).toBe('any');
      expect(p.b.link_type).toBe(113);
      expect(p.r).toMatchObject({ ethertype: 0x0800, dst_port: port, decode_error: null });
    }
  });

  describe('on a veth pair into a namespace the test creates', () => {
    const tag = randomBytes(3).toString('hex');
    const ns = `slns${tag}`;
    const host = `slh${tag}`;
    const peer = `slp${tag}`;
    const net = `10.${200 + (parseInt(tag.slice(0, 2), 16) % 50)}.${parseInt(tag.slice(2, 4), 16)}`;
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    let usable = true;

    beforeAll(() => {
      if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) {
        usable = false;
        return;
      }
      ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
      ip('link', 'set', peer, 'netns', ns);
      ip('addr', 'add', `${net}.1/24`, 'dev', host);
      ip('link', 'set', host, 'up');
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${net}.2/24`, 'dev', peer);
      ip('netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up');
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
      // A neighbour that does not exist: frames to it carry a MAC that is not ours.
      ip('netns', 'exec', ns, 'ip', 'neigh', 'add', `${net}.3`, 'lladdr', '02:de:ad:be:ef:03', 'dev', peer);
    });

    afterAll(() => {
      spawnSync('ip', ['link', 'del', host]);
      spawnSync('ip', ['netns', 'del', ns]);
    });

    /** Send UDP datagrams from inside the namespace. */
    function sendFromNamespace(dst: string, port: number, count: number): void {
      const script = `const s=require('dgram').createSocket('udp4');let i=0;const n=()=>{if(i===${count})return s.close();s.send(Buffer.from('from-ns '+(i++)),${port},'${dst}',()=>setImmediate(n));};n();`;
      execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: 'pipe' });
    }

    it('captures two interfaces at once, each with its own key, link type and frame numbers', async () => {
      if (!usable) return expect.fail('cannot create a network namespace here (needs root)');
      const prefix = uniqueName('live2');
      const port = 41000 + Math.floor(Math.random() * 9000);
      const agent = agentFor(['--topic-prefix', prefix, '--iface', 'lo', '--iface', host, '--filter', `udp port ${port}`]);
      await agent.start();
      await sendUdp(port, '127.0.0.1', Array.from({ length: 30 }, (_, i) => Buffer.from(`lo ${i}`)));
      sendFromNamespace(`${net}.1`, port, 40);
      await sleep(300);
      await agent.stop();
      const all = await published(prefix);
      const onLo = all.filter((p) => p.iface === 'lo');
      const onVeth = all.filter((p) => p.iface === host);
      expect(onLo.map((p) => p.r.payload.toString()).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `lo ${i}`).sort());
      expect(onVeth.map((p) => p.r.payload.toString()).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `from-ns ${i}`).sort());
      for (const p of onVeth) {
        expect(p.r.src_ip).toEqual(Buffer.from(`${net}.2`.split('.').map(Number)));
        expect(p.b.link_type).toBe(1);
      }
      expect(onVeth.map((p) => p.r.frame_no).sort((a, b) => a - b)).toEqual(onVeth.map((_, i) => i + 1));
      expect(onLo.map((p) => p.r.frame_no).sort((a, b) => a - b)).toEqual(onLo.map((_, i) => i + 1));
    });

    it('--no-promisc keeps only what the host sends or would receive', async () => {
      if (!usable) return expect.fail('cannot create a network namespace here (needs root)');
      const port = 42000 + Math.floor(Math.random() * 9000);
      const run = async (promisc: boolean) => {
        const prefix = uniqueName('promisc');
        const agent = agentFor(['--topic-prefix', prefix, '--iface', host, '--filter', `udp port ${port}`, ...(promisc ? [] : ['--no-promisc'])]);
        await agent.start();
        sendFromNamespace(`${net}.3`, port, 10); // to a MAC that is not the host's
        sendFromNamespace(`${net}.1`, port, 5); // to the host
        await sleep(300);
        await agent.stop();
        return (await published(prefix)).map((p) => p.r.dst_ip.join('.'));
      };
      const seenPromisc = await run(true);
      const seenNot = await run(false);
      expect(seenPromisc.filter((d) => d === `${net}.3`)).toHaveLength(10);
      expect(seenPromisc.filter((d) => d === `${net}.1`)).toHaveLength(5);
      expect(seenNot).toEqual(Array(5).fill(`${net}.1`));
    });
  });

  it('says which interfaces exist when asked for one that does not, and rejects a bad filter', async () => {
    const bad = new LiveCapture({ interfaces: ['nosuch0'], filter: '', snaplen: 65535, promisc: true, bufferSize: 1 << 20, logger });
    await expect(bad.start(() => () => {})).rejects.toThrow(/cannot capture on nosuch0: .*interfaces: .*\blo\b/);
    const filter = new LiveCapture({ interfaces: ['lo'], filter: 'port nonsense and', snaplen: 65535, promisc: true, bufferSize: 1 << 20, logger });
    await expect(filter.start(() => () => {})).rejects.toThrow(/cannot capture on lo: /);
  });

  it('builds the non-promiscuous kernel filter from the interface address', () => {
    expect(nonPromiscuousFilter('lo', 'udp')).toBe('(ether dst 00:00:00:00:00:00 or ether src 00:00:00:00:00:00 or ether broadcast or ether multicast) and (udp)');
    expect(nonPromiscuousFilter('any', 'tcp')).toBe('tcp');
    expect(nonPromiscuousFilter('nosuch0', '')).toBe('');
  });
});
