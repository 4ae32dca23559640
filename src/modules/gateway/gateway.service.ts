import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Maybe } from '../../platform/maybe.ts';
import { consumeOrThrow, createLimiter } from '../../platform/rate-limit.ts';
import type { AuthenticatedKey } from '../identity/api-keys.service.ts';
import type { Billing, Charge } from '../metering/billing.ts';
import type { Payer } from '../metering/payers.ts';
import type { UsagePlatform, UsageStatus } from '../metering/usage.tables.ts';
import { messagesToChat } from '../providers/anthropic/inbound.ts';
import type { Operation, TokenUsage } from '../providers/types.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { CatalogModel, ModelCatalog } from '../routing/model-catalog.service.ts';
import { withinPrice } from '../routing/price-ceiling.ts';
import type { Router, Verdict } from '../routing/router.ts';
import { randomUUID } from 'node:crypto';
import { defaultOutputLimit, holdAmount, injectedOutputLimit, promptEstimate, tokenBudget, worstCase, worstPrice } from './billing-plan.ts';
import { modelNotAllowed, modelNotFound, noUpstreamAvailable, noUpstreamConfigured, operationNotSupported } from './gateway.errors.ts';
import { ClientSignal, onClientGone, type CancelSignal } from '../../platform/cancel-signal.ts';
import { RelayFailed, type createRelay, type Served } from './relay.ts';
import { respondJson } from './respond-json.ts';
import { respondStream } from './respond-stream.ts';
import { costOf, supplierEarning } from '../metering/cost.ts';

// One gateway request from key to charge: model rules of the key, candidates, the hold, the relay with failover, the
// response (JSON or stream), the charge — durable before the response completes — and the usage record.

export interface GatewayDeps {
  router: Router;
  catalog: ModelCatalog;
  relay: ReturnType<typeof createRelay>;
  billing: Billing;
  defaultMaxTokens: number;
  /** The platform's fee on what suppliers' packages earn, parts per million. */
  feeRatePpm: bigint;
  redis?: Redis;
  namespace: string;
  now: () => number;
}

/** What a finished exchange produced, for the charge and the usage record. */
export interface Outcome {
  status: UsageStatus;
  usage: TokenUsage;
  estimated: boolean;
  images: number;
  httpStatus: number;
  errorMessage?: string;
}

/** One exchange to run: who pays, what for, and on which platform it is metered. */
export interface GatewayCall {
  /** The charge's id: its transfer's idempotency key and the usage record's request id. */
  requestId: string;
  payer: Payer;
  model: string;
  op: Operation;
  /** The client's body (OpenAI format; Anthropic for `messages`); `stream: true` streams. */
  body: Record<string, unknown>;
  platform: UsagePlatform;
  /** Aborted when the client goes away. */
  signal: CancelSignal;
  allowedModels?: string[] | null;
  bodyBytes?: number;
}

export interface Exchange {
  requestId: string;
  model: string;
  op: Operation;
  clientBody: Record<string, unknown>;
  clientWantsUsage: boolean;
  served: Served;
  startedAt: number;
  /** Makes the charge durable; the response may complete only after it resolves. */
  settle(outcome: Outcome): Promise<void>;
  /** Before a stream's first byte: makes durable what the stream costs if it is cut there (its prompt). */
  open(): Promise<void>;
  /** The upstream failed after the first byte: the verdict says which circuit counts it (none for the request's fault). */
  reportFailure(verdict: Verdict): void;
}

const OP_NAMES: Record<Operation, string> = {
  chat: 'chat completions', completions: 'text completions', embeddings: 'embeddings', images: 'image generation', messages: 'messages',
};

