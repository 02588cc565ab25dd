/**
 * The Kubernetes manifests (deploy/k8s) and docker-compose.yml, checked
 * without a cluster or a Docker engine: they parse; images are pinned; every
 * flag, STREAMLENS_* variable and config file they give a service is one the
 * service declares and its own loader accepts; probes and healthchecks reach
 * the port the service listens on once configured; references between objects
 * (ConfigMaps, Secrets, volumes, selectors, PDBs, depends_on) resolve.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { topicNames } from '@streamlens/common';
import {
  envVarsOf, flagsOf, isService, loadServiceConfig, migrateEnvVars, migrateFlags, NODE_ENV_VARS, SERVICES, splitConfigArg, unknownFlags,
  type ServiceName,
} from './option-surface.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const K8S = join(ROOT, 'deploy/k8s');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

/** image[:tag][@digest] → parts; a tag must be an exact version, never latest or a bare major. */
function imageParts(image: string): { name: string; tag?: string; digest?: string } {
  const [ref, digest] = image.split('@');
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1), digest } : { name: ref, digest };
}

function expectPinned(image: string): void {
  const { tag, digest } = imageParts(image);
  expect(tag ?? digest, `${image} has no tag`).toBeDefined();
  expect(tag, image).not.toBe('latest');
  // x.y.z at least (25.8 would float over patch releases).
  if (tag) expect(tag, `${image} is not pinned to an exact version`).toMatch(/^\d+\.\d+\.\d+/);
}

/** Checks the command line and environment of one container running `streamlens <command>`. */
function checkStreamlensCommand(
  where: string, args: string[], env: Record<string, string>, configText?: string,
): { service?: ServiceName; config?: Record<string, unknown> } {
  const command = args[0];
  const rest = args.slice(1);
  if (command === 'migrate') {
    expect(unknownFlags(migrateFlags(), rest), `${where}: migrate flags`).toEqual([]);
    const known = migrateEnvVars();
    for (const name of Object.keys(env)) {
      if (NODE_ENV_VARS.has(name)) continue;
      expect(known.has(name) || usedAsReference(name, env, args), `${where}: ${name} is not read by migrate`).toBe(true);
    }
    return {};
  }
  expect(isService(command), `${where}: "${command}" is not a service`).toBe(true);
  const service = command as ServiceName;
  const specs = SERVICES[service];
  expect(unknownFlags(flagsOf(specs), rest), `${where}: flags`).toEqual([]);
  const declared = envVarsOf(specs);
  const own: Record<string, string> = {};
  for (const [name, v] of Object.entries(env)) {
    if (NODE_ENV_VARS.has(name)) continue;
    expect(declared.has(name), `${where}: ${name} is not an option of the ${service}`).toBe(true);
    own[name] = v;
  }
  const { rest: flags } = splitConfigArg(rest);
  const config = loadServiceConfig(service, flags, own, configText);
  return { service, config };
}

function usedAsReference(name: string, env: Record<string, string>, args: string[]): boolean {
  const ref = `$(${name})`;
  return Object.values(env).some((v) => v.includes(ref)) || args.some((a) => a.includes(ref));
}

// ---------------------------------------------------------------- Kubernetes

function loadK8s(): { file: string; doc: Obj }[] {
  const out: { file: string; doc: Obj }[] = [];
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      expect(d.errors, `${file}: ${d.errors.join('; ')}`).toEqual([]);
      expect(d.warnings, `${file}: ${d.warnings.join('; ')}`).toEqual([]);
      const doc = d.toJS() as Obj | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1', ConfigMap: 'v1', Secret: 'v1', DaemonSet: 'apps/v1', Deployment: 'apps/v1',
  PodDisruptionBudget: 'policy/v1', Job: 'batch/v1', Kustomization: 'kustomize.config.k8s.io/v1beta1',
};

