/**
 * The systemd units in deploy/systemd: they pass `systemd-analyze verify`,
 * keep a low `systemd-analyze security` exposure, run `streamlens <service>`
 * with options the service declares, point at example files that the
 * service's own loader accepts, and hold the settings capture depends on.
 * test/deploy/agent-unit.test.ts runs the agent the way its unit does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultSpoolDir } from '@streamlens/capture-agent';
import { parseDuration } from './durations.js';
import {
  envVarsOf, flagsOf, loadServiceConfig, SERVICES, splitConfigArg, unknownFlags, type ServiceName,
} from './option-surface.js';
import { listSetting, parseEnvironmentFile, parseUnit, resolveSpecifiers, splitCommand, value, values, type Unit } from './systemd-unit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'deploy/systemd');
const LAUNCHER = join(ROOT, 'services/cli/bin/streamlens.js');
/** Where docs/deploy.md installs the launcher (a symlink to services/cli/bin/streamlens.js). */
const INSTALLED = '/usr/local/bin/streamlens';

interface UnitCase {
  file: string;
  service: ServiceName;
  /** Instance name used for template units: the service's default metrics port. */
  instance?: string;
  config: string;
}

const UNITS: UnitCase[] = [
  { file: 'streamlens-agent.service', service: 'agent', config: 'agent.yaml' },
  { file: 'streamlens-dissector@.service', service: 'dissector', instance: String(SERVICES.dissector.metricsPort.default), config: 'dissector.yaml' },
  { file: 'streamlens-aggregator@.service', service: 'aggregator', instance: String(SERVICES.aggregator.metricsPort.default), config: 'aggregator.yaml' },
];

const HAS_SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version']).status === 0;

function readUnit(file: string): Unit {
  return parseUnit(readFileSync(join(DIR, file), 'utf8'));
}

