/**
 * Counters, gauges and histograms in the Prometheus text exposition format,
 * served on an HTTP port (/metrics, plus /healthz). Small on purpose: hot
 * paths hold a reference to a counter (or a labelled child) and add to a
 * number; nothing is allocated per event.
 */
import { createServer, type Server } from 'node:http';

type Labels = Record<string, string>;

function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${String(values[i]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge' | 'histogram', readonly labelNames: readonly string[]) {}
  abstract render(): string[];
}

export class CounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class Counter extends Metric {
  private readonly children = new Map<string, { values: string[]; child: CounterChild }>();
  private readonly root = new CounterChild();

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames);
  }

  inc(n = 1): void {
    this.root.value += n;
  }

  get value(): number {
    return this.root.value;
  }

  /** The child for these label values (keep the reference on hot paths). */
  labels(...values: string[]): CounterChild {
    const key = values.join('\u0000');
    let c = this.children.get(key);
    if (!c) {
      c = { values, child: new CounterChild() };
      this.children.set(key, c);
    }
    return c.child;
  }

  /** Sum over every label combination. */
  total(): number {
    let t = this.root.value;
    for (const c of this.children.values()) t += c.child.value;
    return t;
  }

  render(): string[] {
    if (this.labelNames.length === 0) return [`${this.name} ${this.root.value}`];
    return [...this.children.values()].map((c) => `${this.name}${labelText(this.labelNames, c.values)} ${c.child.value}`);
  }
}

export class Gauge extends Metric {
  private readonly values = new Map<string, { labels: string[]; value: number }>();
  private collect?: () => number;

  constructor(name: string, help: string, labelNames: readonly string[] = [], collect?: () => number) {
    super(name, help, 'gauge', labelNames);
    this.collect = collect;
  }

  set(value: number, ...labels: string[]): void {
    this.values.set(labels.join('\u0000'), { labels, value });
  }

  get(...labels: string[]): number {
    return this.values.get(labels.join('\u0000'))?.value ?? 0;
  }

  render(): string[] {
    if (this.collect) return [`${this.name} ${this.collect()}`];
    return [...this.values.values()].map((v) => `${this.name}${labelText(this.labelNames, v.labels)} ${v.value}`);
  }
}

export class Histogram extends Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(name: string, help: string, readonly buckets: readonly number[]) {
    super(name, help, 'histogram', []);
    this.counts = new Array(buckets.length).fill(0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
  }

  /** Approximate quantile from the buckets (upper bound of the bucket holding it). */
  quantile(q: number): number {
    const target = q * this.count;
    for (let i = 0; i < this.buckets.length; i++) if (this.counts[i] >= target) return this.buckets[i];
    return Infinity;
  }

  get observations(): number {
    return this.count;
  }

  render(): string[] {
    const lines = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

/** A named set of metrics with a common prefix (e.g. streamlens_agent_). */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  constructor(readonly prefix: string, readonly constLabels: Labels = {}) {}

  private add<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(this.prefix + name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: () => number): Gauge {
    return this.add(new Gauge(this.prefix + name, help, labelNames, collect));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(this.prefix + name, help, buckets));
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\n/g, ' ')}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return out.join('\n') + '\n';
  }

  /** name → help, for the metrics reference in docs/. */
  describe(): { name: string; type: string; help: string; labels: readonly string[] }[] {
    return [...this.metrics.values()].map((m) => ({ name: m.name, type: m.type, help: m.help, labels: m.labelNames }));
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serve /metrics (and /healthz, which answers 200 while `healthy()` is true). */
export function serveMetrics(registries: MetricsRegistry[], port: number, host = '0.0.0.0', healthy: () => boolean = () => true): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(registries.map((r) => r.render()).join(''));
    } else if (req.url === '/healthz') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'unhealthy\n');
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
