import { describe, expect, it } from 'vitest';
import { MetricsRegistry, serveMetrics } from './metrics.js';

describe('metrics', () => {
  it('renders the Prometheus text format and serves it over HTTP', async () => {
    const reg = new MetricsRegistry('streamlens_test_');
    const packets = reg.counter('packets_total', 'packets seen');
    const errors = reg.counter('errors_total', 'errors by kind', ['kind']);
    const lag = reg.gauge('lag', 'lag', [], () => 42);
    const latency = reg.histogram('latency_seconds', 'latency', [0.01, 0.1, 1]);
    packets.inc(3);
    errors.labels('truncated').inc();
    errors.labels('bad "quote"').inc(2);
    latency.observe(0.05);
    latency.observe(2);
    void lag;
    const text = reg.render();
    expect(text).toContain('# TYPE streamlens_test_packets_total counter\nstreamlens_test_packets_total 3');
    expect(text).toContain('streamlens_test_errors_total{kind="bad \\"quote\\""} 2');
    expect(text).toContain('streamlens_test_lag 42');
    expect(text).toContain('streamlens_test_latency_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('streamlens_test_latency_seconds_count 2');
    expect(errors.total()).toBe(3);
    const srv = await serveMetrics([reg], 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toBe(reg.render());
      expect((await fetch(`http://127.0.0.1:${srv.port}/healthz`)).status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});