describe('deploy/k8s', () => {
  const all = loadK8s();
  const docs = all.map((d) => d.doc);
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const namespaces = new Set(byKind('Namespace').map((n) => n.metadata.name as string));
  const kustomization = byKind('Kustomization')[0];
  const secretKeys = new Map<string, Set<string>>();
  for (const s of byKind('Secret')) secretKeys.set(s.metadata.name, new Set(Object.keys({ ...s.data, ...s.stringData })));
  const configMaps = new Map<string, Obj>(byKind('ConfigMap').map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
  const workloads = docs.filter((d) => ['DaemonSet', 'Deployment', 'Job'].includes(d.kind));

  it('every document parses, has a known kind and apiVersion, and a declared namespace', () => {
    expect(docs.length).toBeGreaterThan(5);
    for (const d of docs) {
      expect(API_VERSIONS[d.kind], `${d.kind} ${d.metadata?.name}`).toBe(d.apiVersion);
      if (d.kind === 'Kustomization') continue;
      expect(d.metadata?.name).toBeTruthy();
      if (d.kind !== 'Namespace') expect(namespaces, `${d.kind} ${d.metadata.name}`).toContain(d.metadata.namespace);
    }
    expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual(
      ['DaemonSet/streamlens-agent', 'Deployment/streamlens-aggregator', 'Deployment/streamlens-dissector', 'Job/streamlens-migrate']);
  });

  it('the kustomization lists the files that exist and pins the images to this release', () => {
    const files = new Set(readdirSync(K8S));
    for (const r of kustomization.resources as string[]) expect(files, r).toContain(r);
    for (const f of ['namespaces.yaml', 'agent.yaml', 'dissector.yaml', 'aggregator.yaml']) expect(kustomization.resources).toContain(f);
    const images = new Map<string, Obj>((kustomization.images as Obj[]).map((i) => [i.name, i]));
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers as Obj[]) {
        expectPinned(c.image);
        const { name, tag } = imageParts(c.image);
        expect(tag).toBe(VERSION);
        expect(images.get(name)?.newTag, name).toBe(VERSION);
      }
    }
  });

  describe.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w] as const))('%s', (_, w) => {
    const pod = w.spec.template.spec as Obj;
    const [container] = pod.containers as Obj[];
    const ns = w.metadata.namespace as string;
    const env: Record<string, string> = {};
    for (const e of (container.env ?? []) as Obj[]) {
      if (e.valueFrom?.secretKeyRef) {
        const { name, key } = e.valueFrom.secretKeyRef;
        expect(secretKeys.get(name), `Secret ${name}`).toBeDefined();
        expect(secretKeys.get(name), `Secret ${name} key ${key}`).toContain(key);
        env[e.name] = 'secret-value';
      } else if (e.valueFrom?.fieldRef) {
        expect(['spec.nodeName', 'metadata.name', 'metadata.namespace', 'status.podIP']).toContain(e.valueFrom.fieldRef.fieldPath);
        env[e.name] = 'node-1';
      } else {
        expect(typeof e.value, e.name).toBe('string');
        env[e.name] = e.value;
      }
    }
    const mounts = new Map<string, Obj>(((container.volumeMounts ?? []) as Obj[]).map((m) => [m.mountPath, m]));
    const volumes = new Map<string, Obj>(((pod.volumes ?? []) as Obj[]).map((v) => [v.name, v]));

    /** The text of the file a path inside the container resolves to, when it is a ConfigMap key. */
    function configMapFile(path: string): string {
      const m = mounts.get(path);
      expect(m, `nothing mounted at ${path}`).toBeDefined();
      const v = volumes.get(m!.name);
      expect(v?.configMap, `${path} is not from a ConfigMap`).toBeDefined();
      const cm = configMaps.get(`${ns}/${v!.configMap.name}`);
      expect(cm, `ConfigMap ${v!.configMap.name} in ${ns}`).toBeDefined();
      expect(Object.keys(cm!.data)).toContain(m!.subPath);
      return cm!.data[m!.subPath] as string;
    }

    const args = container.args as string[];
    const service = isService(args[0]) ? args[0] : undefined;
    let config: Record<string, unknown> | undefined;
    it(`runs \`streamlens ${args[0]}\` with flags, variables and a config file it accepts`, () => {
      const { config: configPath } = splitConfigArg(args.slice(1));
      const configText = configPath ? configMapFile(configPath) : undefined;
      config = checkStreamlensCommand(`${w.kind}/${w.metadata.name}`, args, env, configText).config;
    });

    it('selects its own pods, mounts only declared volumes, and reads Secrets that exist', () => {
      for (const [k, v] of Object.entries((w.spec.selector?.matchLabels ?? {}) as Record<string, string>)) {
        expect(w.spec.template.metadata.labels[k]).toBe(v);
      }
      for (const m of mounts.values()) expect(volumes.has(m.name), m.name).toBe(true);
      for (const v of volumes.values()) {
        if (v.secret) expect(secretKeys.has(v.secret.secretName), v.secret.secretName).toBe(true);
        if (v.configMap) expect(configMaps.has(`${ns}/${v.configMap.name}`), v.configMap.name).toBe(true);
      }
      // TLS files named in the config are in a mounted Secret.
      for (const key of ['kafkaTlsCa', 'kafkaTlsCert', 'kafkaTlsKey'] as const) {
        const file = config?.[key] as string | undefined;
        if (!file) continue;
        const dir = file.slice(0, file.lastIndexOf('/'));
        const v = volumes.get(mounts.get(dir)?.name ?? '');
        expect(v?.secret, `${file} is not in a mounted Secret`).toBeDefined();
        expect(secretKeys.get(v!.secret.secretName)).toContain(file.slice(dir.length + 1));
      }
    });

    it('is bounded and unprivileged', () => {
      expect(container.resources?.requests?.memory).toBeTruthy();
      expect(container.resources?.requests?.cpu).toBeTruthy();
      expect(container.resources?.limits?.memory).toBeTruthy();
      const sc = { ...pod.securityContext, ...container.securityContext } as Obj;
      expect(sc.privileged ?? false).toBe(false);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.capabilities?.drop).toEqual(['ALL']);
      expect(sc.seccompProfile?.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      if (service === 'agent') {
        expect(sc.capabilities.add).toEqual(['NET_RAW']);
      } else {
        expect(sc.capabilities.add ?? []).toEqual([]);
        expect(sc.runAsNonRoot).toBe(true);
        expect(sc.runAsUser).toBeGreaterThan(0);
      }
      // The V8 heap fits in the memory limit with room for buffers.
      const heap = /--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '');
      if (heap) expect(Number(heap[1]) * 2 ** 20).toBeLessThan(memoryBytes(container.resources.limits.memory) * 0.8);
    });

    if (!service) return;

    it('probes /healthz and exposes /metrics on the port the service listens on', () => {
      const port = config!.metricsPort as number;
      expect(port).toBeGreaterThan(0);
      const named = (container.ports as Obj[]).find((p) => p.name === 'metrics');
      expect(named?.containerPort).toBe(port);
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const p = container[probe] as Obj | undefined;
        if (!p) continue;
        expect(p.httpGet.path).toBe('/healthz');
        expect(p.httpGet.port === 'metrics' || p.httpGet.port === port).toBe(true);
      }
      expect(container.livenessProbe).toBeDefined();
      const ann = w.spec.template.metadata.annotations as Record<string, string>;
      expect(ann['prometheus.io/port']).toBe(String(port));
      expect(ann['prometheus.io/path']).toBe('/metrics');
      // Listening on every address, so the kubelet and Prometheus reach it.
      expect(config!.metricsHost).toBe('0.0.0.0');
    });

    it('gives SIGTERM time to drain', () => {
      const drain = (config!.drainTimeout as number | undefined) ?? 0;
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drain);
    });

    if (service === 'agent') {
      it('captures on the host network with its spool on the node', () => {
        expect(w.kind).toBe('DaemonSet');
        expect(pod.hostNetwork).toBe(true);
        expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
        expect(env.STREAMLENS_AGENT_ID).toBeDefined();
        const spool = config!.spoolDir as string;
        const mount = mounts.get(spool);
        expect(mount, `spool ${spool} is not a volume`).toBeDefined();
        expect(volumes.get(mount!.name)?.hostPath?.type).toBe('DirectoryOrCreate');
        expect((config!.iface as string[]).length).toBeGreaterThan(0);
      });
    } else {
      it('has a PodDisruptionBudget and a consumer group', () => {
        const pdb = byKind('PodDisruptionBudget').find((p) => p.metadata.namespace === ns
          && Object.entries(p.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
        expect(pdb, 'no PodDisruptionBudget selects it').toBeDefined();
        expect(pdb!.spec.maxUnavailable ?? pdb!.spec.minAvailable).toBeDefined();
        expect(config!.groupId).toBeTruthy();
        expect(w.spec.replicas).toBeGreaterThanOrEqual(2);
      });
    }
  });
});

function memoryBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}`);
  return Number(m[1]) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 } as Record<string, number>)[m[2] ?? ''] || Number(m[1]);
}

// ---------------------------------------------------------------- docker-compose.yml

/** Compose's ${VAR:-default} / ${VAR-default} / ${VAR} interpolation with an empty environment; $$ is a literal $. */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (m, _name, def: string | undefined) => (m === '$$' ? '$' : def ?? ''));
}

describe('docker-compose.yml', () => {
  const raw = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parseYaml(interpolate(raw), { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;
  const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
  const stages = new Set([...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]));
  const kafkaEnv = services.kafka.environment as Record<string, string>;
  const advertised = new Map(String(kafkaEnv.KAFKA_ADVERTISED_LISTENERS).split(',').map((l) => {
    const [name, addr] = l.split('://');
    return [name, addr] as const;
  }));

  it('runs Kafka, ClickHouse and the three services, with pinned images, healthchecks and volumes', () => {
    for (const s of ['kafka', 'clickhouse', 'topics', 'migrate', 'agent', 'dissector', 'aggregator']) expect(services[s], s).toBeDefined();
    for (const [name, s] of Object.entries(services)) {
      expectPinned(s.image);
      if (s.build) {
        expect(s.build.dockerfile).toBe('deploy/docker/Dockerfile');
        expect(stages, `${name}: target ${s.build.target}`).toContain(s.build.target);
        expect(imageParts(s.image).tag).toBe(VERSION);
        // A local build, never pulled from a registry under that name.
        expect(s.pull_policy).toBe('build');
      }
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0];
        if (!source.startsWith('.') && !source.startsWith('/')) expect(Object.keys(compose.volumes), `${name}: volume ${source}`).toContain(source);
      }
      for (const dep of Object.keys(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        const cond = s.depends_on[dep].condition as string;
        expect(cond).toBe(services[dep].healthcheck ? 'service_healthy' : 'service_completed_successfully');
      }
    }
    expect(services.kafka.volumes).toContain('kafka-data:/var/lib/kafka/data');
    expect(services.clickhouse.volumes).toContain('clickhouse-data:/var/lib/clickhouse');
    expect(services.kafka.healthcheck.test.join(' ')).toContain('kafka-topics.sh');
    expect(services.clickhouse.healthcheck.test.join(' ')).toContain('http://localhost:8123/ping');
  });

  it('creates every StreamLens topic, with the partition count the agent routes with', () => {
    const script = (services.topics.command as string[]).join('\n');
    const specs = new Map([...script.matchAll(/\b(packets|enriched|dlq|alerts):(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    const created = [...specs.keys()].map((t) => `streamlens.${t}`);
    expect(new Set(created)).toEqual(new Set(Object.values(topicNames('streamlens'))));
    expect(script).toContain('--topic "streamlens.${spec%%:*}"');
    expect(script).toContain(`--bootstrap-server ${advertised.get('INTERNAL')}`);
    const agentPartitions = Number((services.agent.environment as Record<string, string>).STREAMLENS_TOPIC_PARTITIONS);
    expect(agentPartitions).toBe(specs.get('packets'));
    expect(specs.get('enriched')).toBe(specs.get('packets'));
  });

  const streamlensServices = Object.entries(services).filter(([, s]) => imageParts(s.image).name.startsWith('streamlens/'));

  describe.each(streamlensServices)('%s', (name, s) => {
    const env = Object.fromEntries(Object.entries((s.environment ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const command = s.command as string[];
    const service = isService(command[0]) ? command[0] : undefined;
    let config: Record<string, unknown> | undefined;
    it(`runs \`streamlens ${command[0]}\` with flags and variables it accepts`, () => {
      config = checkStreamlensCommand(`compose ${name}`, command, env).config;
    });

    if (!service) {
      it('migrates the ClickHouse server of the stack with its credentials', () => {
        const url = new URL((s.command as string[])[(s.command as string[]).indexOf('--clickhouse-url') + 1]);
        const ch = services.clickhouse.environment as Record<string, string>;
        expect([url.hostname, url.port, url.username, url.password]).toEqual(['clickhouse', '8123', ch.CLICKHOUSE_USER, ch.CLICKHOUSE_PASSWORD]);
      });
      return;
    }

    it('reaches Kafka on the listener advertised for its network', () => {
      const brokers = config!.kafkaBrokers as string[];
      const listener = s.network_mode === 'host' ? advertised.get('PLAINTEXT') : advertised.get('INTERNAL');
      expect(brokers).toEqual([listener]);
    });

    if (s.healthcheck) {
      it('has a healthcheck on the port the service listens on', () => {
        const test = (s.healthcheck.test as string[]).join(' ');
        const url = new URL(/https?:\/\/[^'"\s)]+/.exec(test)![0]);
        expect(['/healthz', '/metrics']).toContain(url.pathname);
        expect(Number(url.port)).toBe(config!.metricsPort);
        expect(s.stop_grace_period).toBeDefined();
      });
    }

    if (name === 'agent') {
      it('captures live with CAP_NET_RAW and nothing else, on the host network, spooling to a volume', () => {
        expect(s.network_mode).toBe('host');
        expect(s.cap_drop).toEqual(['ALL']);
        expect(s.cap_add).toEqual(['NET_RAW']);
        expect(s.read_only).toBe(true);
        expect(s.security_opt).toContain('no-new-privileges:true');
        expect((config!.iface as string[]).length).toBe(1);
        expect(s.volumes).toContain(`agent-spool:${(config!.spoolDir as string).replace(/\/spool$/, '')}`);
      });
    }
    if (name === 'aggregator') {
      it('writes to the ClickHouse of the stack with its credentials', () => {
        const ch = services.clickhouse.environment as Record<string, string>;
        const url = new URL(config!.clickhouseUrl as string);
        expect([url.hostname, url.port]).toEqual(['clickhouse', '8123']);
        expect([config!.clickhouseUser, config!.clickhousePassword, config!.database]).toEqual([ch.CLICKHOUSE_USER, ch.CLICKHOUSE_PASSWORD, ch.CLICKHOUSE_DB]);
      });
    }
  });
});
