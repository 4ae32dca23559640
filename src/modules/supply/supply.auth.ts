import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Database } from '../../platform/db.ts';
import { unauthenticated } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import { suppliers } from './supply.tables.ts';

// Who may call the supply console (DESIGN.md §6): any signed-in user, by the `Authorization` header only — a
// credential in the query string is refused before anything else, so it is never even looked at. The first supply
// call creates the caller's supplier profile.

/** Query parameters that carry a credential in other APIs (`?key=`, `?api_key=`, `?access_token=`, …). */
const CREDENTIAL_PARAMS = /^(api[-_]?key|key|token|access[-_]?token|auth|authorization|secret|jwt|sk)$/i;

function refuseQueryCredentials(req: FastifyRequest): void {
  const query = req.url.split('?', 2)[1];
  if (!query) return;
  for (const name of new URLSearchParams(query).keys()) {
    if (CREDENTIAL_PARAMS.test(name)) throw unauthenticated('Credentials are accepted only in the Authorization header, never in the query string');
  }
}

export function createSupplyAuth(deps: { auth: AuthHooks; database: Database }) {
  const known = new Set<number>();

  async function ensureSupplier(userId: number): Promise<void> {
    if (known.has(userId)) return;
    await deps.database.db.insert(suppliers).values({ userId }).onConflictDoNothing();
    known.add(userId);
  }

  const supplier: onRequestAsyncHookHandler = async function (this: unknown, req, reply) {
    refuseQueryCredentials(req);
    await deps.auth.session.call(this as never, req, reply);
    await ensureSupplier((req.principal as Principal).userId);
  };
  const operator: onRequestAsyncHookHandler = async function (this: unknown, req, reply) {
    refuseQueryCredentials(req);
    await deps.auth.sessionWithRole('admin').call(this as never, req, reply);
  };
  return {
    /** Supply console routes: a signed-in user, whose supplier profile now exists. */
    supplier: { onRequest: supplier },
    /** Operator routes under `/api/v1/supply/admin`. */
    operator: { onRequest: operator },
  };
}

export type SupplyAuth = ReturnType<typeof createSupplyAuth>;
