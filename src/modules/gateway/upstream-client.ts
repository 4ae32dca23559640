import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import type { GatewayConfig } from '../../config.ts';
import { guardedLookup } from '../../platform/ssrf.ts';
import { createDemoUpstream, DEMO_ORIGIN } from '../providers/demo/index.ts';
import type { UpstreamRequest, UpstreamResponse } from '../providers/types.ts';
import type { CancelSignal } from '../../platform/cancel-signal.ts';
import { dispatchExchange } from './upstream-body.ts';

// The one HTTP client of the gateway: keep-alive pools per upstream origin, the three timeouts of DESIGN.md §5
// (connect, first byte = response headers, idle = silence inside a body), and the SSRF guard at connect time.

export type { UpstreamResponse };

/** Why an attempt failed before the upstream answered; all of these fail over to the next candidate. */
export type TransportFailure = 'connect' | 'timeout' | 'network';

export class UpstreamTransportError extends Error {
  /** @param code the socket error's code when there was one (`ECONNREFUSED`, `EUPSTREAMPRIVATE`, …). */
  constructor(readonly kind: TransportFailure, message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * The timeouts the client needs (the gateway passes its whole config; supply verification its own, shorter ones), and
 * whether the built-in demo upstream answers (the gateway's `demoUpstream`; never for verification).
 */
export type UpstreamClientConfig = Pick<GatewayConfig, 'connectTimeoutMs' | 'firstByteTimeoutMs' | 'idleTimeoutMs'> &
  Partial<Pick<GatewayConfig, 'demoUpstream'>> & { allowPrivateUpstreams: boolean };

/**
 * An upstream (or the load balancer in front of it) may close an idle kept-alive connection just as a request goes
 * out on it, which fails with a reset before any answer. Such a request is sent once more, on a fresh connection, as
 * the OpenAI SDKs do with connection errors; a reset again is the upstream's failure (and fails over).
 */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export function createUpstreamClient(config: UpstreamClientConfig) {
  const agent = new Agent({
    connect: { timeout: config.connectTimeoutMs, lookup: guardedLookup(config.allowPrivateUpstreams) },
    headersTimeout: config.firstByteTimeoutMs,
    bodyTimeout: config.idleTimeoutMs,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const demo = config.demoUpstream ? createDemoUpstream() : undefined;

  return {
    async send(req: UpstreamRequest, signal: CancelSignal): Promise<UpstreamResponse> {
      const { origin, path } = target(req.url);
      // The demo's reserved origin is answered in process; with the demo off it stays unresolvable like any `.invalid`.
      if (demo && origin === DEMO_ORIGIN) return demo.answer(req, signal);
      const options: Dispatcher.DispatchOptions = {
        origin,
        path,
        method: req.method ?? 'POST',
        headers: req.headers,
        ...(req.method === 'GET' ? {} : { body: req.body }),
      };
      for (let sent = 1; ; sent += 1) {
        try {
          return await dispatchExchange(agent, options, signal);
        } catch (err) {
          if (sent === 1 && !signal.aborted && STALE_CONNECTION.has((err as { code?: string }).code ?? '')) continue;
          throw classify(err);
        }
      }
    },
    close: () => agent.close(),
  };
}

/** An upstream URL's origin and path, parsed once per URL: the gateway sends to the same few URLs all day. */
const targets = new Map<string, { origin: string; path: string }>();
function target(url: string): { origin: string; path: string } {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    t = { origin: u.origin, path: `${u.pathname}${u.search}` };
    // Bounded: URLs carry no per-request parts today, but a cache must not grow with whatever comes.
    if (targets.size >= 1_000) targets.clear();
    targets.set(url, t);
  }
  return t;
}

function classify(err: unknown): Error {
  if (err instanceof undiciErrors.ConnectTimeoutError) return new UpstreamTransportError('connect', 'upstream connect timeout');
  if (err instanceof undiciErrors.HeadersTimeoutError) return new UpstreamTransportError('timeout', 'upstream first-byte timeout');
  if (err instanceof undiciErrors.BodyTimeoutError) return new UpstreamTransportError('timeout', 'upstream idle timeout');
  if (err instanceof Error && err.name === 'AbortError') return err;
  const code = (err as { code?: string }).code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EUPSTREAMPRIVATE'].includes(code)) {
    return new UpstreamTransportError('connect', `upstream unreachable (${code})`, code);
  }
  return new UpstreamTransportError('network', `upstream connection failed${code ? ` (${code})` : ''}`, code || undefined);
}
