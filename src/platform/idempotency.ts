import crypto from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from './db.ts';
import { badRequest, conflict } from './errors.ts';
import type { Clock } from './time.ts';
import { idempotencyRecords } from './idempotency.tables.ts';

// `Idempotency-Key` on money mutations: same key + same request → the stored response; same key + another request,
// or the same key while the first is still running → 409 (the supply contract's SUP_*_4091 for both).
// Failed attempts are forgotten, so they can be retried.

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;

export const HOURS = 3600 * 1000;

function requestHash(req: FastifyRequest): string {
  // The body as the route parsed it: schemas turn amounts into bigint.
  const body = JSON.stringify(req.body ?? null, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  return crypto.createHash('sha256').update(`${req.method} ${req.url}\n${body}`).digest('hex');
}

export function createIdempotency(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;
  const table = idempotencyRecords;

  return {
    /**
     * Runs `work` at most once per (scope, key) within `ttlMs`; without the header it simply runs.
     * `work` returns the response body; it is stored and replayed with the header `Idempotent-Replayed: true`.
     */
    async run<T>(req: FastifyRequest, reply: FastifyReply, o: { scope: string; ttlMs: number; required?: boolean }, work: () => Promise<T>): Promise<T> {
      const header = req.headers['idempotency-key'];
      if (header === undefined && o.required) throw badRequest('This operation needs an Idempotency-Key header', { field: 'headers.idempotency-key' });
      if (header === undefined) return work();
      const key = Array.isArray(header) ? header[0] : header;
      if (!key || !KEY_PATTERN.test(key)) {
        throw badRequest('Idempotency-Key must be 8–255 printable characters', { field: 'headers.idempotency-key' });
      }
      const hash = requestHash(req);
      const now = clock.now();
      await database.db.delete(table).where(and(eq(table.scope, o.scope), eq(table.key, key), lt(table.expiresAt, now)));
      const [claimed] = await database.db
        .insert(table)
        .values({ scope: o.scope, key, requestHash: hash, state: 'in_flight', expiresAt: new Date(now.getTime() + o.ttlMs) })
        .onConflictDoNothing()
        .returning({ id: table.id });
      if (!claimed) {
        const [existing] = await database.db.select().from(table).where(and(eq(table.scope, o.scope), eq(table.key, key)));
        if (!existing) throw conflict('Idempotency-Key is being reset; retry');
        if (existing.requestHash !== hash) {
          throw conflict('Idempotency-Key was already used with a different request', { field: 'headers.idempotency-key' });
        }
        if (existing.state === 'in_flight') throw conflict('A request with this Idempotency-Key is still in progress');
        reply.header('idempotent-replayed', 'true');
        if (existing.statusCode) reply.status(existing.statusCode);
        return existing.response as T;
      }
      try {
        const body = await work();
        await database.db
          .update(table)
          .set({ state: 'completed', statusCode: reply.statusCode, response: body as object })
          .where(eq(table.id, claimed.id));
        return body;
      } catch (err) {
        await database.db.delete(table).where(eq(table.id, claimed.id));
        throw err;
      }
    },

    /** Drops expired records (run by a job). */
    async purge(): Promise<number> {
      const rows = await database.db.delete(table).where(lt(table.expiresAt, clock.now())).returning({ id: table.id });
      return rows.length;
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
