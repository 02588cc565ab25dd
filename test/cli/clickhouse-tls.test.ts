/**
 * ClickHouse over https with a CA of one's own, as a deployment behind a
 * TLS-terminating proxy has it: the test ClickHouse server behind an HTTPS
 * proxy (node:https) whose certificate the test CA signed. `streamlens
 * migrate` and `streamlens sql` connect with --clickhouse-tls-ca; trusting
 * only the system CAs or another CA they fail; the option with an http URL
 * or a missing file is a usage error (exit 64).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouseUrl, testSqlClient, uniqueName } from '../harness/context.js';

const BIN = fileURLToPath(new URL('../../services/cli/bin/streamlens.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'streamlens-ch-tls-'));
const database = uniqueName('tls');
let proxy: Server;
let url = '';

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA and a server certificate for 127.0.0.1 signed by it; and a second, unrelated CA. */
function makeCertificates(): void {
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
}

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

const tls = (ca: string | null = 'ca') => ['--clickhouse-url', url, ...(ca ? ['--clickhouse-tls-ca', join(dir, `${ca}.pem`)] : [])];

beforeAll(async () => {
  makeCertificates();
  const upstream = new URL(testClickHouseUrl());
  proxy = createServer({
    key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')),
  }, (req, res) => {
    const up = httpRequest({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  const sql = testSqlClient();
  await sql.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClickHouse over TLS', () => {
  it('migrate and sql connect trusting the CA given', async () => {
    const m = await cli(['migrate', ...tls(), '--database', database]);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toContain(`database ${database}: applied`);
    const q = await cli(['sql', ...tls(), '--database', database, '--format', 'CSV', `SELECT count() FROM ${database}.schema_migrations`]);
    expect(q.code, q.err).toBe(0);
    expect(Number(q.out.trim())).toBeGreaterThan(0);
  }, 60_000);

  it('fail trusting only the system CAs, or another CA', async () => {
    const system = await cli(['sql', ...tls(null), 'SELECT 1']);
    expect(system.code).not.toBe(0);
    expect(system.err).toMatch(/certificate/i);
    const otherCa = await cli(['sql', ...tls('other-ca'), 'SELECT 1']);
    expect(otherCa.code).not.toBe(0);
    expect(otherCa.err).toMatch(/certificate/i);
  }, 60_000);

  it('refuse the CA option with an http URL or a missing file as usage errors', async () => {
    const plain = await cli(['migrate', '--clickhouse-url', testClickHouseUrl(), '--clickhouse-tls-ca', join(dir, 'ca.pem')]);
    expect(plain.code).toBe(64);
    expect(plain.err).toContain('https://');
    const missing = await cli(['migrate', ...tls().map((a) => a.replace('ca.pem', 'nope.pem'))]);
    expect(missing.code).toBe(64);
    expect(missing.err).toContain('nope.pem');
  }, 60_000);
});
