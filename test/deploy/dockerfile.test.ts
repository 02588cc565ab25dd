/**
 * deploy/docker/Dockerfile, checked against the repository without a Docker
 * engine: the stages and their order, pinned base images, the README's
 * agent-only install command in the agent image and no chdb in it, the full
 * image's `npm ci` + `npm run build`, the paths it copies and runs, the
 * libpcap packages cap needs, a non-root user, and a .dockerignore that keeps
 * out build output but nothing the build reads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { splitCommand } from './systemd-unit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Instruction { op: string; args: string; line: number }
interface Stage { name: string; from: string; instructions: Instruction[] }

/** Instructions of a Dockerfile: continuation lines joined, comments and parser directives dropped. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i])) continue; // comments inside a continued instruction are skipped by Docker too
      line = line.replace(/\\\s*$/, ' ') + lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: ${line}`);
    instructions.push({ op: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 });
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      stages.push({ name: m[2] ?? String(stages.length), from: m[1], instructions: [] });
    } else if (stages.length === 0) {
      expect(ins.op, 'only ARG may come before the first FROM').toBe('ARG');
      const [k, v] = ins.args.split('=');
      args.set(k, v);
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { args, stages };
}

const DOCKERFILE = parseDockerfile(readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8'));
const stage = (name: string): Stage => {
  const s = DOCKERFILE.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const runs = (s: Stage): string[] => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
/** Shell commands of a stage's RUN instructions, split at && and ;. */
const commands = (s: Stage): string[][] => runs(s).flatMap((r) => r.split(/&&|;/)).map((c) => splitCommand(c.trim())).filter((c) => c.length);

/** The base image of a stage, with the build args resolved. */
function baseImage(s: Stage): string {
  return s.from.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => DOCKERFILE.args.get(name) ?? '');
}

/** The stage a stage builds on, through FROM <stage>. */
function parentChain(s: Stage): string[] {
  const chain = [s.name];
  let from = s.from;
  for (let guard = 0; guard < 10; guard++) {
    const parent = DOCKERFILE.stages.find((x) => x.name === from);
    if (!parent) break;
    chain.push(parent.name);
    from = parent.from;
  }
  return chain;
}

