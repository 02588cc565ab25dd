import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatHelp, formatMarkdown, loadConfig, opt, parseDuration, parseSize } from './index.js';

const specs = {
  iface: opt.list({ doc: 'interface to capture on', default: [] as string[] }),
  snaplen: opt.int({ doc: 'snap length', default: 262144, min: 64, max: 262144 }),
  promisc: opt.bool({ doc: 'promiscuous mode', default: true }),
  linger: opt.duration({ doc: 'batch linger', default: 100 }),
  spoolSize: opt.size({ doc: 'spool bound', default: 1 << 30 }),
  pace: opt.enum({ doc: 'replay pace', choices: ['max', '1x', '10x'] as const, default: 'max' }),
  brokers: opt.list({ doc: 'brokers', default: ['127.0.0.1:9092'], envAliases: ['KAFKA_BROKERS'] }),
  password: opt.string({ doc: 'secret', secret: true }),
  ienaTypes: opt.object<Record<string, string>>({ doc: 'IENA key to type map' }),
};

function tmpFile(name: string, text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cfg-')), name);
  writeFileSync(f, text);
  return f;
}

describe('loadConfig', () => {
  it('takes defaults, then the file, then the environment, then flags', () => {
    const file = tmpFile('agent.yaml', 'snaplen: 1500\nlinger: 2s\niena-types:\n  "0x2cfa": D\npromisc: false\n');
    const none = loadConfig(specs, { argv: [], env: {} });
    expect(none.config).toMatchObject({ snaplen: 262144, promisc: true, linger: 100, pace: 'max', iface: [] });
    expect(none.sources.snaplen).toBe('default');
    const f = loadConfig(specs, { argv: ['--config', file], env: {} });
    expect(f.config).toMatchObject({ snaplen: 1500, linger: 2000, promisc: false, ienaTypes: { '0x2cfa': 'D' } });
    const e = loadConfig(specs, { argv: ['-c', file], env: { STREAMLENS_SNAPLEN: '9000', KAFKA_BROKERS: 'a:1, b:2' } });
    expect(e.config.snaplen).toBe(9000);
    expect(e.config.brokers).toEqual(['a:1', 'b:2']);
    const fl = loadConfig(specs, { argv: ['-c', file, '--snaplen', '128', '--iface', 'eth0', '--iface', 'eth1', '--promisc'], env: { STREAMLENS_SNAPLEN: '9000' } });
    expect(fl.config).toMatchObject({ snaplen: 128, iface: ['eth0', 'eth1'], promisc: true });
    expect(loadConfig(specs, { argv: ['--no-promisc'], env: {} }).config.promisc).toBe(false);
  });

  it('names the bad key and where it came from', () => {
    expect(() => loadConfig(specs, { argv: ['--snaplen', 'abc'], env: {} })).toThrow(/--snaplen: expected an integer, got "abc"/);
    expect(() => loadConfig(specs, { argv: ['--snaplen', '10'], env: {} })).toThrow(/--snaplen: must be at least 64/);
    expect(() => loadConfig(specs, { argv: [], env: { STREAMLENS_LINGER: 'soon' } })).toThrow(/environment STREAMLENS_LINGER: expected a duration/);
    const file = tmpFile('bad.yaml', 'pace: 3x\n');
    expect(() => loadConfig(specs, { argv: ['-c', file], env: {} })).toThrow(new RegExp(`config file ${file}: pace: expected one of max, 1x, 10x`));
    const unknown = tmpFile('unknown.yaml', 'snaplenn: 5\n');
    expect(() => loadConfig(specs, { argv: ['-c', unknown], env: {} })).toThrow(/unknown option "snaplenn"/);
    expect(() => loadConfig(specs, { argv: ['--nope'], env: {} })).toThrow(ConfigError);
    expect(() => loadConfig(specs, { argv: ['-c', '/nonexistent.yaml'], env: {} })).toThrow(/cannot read config file/);
  });

  it('parses durations and sizes with units', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('16MiB')).toBe(16 * 1024 * 1024);
    expect(parseSize('2GB')).toBe(2e9);
    expect(() => parseSize('12 parsecs')).toThrow(/unknown size unit/);
  });

  it('documents every option in --help and in markdown, without secrets', () => {
    const help = formatHelp('streamlens agent [options]', 'Capture.', specs);
    for (const f of ['--iface', '--snaplen', '--promisc', '--linger', '--spool-size', '--pace', '--brokers', '--password']) expect(help).toContain(f);
    expect(help).toContain('[env STREAMLENS_SNAPLEN]');
    expect(help).toContain('iena-types: IENA key to type map');
    const md = formatMarkdown(specs);
    expect(md.split('\n')).toHaveLength(2 + Object.keys(specs).length);
  });
});
