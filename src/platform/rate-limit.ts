import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from './errors.ts';
import './principal.ts';

export interface LimiterOptions {
  redis?: Redis;
  /** Separates the counters of independent deployments (and of parallel test apps) sharing one Redis. */
  namespace: string;
  name: string;
  points: number;
  durationSeconds: number;
}

/** A Redis limiter when Redis is configured (shared by every node), else an in-process one. */
export function createLimiter(o: LimiterOptions): RateLimiterAbstract {
  const base = { keyPrefix: `${o.namespace}:rl:${o.name}`, points: o.points, duration: o.durationSeconds };
  if (!o.redis) return new RateLimiterMemory(base);
  // If Redis is unreachable, limit per node rather than fail every request.
  return new RateLimiterRedis({ ...base, storeClient: o.redis, insuranceLimiter: new RateLimiterMemory(base) });
}

/** Consumes one point; a refusal becomes a 429 AppError with Retry-After. */
export async function consumeOrThrow(limiter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    const err = new AppError('RATE_LIMITED', `Too many ${what} requests; retry in ${retryAfter}s`);
    err.headers['retry-after'] = String(retryAfter);
    throw err;
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` on routes the studio table must not limit: payment providers' notices come from a few shared IPs. */
    studioRateLimit?: false | 'ai';
  }
}

export type StudioLimitClass = 'auth' | 'query' | 'other' | 'ai';

// The studio spec's table: auth endpoints per IP; queries and everything else per user (per IP when anonymous);
// AI generation (routes marked `studioRateLimit: 'ai'`) per user per hour, members unlimited.
export function studioLimitClass(req: FastifyRequest): StudioLimitClass {
  if (req.routeOptions.config?.studioRateLimit === 'ai') return 'ai';
  const path = req.url.split('?')[0] ?? '';
  if (path.startsWith('/api/v1/auth/') && req.method !== 'GET') return 'auth';
  return req.method === 'GET' || req.method === 'HEAD' ? 'query' : 'other';
}

export function registerStudioRateLimits(
  app: FastifyInstance,
  o: {
    redis?: Redis;
    namespace: string;
    limits: { authPerMin: number; queryPerMin: number; otherPerMin: number; aiNonMemberPerHour: number };
    /** Members generate without the hourly limit. */
    isMember: (userId: number) => Promise<boolean>;
  },
): void {
  const limiters: Record<StudioLimitClass, RateLimiterAbstract> = {
    auth: createLimiter({ ...o, name: 'auth', points: o.limits.authPerMin, durationSeconds: 60 }),
    query: createLimiter({ ...o, name: 'query', points: o.limits.queryPerMin, durationSeconds: 60 }),
    other: createLimiter({ ...o, name: 'other', points: o.limits.otherPerMin, durationSeconds: 60 }),
    ai: createLimiter({ ...o, name: 'ai', points: o.limits.aiNonMemberPerHour, durationSeconds: 3600 }),
  };
  const WHAT: Record<StudioLimitClass, string> = { auth: 'authentication', query: 'query', other: 'other', ai: 'AI generation' };
  // preValidation runs after route-level onRequest auth (so the user is known) and before body validation
  // (so malformed requests count too).
  async function limit(req: FastifyRequest) {
    const cls = studioLimitClass(req);
    const key = cls !== 'auth' && req.principal ? `u:${req.principal.userId}` : `ip:${req.ip}`;
    if (cls === 'ai' && req.principal && (await o.isMember(req.principal.userId))) return;
    await consumeOrThrow(limiters[cls], key, WHAT[cls]);
  }
  // The callback form: the gateway's requests pass straight through without a promise of their own.
  app.addHook('preValidation', (req, _reply, done) => {
    if (!req.url.startsWith('/api/v1/') || req.routeOptions.config?.studioRateLimit === false) return done();
    limit(req).then(() => done(), done);
  });
}
