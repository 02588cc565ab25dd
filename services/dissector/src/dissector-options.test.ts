/** The dissector's options: flags, environment and config file, validation naming the bad key, and their effect. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, formatHelp, loadConfig } from '@streamlens/common';
import { dissectorOptions, dissectorSettings } from './dissector-options.js';

const dir = mkdtempSync(join(tmpdir(), 'streamlens-dissector-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return dissectorSettings(loadConfig(dissectorOptions, { argv, env }).config);
}

describe('dissector options', () => {
  it('defaults: nothing pinned, payload dropped, bounded memories on', () => {
    const s = load([]);
    expect(s).toMatchObject({ ch10Ports: [], ienaPorts: [], ptpPorts: [], keepPayload: false, ch10FlowMemory: 4096, tftpMemory: 1024, ienaSequenceMemory: 8192 });
    expect(s.ienaKeyTypes.size).toBe(0);
    expect(s.ch10Reassembly).toEqual({ maxOpenTransfers: 1024, maxBytes: 64 * 1024 * 1024, timeoutMs: 5000 });
  });

  it('repeatable port flags, environment lists and the payload switch', () => {
    const s = load(['--ch10-port', '2000', '--ch10-port', '5006', '--keep-payload', '--no-ch10-reassembly'], { STREAMLENS_IENA_PORT: '5548,5550' });
    expect(s.ch10Ports).toEqual([2000, 5006]);
    expect(s.ienaPorts).toEqual([5548, 5550]);
    expect(s.keepPayload).toBe(true);
    expect(s.ch10Reassembly).toBeNull();
  });

  it('the IENA key→type map comes from the config file', () => {
    const file = join(dir, 'dissector.yaml');
    writeFileSync(file, 'iena-key-types:\n  "0x2cfa": D\n  "41789": m\nptp-port: [3190]\nch10-reassembly-timeout: 2s\n');
    const s = load(['--config', file]);
    expect([...s.ienaKeyTypes].sort((a, b) => a[0] - b[0])).toEqual([[0x2cfa, 'D'], [41789, 'M']]);
    expect(s.ptpPorts).toEqual([3190]);
    expect(s.ch10Reassembly?.timeoutMs).toBe(2000);
  });

  it('bad values are refused with the option named', () => {
    expect(() => load(['--ch10-port', 'http'])).toThrow(ConfigError);
    expect(() => load(['--ch10-port', 'http'])).toThrow(/--ch10-port.*"http" is not a UDP port/);
    expect(() => load(['--iena-port', '70000'])).toThrow(/--iena-port/);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'iena-key-types:\n  "0x2cfa": I\n');
    expect(() => load(['--config', file])).toThrow(/iena-key-types.*"I"/);
    expect(() => load(['--ch10-port', '5000', '--iena-port', '5000'])).toThrow(/port 5000 is pinned twice/);
  });

  it('--help lists every flag and the config-file-only map', () => {
    const help = formatHelp('streamlens dissector [options]', 'dissector', dissectorOptions);
    for (const flag of ['--ch10-port', '--iena-port', '--ptp-port', '--keep-payload', '--ch10-flow-memory', '--tftp-memory']) expect(help).toContain(flag);
    expect(help).toContain('iena-key-types:');
  });
});