describe('deploy/docker/Dockerfile', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };

  it('builds the agent and full images in stages from a pinned Node image that meets the engines field', () => {
    expect(DOCKERFILE.stages.map((s) => s.name)).toEqual(['toolchain', 'agent-build', 'full-build', 'runtime', 'agent', 'full']);
    const node = DOCKERFILE.args.get('NODE_IMAGE')!;
    const m = /^node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/.exec(node);
    expect(m, `${node} is not an exact node:x.y.z-bookworm-slim`).not.toBeNull();
    const [, major, minor] = m!.map(Number);
    const min = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.map(Number);
    expect(major > min[1] || (major === min[1] && minor >= min[2])).toBe(true);
    for (const s of DOCKERFILE.stages) {
      const base = baseImage(s);
      if (DOCKERFILE.stages.some((x) => x.name === base)) continue;
      expect(base, s.name).toBe(node);
    }
    expect(parentChain(stage('agent'))).toEqual(['agent', 'runtime']);
    expect(parentChain(stage('agent-build'))).toEqual(['agent-build', 'toolchain']);
  });

  it('installs the agent image with the README\'s agent-only command: no chdb, no embedded mode', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const readmeCommand = /^\s*(npm ci -w @streamlens\/cli --include-workspace-root)$/m.exec(readme)?.[1];
    expect(readmeCommand, 'the README shows the agent-only install').toBeDefined();
    const npm = commands(stage('agent-build')).filter((c) => c[0] === 'npm');
    const ci = npm.find((c) => c[1] === 'ci')!;
    expect(ci.slice(0, splitCommand(readmeCommand!).length)).toEqual(splitCommand(readmeCommand!));
    expect(ci.slice(splitCommand(readmeCommand!).length).every((w) => ['--no-audit', '--no-fund'].includes(w))).toBe(true);
    const text = runs(stage('agent-build')).join(' ');
    expect(text).not.toMatch(/embedded|chdb/);
    expect(npm.map((c) => c.slice(0, 3).join(' '))).toEqual(['npm ci -w', 'npm run build', 'npm prune --omit=dev']);
  });

  it('builds the full image with npm ci and npm run build, including the embedded workspace', () => {
    const npm = commands(stage('full-build')).filter((c) => c[0] === 'npm');
    expect(npm.map((c) => c.slice(0, 2).join(' '))).toEqual(['npm ci', 'npm run', 'npm prune']);
    const ci = npm[0];
    const workspaces = ci.flatMap((w, i) => (w === '-w' ? [ci[i + 1]] : []));
    const declared = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces
      .map((dir) => (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string }).name);
    for (const w of workspaces) expect(declared).toContain(w);
    expect(workspaces).toEqual(['@streamlens/cli', '@streamlens/embedded']);
    // chdb comes with the embedded workspace.
    const embedded = JSON.parse(readFileSync(join(ROOT, 'services/embedded/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(embedded.dependencies.chdb).toBeDefined();
    expect(npm[1]).toEqual(['npm', 'run', 'build']);
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build).toBeDefined();
  });

  it('builds cap against libpcap-dev and runs it with libpcap0.8', () => {
    const aptInstall = (s: Stage) => commands(s).filter((c) => c[0] === 'apt-get' && c[1] === 'install').flatMap((c) => c.slice(2).filter((w) => !w.startsWith('-')));
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain('libpcap-dev');
    expect(aptInstall(stage('toolchain'))).toEqual(expect.arrayContaining(['libpcap-dev', 'python3', 'make', 'g++']));
    expect(aptInstall(stage('runtime'))).toEqual(['libpcap0.8']);
    const capDeps = readFileSync(join(ROOT, 'services/capture-agent/package.json'), 'utf8');
    expect(capDeps).toContain('"cap"');
  });

  it('copies and runs paths that exist, as a non-root user, with streamlens as the entry point', () => {
    for (const s of DOCKERFILE.stages) {
      for (const ins of s.instructions.filter((i) => i.op === 'COPY')) {
        const words = splitCommand(ins.args);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        if (from) {
          expect(DOCKERFILE.stages.map((x) => x.name), `COPY --from=${from}`).toContain(from);
          expect(paths[0]).toBe('/opt/streamlens');
        } else {
          for (const p of paths.slice(0, -1)) expect(existsSync(join(ROOT, p)), p).toBe(true);
        }
      }
    }
    for (const name of ['agent', 'full']) {
      const s = stage(name);
      const link = commands(s).find((c) => c[0] === 'ln')!;
      expect(link).toEqual(['ln', '-s', '/opt/streamlens/services/cli/bin/streamlens.js', '/usr/local/bin/streamlens']);
      const user = s.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
      expect(user).toBe('1000:1000');
      const entry = s.instructions.find((i) => i.op === 'ENTRYPOINT')!.args;
      expect(JSON.parse(entry)).toEqual(['streamlens']);
      expect(s.instructions.find((i) => i.op === 'WORKDIR') ?? stage('runtime').instructions.find((i) => i.op === 'WORKDIR')).toBeDefined();
    }
    // The launcher is committed executable (the symlink runs it directly).
    const mode = execFileSync('git', ['ls-files', '-s', 'services/cli/bin/streamlens.js'], { cwd: ROOT, encoding: 'utf8' }).split(' ')[0];
    expect(mode).toBe('100755');
    // The build checks run the launcher at the path the COPY put it.
    for (const name of ['agent-build', 'full-build']) {
      const check = commands(stage(name)).find((c) => c[0] === 'node')!;
      expect(existsSync(join(ROOT, check[1])), check[1]).toBe(true);
    }
  });

  it('has a .dockerignore that drops build output and keeps every file the build reads', () => {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const regexes = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '(?:.*/)?')}(?:/.*)?$`));
    const ignored = (path: string) => regexes.some((r) => r.test(path));
    for (const p of ['node_modules/x', 'services/cli/node_modules/x', 'services/cli/dist/main.js', '.git/HEAD', 'services/cli/dist/.tsbuildinfo']) {
      expect(ignored(p), p).toBe(true);
    }
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.filter(ignored)).toEqual([]);
  });
});