/** The unit as installed, for systemd-analyze: instance name filled in, the launcher where the symlink would be. */
function installedCopy(dir: string, c: UnitCase): string {
  const name = c.instance ? c.file.replace('@.', `@${c.instance}.`) : c.file;
  const text = readFileSync(join(DIR, c.file), 'utf8').replaceAll(`ExecStart=${INSTALLED} `, `ExecStart=${LAUNCHER} `);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Hardening every unit carries (none of it gets in the way of capture: agent-unit.test.ts). */
const REQUIRED_HARDENING: Record<string, string> = {
  NoNewPrivileges: 'yes',
  ProtectSystem: 'strict',
  ProtectHome: 'yes',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectControlGroups: 'yes',
  RestrictNamespaces: 'yes',
  RestrictSUIDSGID: 'yes',
  LockPersonality: 'yes',
  SystemCallArchitectures: 'native',
  SystemCallFilter: '@system-service',
  SystemCallErrorNumber: 'EPERM',
};

describe.each(UNITS)('$file', (c) => {
  const unit = readUnit(c.file);
  const execStart = values(unit, 'Service', 'ExecStart');
  const words = splitCommand(resolveSpecifiers(execStart[0] ?? '', { instance: c.instance, host: 'host1' }));

  it(`runs \`streamlens ${c.service}\` with flags the ${c.service} declares, and its config file`, () => {
    expect(execStart).toHaveLength(1);
    expect(words[0]).toBe(INSTALLED);
    expect(words[1]).toBe(c.service);
    const args = words.slice(2);
    expect(unknownFlags(flagsOf(SERVICES[c.service]), args)).toEqual([]);
    const { rest, config } = splitConfigArg(args);
    expect(config).toBe(`/etc/streamlens/${c.config}`);
    // The example config file, with the flags of the unit on top, is what the service would load.
    const configText = readFileSync(join(DIR, c.config), 'utf8');
    const loaded = loadServiceConfig(c.service, rest, {}, configText);
    if (c.instance) expect(loaded.metricsPort).toBe(Number(c.instance));
  });

  it('runs as the streamlens user with secrets from the EnvironmentFile, and restarts on failure', () => {
    expect(value(unit, 'Service', 'User')).toBe('streamlens');
    expect(value(unit, 'Service', 'Group')).toBe('streamlens');
    expect(value(unit, 'Service', 'DynamicUser')).toBeUndefined();
    expect(values(unit, 'Service', 'EnvironmentFile')).toContain('-/etc/streamlens/streamlens.env');
    expect(value(unit, 'Service', 'Restart')).toBe('on-failure');
    expect(parseDuration(value(unit, 'Service', 'RestartSec')!)).toBeGreaterThan(0);
    // A configuration error (exit 64) is not retried in a loop.
    expect(value(unit, 'Service', 'RestartPreventExitStatus')).toBe('64');
    expect(value(unit, 'Unit', 'StartLimitIntervalSec')).toBe('0');
    expect(value(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    expect(value(unit, 'Unit', 'After')).toContain('network-online.target');
    // SIGTERM drains: systemd must wait longer than the service's own drain.
    const drain = (SERVICES[c.service] as { drainTimeout?: { default: number } }).drainTimeout?.default ?? 0;
    expect(parseDuration(value(unit, 'Service', 'TimeoutStopSec')!)).toBeGreaterThan(drain);
  });

  it('carries the hardening settings, and none that break Node.js or the service', () => {
    for (const [key, want] of Object.entries(REQUIRED_HARDENING)) expect(value(unit, 'Service', key), key).toBe(want);
    // V8's JIT needs writable+executable memory; the services need the host's network.
    expect(value(unit, 'Service', 'MemoryDenyWriteExecute')).toBeUndefined();
    expect(value(unit, 'Service', 'PrivateNetwork')).toBeUndefined();
    expect(value(unit, 'Service', 'IPAddressDeny')).toBeUndefined();
    const families = listSetting(unit, 'Service', 'RestrictAddressFamilies');
    for (const f of ['AF_UNIX', 'AF_INET', 'AF_INET6']) expect(families).toContain(f);
  });

  it.skipIf(!HAS_SYSTEMD_ANALYZE)('passes systemd-analyze verify and keeps the security exposure low', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-units-'));
    try {
      const path = installedCopy(dir, c);
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
      const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', path], { encoding: 'utf8' });
      const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1]);
      // 0 is a fully sandboxed unit, 10 an unprotected one; the agent keeps AF_PACKET and CAP_NET_RAW.
      expect(exposure).toBeLessThanOrEqual(c.service === 'agent' ? 2.0 : 1.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('streamlens-agent.service: what live capture needs', () => {
  const unit = readUnit('streamlens-agent.service');

  it('grants CAP_NET_RAW as an ambient capability and bounds the process to it', () => {
    const ambient = listSetting(unit, 'Service', 'AmbientCapabilities');
    expect(ambient).toContain('CAP_NET_RAW');
    expect(new Set(listSetting(unit, 'Service', 'CapabilityBoundingSet'))).toEqual(new Set(ambient));
    for (const cap of ambient) expect(['CAP_NET_RAW', 'CAP_NET_ADMIN']).toContain(cap);
  });

  it('allows packet and netlink sockets (libpcap) and keeps the spool in its StateDirectory', () => {
    const families = listSetting(unit, 'Service', 'RestrictAddressFamilies');
    expect(families).toContain('AF_PACKET');
    expect(families).toContain('AF_NETLINK');
    expect(value(unit, 'Service', 'PrivateUsers')).toBeUndefined();
    // Under ProtectSystem=strict only the StateDirectory is writable: the agent's default spool must be in it.
    expect(value(unit, 'Service', 'StateDirectory')).toBe('streamlens');
    expect(defaultSpoolDir({ STATE_DIRECTORY: '/var/lib/streamlens' })).toBe('/var/lib/streamlens/spool');
    expect(listSetting(unit, 'Service', 'ReadWritePaths')).toEqual([]);
  });
});

describe('dissector and aggregator units', () => {
  it.each(['streamlens-dissector@.service', 'streamlens-aggregator@.service'])('%s holds no capabilities', (file) => {
    const unit = readUnit(file);
    expect(listSetting(unit, 'Service', 'CapabilityBoundingSet')).toEqual([]);
    expect(values(unit, 'Service', 'CapabilityBoundingSet')).toEqual(['']);
    expect(listSetting(unit, 'Service', 'AmbientCapabilities')).toEqual([]);
    expect(value(unit, 'Service', 'PrivateUsers')).toBe('yes');
  });
});

describe('files next to the units', () => {
  it('the example EnvironmentFile only sets variables the services read', () => {
    const env = parseEnvironmentFile(readFileSync(join(DIR, 'streamlens.env.example'), 'utf8'));
    const known = new Set(Object.values(SERVICES).flatMap((s) => [...envVarsOf(s)]));
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const name of Object.keys(env)) expect(known, name).toContain(name);
    // And each service accepts them (a secret set for another service is simply unused).
    for (const service of Object.keys(SERVICES) as ServiceName[]) {
      const own = Object.fromEntries(Object.entries(env).filter(([k]) => envVarsOf(SERVICES[service]).has(k)));
      const args = service === 'agent' ? ['--iface', 'eth1'] : [];
      expect(() => loadServiceConfig(service, args, own)).not.toThrow();
    }
  });

  it('the sysusers.d file creates the user the units run as', () => {
    const line = readFileSync(join(DIR, 'streamlens.sysusers.conf'), 'utf8').split('\n').find((l) => l.startsWith('u '));
    const [, name, id, , home] = splitCommand(line!);
    expect(name).toBe('streamlens');
    expect(id).toBe('-');
    expect(home).toBe('/var/lib/streamlens');
    for (const c of UNITS) expect(value(readUnit(c.file), 'Service', 'User')).toBe(name);
  });

  it.skipIf(!HAS_SYSTEMD_ANALYZE)('systemd-analyze parses the durations the tests read the same way', () => {
    // parseDuration (used above) must agree with systemd on the forms the units use.
    const out = execFileSync('systemd-analyze', ['timespan', '150s', '5s', '60s'], { encoding: 'utf8' });
    const micros = [...out.matchAll(/μs: (\d+)/g)].map((m) => Number(m[1]));
    expect(micros).toEqual([150e6, 5e6, 60e6]);
    expect([parseDuration('150s'), parseDuration('5s'), parseDuration('60s')]).toEqual([150_000, 5000, 60_000]);
  });
});
