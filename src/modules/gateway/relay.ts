import { AppError } from '../../platform/errors.ts';
import type { Operation } from '../providers/types.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { Health } from '../routing/health.ts';
import type { Attempt, Router } from '../routing/router.ts';
import { noUpstreamAvailable, upstreamTimeout } from './gateway.errors.ts';
import { redactCredential } from './redact.ts';
import { UpstreamTransportError, type UpstreamResponse, type createUpstreamClient } from './upstream-client.ts';

// The shared relay loop: walk the router's plan, one attempt per candidate, and fail over — before anything has
// reached the client — on a connection error, a timeout, a 429, a 5xx, or an upstream that refuses our credential or
// does not know the model. A 4xx that is the client's own fault goes back to the client at once.

/** Statuses that say "this upstream cannot serve it now", not "this request is wrong". */
const FAIL_OVER = new Set([401, 402, 403, 404, 408, 409, 429]);
const failsOver = (status: number) => status >= 500 || FAIL_OVER.has(status);

export interface Served {
  attempt: Attempt;
  response: UpstreamResponse;
  /** The operation actually sent upstream (`chat` when a `messages` request goes to a non-Anthropic upstream). */
  op: Operation;
  attempts: number;
  firstByteMs: number;
}

export interface RelayRequest {
  /** The model name the client asked for. */
  model: string;
  op: Operation;
  candidates: Candidate[];
  stream: boolean;
  /** The most tokens the request may use (prompt estimate + allowed output): what a package's quota must hold. */
  tokenBudget: number;
  /** The upstream body for a candidate and the operation it will be sent as. */
  bodyFor(candidate: Candidate, op: Operation): Record<string, unknown>;
  signal: AbortSignal;
  startedAt: number;
}

interface LastFailure {
  kind: 'status' | 'timeout' | 'connect' | 'network';
  status?: number;
  message: string;
  code?: string;
}

/** Thrown when every attempt failed; carries how many were made for the usage record. */
export class RelayFailed extends Error {
  constructor(readonly error: AppError, readonly attempts: number, readonly lastCandidate?: Candidate) {
    super(error.message);
  }
}

export function createRelay(deps: { router: Router; health: Health; client: ReturnType<typeof createUpstreamClient>; maxTries: number; now: () => number }) {
  const { router, health, client } = deps;

  async function attempt(r: RelayRequest, a: Attempt): Promise<Served | LastFailure> {
    const c = a.candidate;
    const op = r.op === 'messages' && !c.adapter.operations.has('messages') ? 'chat' : r.op;
    const credential = c.credential();
    const req = c.adapter.buildRequest(op, r.bodyFor(c, op), { baseUrl: c.baseUrl, credential, model: c.upstreamModel }, r.stream);
    let response: UpstreamResponse;
    try {
      response = await client.send(req, r.signal);
    } catch (err) {
      a.lease.release();
      if (r.signal.aborted) {
        health.abandon(a.healthKey);
        throw err;
      }
      health.failure(a.healthKey);
      if (err instanceof UpstreamTransportError) return { kind: err.kind === 'timeout' ? 'timeout' : err.kind, message: err.message };
      return { kind: 'network', message: 'upstream connection failed' };
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      health.success(a.healthKey);
      return { attempt: a, response, op, attempts: 0, firstByteMs: deps.now() - r.startedAt };
    }
    const text = await response.body.text().catch(() => '');
    a.lease.release();
    const failure = c.adapter.parseError(response.statusCode, text);
    const message = redactCredential(failure.message, credential);
    if (failsOver(response.statusCode)) {
      health.failure(a.healthKey);
      return { kind: 'status', status: response.statusCode, message, code: failure.code };
    }
    // The upstream is fine; the request is not. Its own words go back to the client (credential-free).
    health.success(a.healthKey);
    throw new RelayFailed(new AppError('VALIDATION_FAILED', message, { openaiCode: failure.code ?? 'invalid_request_error' }), 1, c);
  }

  return {
    async forward(r: RelayRequest): Promise<Served> {
      let tries = 0;
      let capped = false;
      let last: LastFailure | undefined;
      let lastCandidate: Candidate | undefined;
      for (const candidate of router.plan(r.candidates)) {
        if (tries >= deps.maxTries) break;
        const quota = await router.reserve(candidate, r.tokenBudget);
        const claimed = quota === false ? undefined : await router.claim(candidate, quota);
        if (!claimed) {
          capped = true;
          continue;
        }
        tries += 1;
        lastCandidate = candidate;
        let outcome: Served | LastFailure;
        try {
          outcome = await attempt(r, claimed);
        } catch (err) {
          if (err instanceof RelayFailed) throw new RelayFailed(err.error, tries, candidate);
          throw err;
        }
        if ('response' in outcome) return { ...outcome, attempts: tries };
        last = outcome;
      }
      throw new RelayFailed(finalError(r, last, capped), tries, lastCandidate);
    },
  };
}

function finalError(r: RelayRequest, last: LastFailure | undefined, capped: boolean): AppError {
  if (!last) {
    if (!capped) return noUpstreamAvailable(r.model);
    const err = new AppError('RATE_LIMITED', 'Every upstream for this model is at its request limit; retry shortly.', { openaiCode: 'rate_limit_exceeded' });
    err.headers['retry-after'] = '1';
    return err;
  }
  if (last.kind === 'timeout') return upstreamTimeout();
  if (last.status === 429) {
    const err = new AppError('RATE_LIMITED', 'The upstream is rate limiting requests; retry shortly.', { openaiCode: 'rate_limit_exceeded' });
    err.headers['retry-after'] = '1';
    return err;
  }
  // Every upstream failed on its side (down, erroring, refusing our credential): the service is unavailable.
  return new AppError('SERVICE_UNAVAILABLE', `All upstreams failed; last error: ${last.message}`, { openaiCode: 'upstream_unavailable', openaiType: 'server_error' });
}
