import type { FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import { AppError, forbidden, unauthenticated } from '../../platform/errors.ts';
import type { Principal, Role } from '../../platform/principal.ts';
import type { ApiKeyService, AuthenticatedKey } from './api-keys.service.ts';
import type { SessionService } from './sessions.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: AuthenticatedKey;
  }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function requireToken(req: FastifyRequest): string {
  const token = bearerToken(req);
  if (!token) throw unauthenticated('Missing bearer token');
  return token;
}

function requireRole(principal: Principal, roles: Role[]): void {
  if (!roles.includes(principal.role)) throw forbidden('This operation requires the operator role');
}

/** The route hooks every module uses; each sets `req.principal` (and `req.apiKey` for key auth). */
export function createAuthHooks(deps: { sessions: SessionService; apiKeys: ApiKeyService }) {
  const session: onRequestAsyncHookHandler = async (req) => {
    req.principal = await deps.sessions.authenticate(requireToken(req));
  };
  const apiKey: onRequestAsyncHookHandler = async (req) => {
    const auth = await deps.apiKeys.authenticate(requireToken(req), req.ip);
    req.apiKey = auth;
    req.principal = auth.principal;
  };
  /**
   * The gateway's: a Bearer token or Anthropic's `x-api-key`, looked up through the short-lived cache (every `/v1`
   * request authenticates; see api-keys.service.ts). Fastify's callback form: a cached key passes without a promise.
   */
  const gatewayKey: onRequestHookHandler = (req, _reply, done) => {
    const header = req.headers['x-api-key'];
    const token = bearerToken(req) ?? (typeof header === 'string' ? header.trim() : undefined);
    if (!token) return done(new AppError('UNAUTHENTICATED', 'Missing API key: send Authorization: Bearer <key> (or x-api-key: <key>)', { openaiCode: 'invalid_api_key' }));
    const admitted = (auth: AuthenticatedKey) => {
      req.apiKey = auth;
      req.principal = auth.principal;
      done();
    };
    const auth = deps.apiKeys.authenticate(token, req.ip, { cached: true });
    if (auth instanceof Promise) auth.then(admitted, done);
    else admitted(auth);
  };
  return {
    /** Console and studio routes: an access JWT of a live session. */
    session,
    sessionWithRole: (...roles: Role[]): onRequestAsyncHookHandler => async function (this: unknown, req, reply) {
      await session.call(this as never, req, reply);
      requireRole(req.principal as Principal, roles);
    },
    /** `/1`: one of our API keys. */
    apiKey,
    gatewayKey,
    apiKeyWithRole: (...roles: Role[]): onRequestAsyncHookHandler => async function (this: unknown, req, reply) {
      await apiKey.call(this as never, req, reply);
      requireRole(req.principal as Principal, roles);
    },
  };
}

export type AuthHooks = ReturnType<typeof createAuthHooks>;

/** The authenticated caller; only valid behind one of the hooks above. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthenticated();
  return req.principal;
}
