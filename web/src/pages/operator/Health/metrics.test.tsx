import { describe, expect, it } from 'vitest';
import { duration, megabytes, parsePrometheus, summarize } from './metrics.ts';

const TEXT = `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 104857600
nodejs_heap_size_used_bytes 52428800
nodejs_heap_size_total_bytes 78643200
process_start_time_seconds 1767225600
nodejs_eventloop_lag_p99_seconds 0.012
nodejs_version_info{version="v20.19.0",major="20",minor="19",patch="0"} 1
http_requests_total{method="GET",route="/api/v1/models",status="200"} 40
http_requests_total{method="POST",route="/v1/chat/completions",status="200"} 90
http_requests_total{method="POST",route="/v1/chat/completions",status="502"} 10
http_requests_total{method="GET",route="/api/v1/admin/users",status="403"} 5
http_requests_total{method="GET",route="/metrics",status="200"} 300
http_requests_total{method="GET",route="weird \\"route\\"",status="404"} 1
http_requests_total{method="GET",route="/assets/index-abc.js",status="200"} 70
http_requests_total{method="GET",route="unmatched",status="404"} 3
http_requests_total{method="POST",route="/1/keys",status="500"} 2
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/models",status="200"} 40
http_request_duration_seconds_sum{method="GET",route="/api/v1/models",status="200"} 2
http_request_duration_seconds_count{method="GET",route="/api/v1/models",status="200"} 40
http_request_duration_seconds_sum{method="GET",route="/metrics",status="200"} 100
http_request_duration_seconds_count{method="GET",route="/metrics",status="200"} 300
`;

describe('the health page reads /metrics', () => {
  it('parses names, escaped labels, values and infinities', () => {
    const samples = parsePrometheus(TEXT);
    expect(samples.find((s) => s.name === 'nodejs_version_info')?.labels).toMatchObject({ version: 'v20.19.0', major: '20' });
    expect(samples.find((s) => s.labels.route === 'weird "route"')?.value).toBe(1);
    expect(samples.find((s) => s.name === 'http_request_duration_seconds_bucket')?.labels.le).toBe('+Inf');
    expect(samples.some((s) => s.name.startsWith('#'))).toBe(false);
  });

  it('sums the API requests and errors (not the console files, probes or unmatched paths) and ranks the busiest routes', () => {
    const s = summarize(parsePrometheus(TEXT), 2);
    expect(s).toMatchObject({ rssBytes: 104857600, heapUsedBytes: 52428800, eventLoopLagP99Seconds: 0.012, nodeVersion: 'v20.19.0' });
    expect(s).toMatchObject({ requests: 147, clientErrors: 5, serverErrors: 12, meanLatencySeconds: 0.05 });
    expect(s.routes).toEqual([
      { method: 'POST', route: '/v1/chat/completions', requests: 100, errors: 10 },
      { method: 'GET', route: '/api/v1/models', requests: 40, errors: 0 },
    ]);
  });

  it('has nothing to say about an empty text', () => {
    expect(summarize(parsePrometheus(''))).toEqual({
      rssBytes: undefined, heapUsedBytes: undefined, heapTotalBytes: undefined, cpuSeconds: undefined, startTimeSeconds: undefined,
      eventLoopLagP99Seconds: undefined, nodeVersion: undefined, requests: 0, clientErrors: 0, serverErrors: 0, meanLatencySeconds: undefined, routes: [],
    });
  });

  it('formats sizes and durations', () => {
    expect(megabytes(104857600)).toBe('100.0 MB');
    expect(megabytes(undefined)).toBe('—');
    expect(duration(42 * 60 + 7)).toBe('42m 7s');
    expect(duration(5 * 3600 + 12 * 60)).toBe('5h 12m');
    expect(duration(3 * 86400 + 4 * 3600)).toBe('3d 4h');
    expect(duration(-1)).toBe('—');
  });
});
