// Reads the Prometheus text format of `/metrics` (prom-client) into the few numbers the health page shows.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

const unescape = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const value = Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = unescape(l[2] as string);
    samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

export interface RouteCount {
  method: string;
  route: string;
  requests: number;
  errors: number;
}

export interface MetricsSummary {
  rssBytes?: number;
  heapUsedBytes?: number;
  heapTotalBytes?: number;
  cpuSeconds?: number;
  startTimeSeconds?: number;
  eventLoopLagP99Seconds?: number;
  nodeVersion?: string;
  /** API requests served (`/api`, `/v1`, `/1`): not the console's files, the docs or the health probes. */
  requests: number;
  clientErrors: number;
  serverErrors: number;
  /** Mean latency of those requests, seconds; undefined before the first one. */
  meanLatencySeconds?: number;
  /** The busiest routes, most requests first. */
  routes: RouteCount[];
}

/** The service's APIs; the console's own files, `/docs` and the health probes are not traffic worth watching. */
export const isApiRoute = (route: string) => /^\/(api|v1|1)(\/|$)/.test(route);

export function summarize(samples: Sample[], topRoutes = 10): MetricsSummary {
  const one = (name: string) => samples.find((s) => s.name === name)?.value;
  const byRoute = new Map<string, RouteCount>();
  let requests = 0;
  let clientErrors = 0;
  let serverErrors = 0;
  let latencySum = 0;
  let latencyCount = 0;
  for (const s of samples) {
    const route = s.labels.route ?? 'unmatched';
    if (!isApiRoute(route)) continue;
    if (s.name === 'http_requests_total') {
      const status = Number(s.labels.status);
      requests += s.value;
      if (status >= 500) serverErrors += s.value;
      else if (status >= 400) clientErrors += s.value;
      const key = `${s.labels.method} ${route}`;
      const entry = byRoute.get(key) ?? { method: s.labels.method ?? '', route, requests: 0, errors: 0 };
      entry.requests += s.value;
      if (status >= 500) entry.errors += s.value;
      byRoute.set(key, entry);
    } else if (s.name === 'http_request_duration_seconds_sum') {
      latencySum += s.value;
    } else if (s.name === 'http_request_duration_seconds_count') {
      latencyCount += s.value;
    }
  }
  return {
    rssBytes: one('process_resident_memory_bytes'),
    heapUsedBytes: one('nodejs_heap_size_used_bytes'),
    heapTotalBytes: one('nodejs_heap_size_total_bytes'),
    cpuSeconds: one('process_cpu_seconds_total'),
    startTimeSeconds: one('process_start_time_seconds'),
    eventLoopLagP99Seconds: one('nodejs_eventloop_lag_p99_seconds'),
    nodeVersion: samples.find((s) => s.name === 'nodejs_version_info')?.labels.version,
    requests,
    clientErrors,
    serverErrors,
    meanLatencySeconds: latencyCount > 0 ? latencySum / latencyCount : undefined,
    routes: [...byRoute.values()].sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route)).slice(0, topRoutes),
  };
}

export const megabytes = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** `3d 4h`, `5h 12m`, `42m 7s`. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}