export function createGateway(deps: GatewayDeps) {
  const keyLimiters = new Map<number, RateLimiterAbstract>();

  /** A key without a rate limit passes without a promise. */
  function limitKey(key: AuthenticatedKey): Promise<void> | undefined {
    const rpm = key.key.rateLimitRpm;
    if (!rpm) return undefined;
    let limiter = keyLimiters.get(rpm);
    if (!limiter) keyLimiters.set(rpm, (limiter = createLimiter({ redis: deps.redis, namespace: deps.namespace, name: `gw-key-${rpm}`, points: rpm, durationSeconds: 60 })));
    return consumeOrThrow(limiter, String(key.key.id), 'API');
  }

  /**
   * The upstreams that may serve the key's request. A model must be on the price list (what was shown is what bounds
   * the request); a candidate priced above the shown price in any part is not tried, so one supplier's price can
   * neither raise the hold nor the charge; and a package never serves its own supplier, who would otherwise pay
   * itself (earning back all but the fee, and inflating its sales).
   */
  function candidatesFor(model: string, op: Operation, buyerUserId: number, allowedModels?: string[] | null): Maybe<{ candidates: Candidate[]; known: CatalogModel }> {
    if (allowedModels?.length && !allowedModels.includes(model)) throw modelNotAllowed(model);
    const all = deps.router.candidates(model, op);
    const known = deps.catalog.get(model);
    // From memory both, nearly always: then no promise at all.
    if (all instanceof Promise || known instanceof Promise) return Promise.all([all, known]).then(([a, k]) => eligible(a, k, model, op, buyerUserId));
    return eligible(all, known, model, op, buyerUserId);
  }

  function eligible(all: Candidate[], known: CatalogModel | undefined, model: string, op: Operation, buyerUserId: number) {
    if (!known) throw modelNotFound(model);
    if (all.length === 0 && !known.operations.includes(op === 'messages' ? 'chat' : op)) throw operationNotSupported(model, OP_NAMES[op]);
    const candidates = all.filter((c) => c.supplierUserId !== buyerUserId && withinPrice(c.price, known.price));
    return { candidates, known };
  }

  function payerOf(key: AuthenticatedKey): Payer {
    return {
      userId: key.principal.userId,
      billingMode: key.billing.mode,
      creditLimitMicros: key.billing.creditLimitMicros,
      apiKeyId: key.key.id,
      keySpendLimitMicros: key.key.spendLimitMicros,
      keySpentMicros: key.key.spentMicros,
    };
  }

  /**
   * One exchange for anyone — a key's HTTP request or a studio tool: the hold, the relay with failover, then `respond`
   * reads the upstream's answer and settles (durably) before anything completes. The hold is released whatever
   * `respond` does (a no-op once settled). Throws RelayFailed when no upstream served it.
   */
  async function run<T>(call: GatewayCall, respond: (x: Exchange) => Promise<T>): Promise<T> {
    const { model, op, body, payer, signal, requestId: chargeId } = call;
    const startedAt = deps.now();
    const stream = body.stream === true;
    const found = candidatesFor(model, op, payer.userId, call.allowedModels);
    const { candidates, known } = found instanceof Promise ? await found : found;
    // The hold covers every output the request allows; a request that names no limit is sent the one assumed here.
    const defaultLimit = defaultOutputLimit(op, deps.defaultMaxTokens, known.maxOutputTokens);
    const injectedLimit = injectedOutputLimit(op, body, defaultLimit);
    const worst = worstCase(op, body, promptEstimate(body, call.bodyBytes ?? JSON.stringify(body).length, candidates), defaultLimit);
    const held = candidates.length > 0 ? deps.billing.reserve(payer, holdAmount(worst, worstPrice(candidates))) : undefined;
    const reservation = held instanceof Promise ? await held : held;
    const clientWantsUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    let chatBody: Record<string, unknown> | undefined;
    let served: Served;
    try {
      served = await deps.relay.forward({
        model,
        op,
        tokenBudget: tokenBudget(worst),
        candidates,
        stream,
        signal,
        startedAt,
        bodyFor(candidate, sentAs) {
          const base = op === 'messages' && sentAs === 'chat' ? (chatBody ??= messagesToChat(body)) : body;
          const out: Record<string, unknown> = { ...base, model: candidate.upstreamModel };
          if (injectedLimit !== undefined) out.max_tokens = injectedLimit;
          // Usage in the stream is how we meter it; the extra chunk is stripped again unless the client asked.
          if (stream && (sentAs === 'chat' || sentAs === 'completions')) out.stream_options = { ...(base.stream_options as object), include_usage: true };
          return out;
        },
      });
    } catch (err) {
      if (reservation) deps.billing.release(reservation);
      if (err instanceof RelayFailed && !signal.aborted) recordFailure(call, err, startedAt);
      throw err;
    }

    const charge = (o: Outcome) => chargeOf(call, served, startedAt, o);
    const exchange: Exchange = {
      requestId: chargeId,
      model,
      op,
      clientBody: body,
      clientWantsUsage,
      served,
      startedAt,
      settle: (outcome) =>
        deps.billing.settle(reservation, payer, charge(outcome)).then(() => {
          // Durable now: the package's quota counts these tokens as sold.
          served.attempt.quota?.settle(outcome.usage.promptTokens + outcome.usage.completionTokens);
        }),
      open: () => deps.billing.open(reservation, payer, charge(cutOpen(worst.promptTokens))),
      reportFailure: (verdict) => served.attempt.report(verdict),
    };
    try {
      return await respond(exchange);
    } finally {
      served.attempt.lease.release();
      // A response that failed before its charge was settled must not keep the hold (no-op once settled).
      if (reservation) deps.billing.release(reservation);
    }
  }

  return {
    run,

    /**
     * An upstream for a provider's async task (DashScope video), picked by the router like any request's — or, for a
     * task already submitted, the one it was submitted to (`ref`, from `upstreamRef`). The caller talks to it with
     * the candidate's base URL and credential.
     */
    async taskUpstream(model: string, ref?: string): Promise<Candidate> {
      const candidates = (await deps.router.candidates(model, 'images')).filter((c) => ref === undefined || upstreamRef(c) === ref);
      const [first] = deps.router.plan(candidates);
      if (!first) throw new RelayFailed(ref === undefined ? noUpstreamAvailable(model) : noUpstreamConfigured(model), 0);
      return first;
    },

    /** Meters what a task produced — `units` priced per image (a video's seconds) — on the call's platform. */
    async settleTask(call: Pick<GatewayCall, 'payer' | 'requestId' | 'model' | 'platform'>, candidate: Candidate, units: number, startedAt: number, status: 'success' | 'error'): Promise<void> {
      const o: Outcome = { status, usage: { promptTokens: 0, completionTokens: 0 }, estimated: false, images: status === 'success' ? units : 0, httpStatus: status === 'success' ? 200 : 502 };
      await deps.billing.settle(undefined, call.payer, chargeOf({ ...call, op: 'images' }, { firstByteMs: 0, attempts: 1, attempt: { candidate } }, startedAt, o));
    },

    async handle(req: FastifyRequest, reply: FastifyReply, op: Operation, body: Record<string, unknown>) {
      const key = req.apiKey as AuthenticatedKey;
      const limited = limitKey(key);
      if (limited) await limited;
      const gone = new ClientSignal();
      const stopWatching = onClientGone(reply, () => gone.abort());
      const call: GatewayCall = {
        requestId: chargeIdOf(req), payer: payerOf(key), model: body.model as string, op, body, platform: 'api', signal: gone,
        allowedModels: key.key.allowedModels, bodyBytes: Number(req.headers['content-length'] ?? 0) || undefined,
      };
      try {
        await run(call, (x) => (body.stream === true ? respondStream(reply, x, gone) : respondJson(reply, x)));
      } catch (err) {
        // The client went away before any upstream answered: nothing was served, nothing to send or charge.
        if (gone.aborted) return reply.hijack();
        if (err instanceof RelayFailed) throw err.error;
        throw err;
      } finally {
        stopWatching();
      }
    },
  };

  function chargeOf(call: Pick<GatewayCall, 'payer' | 'requestId' | 'model' | 'op' | 'platform'>, served: Pick<Served, 'firstByteMs' | 'attempts'> & { attempt: { candidate: Candidate } }, startedAt: number, o: Outcome): Charge {
    const { payer, requestId, model, op } = call;
    const c = served.attempt.candidate;
    const cost = costOf(c.price, o.usage, o.images);
    const tokens = o.usage.promptTokens + o.usage.completionTokens;
    const earning = c.supplierUserId === undefined ? 0n : supplierEarning(cost, deps.feeRatePpm);
    return {
      requestId,
      cost,
      description: `${model}: ${o.usage.promptTokens} in + ${o.usage.completionTokens} out tokens`,
      packageUse: c.kind === 'package' && c.supplierUserId !== undefined ? { packageId: c.id, supplierUserId: c.supplierUserId, tokens, earning } : undefined,
      usage: {
        requestId, userId: payer.userId, apiKeyId: payer.apiKeyId, model, operation: op,
        upstreamKind: c.kind, upstreamId: c.id, supplierUserId: c.supplierUserId ?? null, supplierEarningMicros: earning,
        tokensIn: o.usage.promptTokens, tokensOut: o.usage.completionTokens, costMicros: cost,
        latencyMs: deps.now() - startedAt, firstByteMs: served.firstByteMs,
        status: o.status, platform: call.platform, usageEstimated: o.estimated, attempts: served.attempts,
        httpStatus: o.httpStatus, errorMessage: o.errorMessage ?? null, createdAt: new Date(startedAt),
      },
    };
  }

  /** A request no upstream served costs nothing, but it is recorded (the usage log shows failures too). */
  function recordFailure(call: GatewayCall, err: RelayFailed, startedAt: number) {
    const { payer, requestId, model, op } = call;
    void deps.billing.settle(undefined, payer, {
      requestId,
      cost: 0n,
      description: `${model}: failed`,
      usage: {
        requestId, userId: payer.userId, apiKeyId: payer.apiKeyId, model, operation: op,
        upstreamKind: err.lastCandidate?.kind ?? null, upstreamId: err.lastCandidate?.id ?? null, supplierUserId: err.lastCandidate?.supplierUserId ?? null,
        latencyMs: deps.now() - startedAt, status: 'error', platform: call.platform, attempts: err.attempts,
        httpStatus: err.error.status, errorMessage: err.error.message, createdAt: new Date(startedAt),
      },
    });
  }
}

export type Gateway = ReturnType<typeof createGateway>;

/** Names a candidate across restarts: what a submitted task keeps to find its upstream again. */
export const upstreamRef = (c: Pick<Candidate, 'kind' | 'id'>) => `${c.kind}:${c.id}`;

/** What a stream cut at its first byte (by a crash, or inside this service) is charged: the prompt, as estimated. */
const cutOpen = (promptTokens: number): Outcome => ({
  status: 'aborted', usage: { promptTokens, completionTokens: 0 }, estimated: true, images: 0, httpStatus: 200,
  errorMessage: 'the stream was cut inside the gateway (e.g. the service stopped); charged its prompt',
});

/**
 * The id a request is recorded and charged under — unique per request, because usage records (and so charges) are
 * idempotent by it. Our own request ids are; an `X-Request-Id` the client sent is kept as the prefix, so the usage log
 * still finds it, but gets a suffix: a client repeating one must not make a second request free.
 */
function chargeIdOf(req: FastifyRequest): string {
  return req.headers['x-request-id'] === req.id ? `${req.id}~${randomUUID().slice(0, 8)}` : req.id;
}
