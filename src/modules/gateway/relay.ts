import { AppError } from '../../platform/errors.ts';
import type { CancelSignal } from '../../platform/cancel-signal.ts';
import type { Operation } from '../providers/types.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { Attempt, Router } from '../routing/router.ts';
import { allUpstreamsFailed, modelNotFound, noUpstreamAvailable, noUpstreamConfigured, upstreamRefused, upstreamTimeout } from './gateway.errors.ts';
import { UpstreamTransportError, type UpstreamResponse, type createUpstreamClient } from './upstream-client.ts';
import { policyFor, scrubFailure } from './upstream-failures.ts';

// The shared relay loop: walk the router's plan, one attempt per candidate, and fail over — before anything has
// reached the client — on a connection error, a timeout, a 429, a 5xx, or an upstream that refuses our credential or
// does not know the model. A 4xx that is the client's own fault goes back to the client at once. Each attempt tells
// its circuits whose fault a failure was (upstream-failures.ts).

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
  signal: CancelSignal;
  startedAt: number;
}

interface LastFailure {
  kind: 'status' | 'timeout' | 'connect' | 'network';
  status?: number;
  /** Scrubbed: it reaches the client's error and the usage record. */
  message: string;
}

/** Thrown when every attempt failed; carries how many were made for the usage record. */
export class RelayFailed extends Error {
  constructor(readonly error: AppError, readonly attempts: number, readonly lastCandidate?: Candidate) {
    super(error.message);
  }
}

export function createRelay(deps: { router: Router; client: ReturnType<typeof createUpstreamClient>; maxTries: number; now: () => number }) {
  const { router, client } = deps;

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
        a.report('uncounted');
        throw err;
      }
      const transport = err instanceof UpstreamTransportError ? err : new UpstreamTransportError('network', 'upstream connection failed');
      // No connection at all is the host's failure, whatever the model; a timeout or a dropped socket may be this
      // model's (a slow or overloaded deployment).
      a.report(transport.kind === 'connect' ? 'candidate' : 'model');
      return { kind: transport.kind, message: transport.message };
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      a.report('served');
      return { attempt: a, response, op, attempts: 0, firstByteMs: deps.now() - r.startedAt };
    }
    const text = await response.body.text().catch(() => '');
    a.lease.release();
    const parsed = c.adapter.parseError(response.statusCode, text);
    const policy = policyFor(parsed);
    a.report(policy.verdict);
    const failure = scrubFailure(parsed, credential);
    if (policy.failOver) return { kind: 'status', status: failure.status, message: failure.message };
    // The upstream is fine; the request is not. Its scrubbed words go back to the client.
    throw new RelayFailed(upstreamRefused(failure), 1, c);
  }

  return {
    async forward(r: RelayRequest): Promise<Served> {
      // No source lists anything for the model — not merely nothing this buyer may use (their own package, one priced
      // above what they were shown), which keeps the message below. Asked only on this failure path.
      if (r.candidates.length === 0 && (await router.candidates(r.model, r.op)).length === 0) throw new RelayFailed(noUpstreamConfigured(r.model), 0);
      let tries = 0;
      let capped = false;
      let last: LastFailure | undefined;
      let lastCandidate: Candidate | undefined;
      for (const candidate of router.plan(r.candidates)) {
        if (tries >= deps.maxTries) break;
        // Both answer at once from memory; only a shared (Redis) quota or cap is awaited.
        const reserved = router.reserve(candidate, r.tokenBudget);
        const quota = reserved instanceof Promise ? await reserved : reserved;
        const claiming = quota === false ? undefined : router.claim(candidate, quota);
        const claimed = claiming instanceof Promise ? await claiming : claiming;
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
  // The last upstream tried does not have the model (or this key may not use it there): the client's retry would not
  // help, a 503 would invite one.
  if (last.status === 404) return modelNotFound(r.model);
  return allUpstreamsFailed(last);
}
