import client from 'prom-client';
import type { FastifyInstance } from 'fastify';

type Label = 'method' | 'route' | 'status';

/** Per-app registry (tests build many apps in one process; the global registry would collide). */
export function registerMetrics(app: FastifyInstance): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  // One pair of labelled series per method, route and status, looked up by a string key: prom-client would otherwise
  // hash the label object twice on every response.
  const series = new Map<string, { count: client.Counter.Internal; time: client.Histogram.Internal<Label> }>();
  app.addHook('onResponse', (req, reply, done) => {
    // Unmatched routes share one label so random paths cannot blow up the series count.
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `${req.method} ${route} ${reply.statusCode}`;
    let s = series.get(key);
    if (!s) {
      const labels = { method: req.method, route, status: String(reply.statusCode) };
      series.set(key, (s = { count: requests.labels(labels), time: latency.labels(labels) }));
    }
    s.count.inc();
    s.time.observe(reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
