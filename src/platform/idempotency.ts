import crypto from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Db } from './db.ts';
import { badRequest, conflict } from './errors.ts';
import type { Clock } from './time.ts';
import { idempotencyRecords } from './idempotency.tables.ts';

// `Idempotency-Key` on money mutations: same key + same request → the stored response; same key + another request,
// or the same key while the first is still running → 409 (the supply contract's SUP_*_4091 for both).
// The stored response is written by the work itself, in the transaction that makes its effects (ResponseRecord), so
// the two commit together: once the effects exist, a retry gets the response, whatever fails afterwards. Attempts
// that stored nothing are forgotten, so they can be retried.

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;

export const HOURS = 3600 * 1000;

/** How a service stores the response of an idempotent request inside its own transaction. */
export interface ResponseRecord<R> {
  /** Stores the response for `result` in `tx`: it commits, or rolls back, with the work. Saving again replaces it. */
  save(tx: Db, result: R): Promise<void>;
  /** The work failed after an earlier save committed (e.g. a payment that could not start): the key is free again. */
  forget(tx: Db): Promise<void>;
}

/** The record of a call without an `Idempotency-Key` (or outside any request): nothing to store. */
export const NO_RECORD: ResponseRecord<never> = { save: async () => undefined, forget: async () => undefined };

/** A service's record of its result `R`, stored as the response `view(R)` (computed inside the same transaction). */
export function recordAs<R, T>(record: ResponseRecord<T>, view: (result: R, tx: Db) => T | Promise<T>): ResponseRecord<R> {
  return { save: async (tx, result) => record.save(tx, await view(result, tx)), forget: (tx) => record.forget(tx) };
}

function requestHash(req: FastifyRequest): string {
  // The body as the route parsed it: schemas turn amounts into bigint.
  const body = JSON.stringify(req.body ?? null, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  return crypto.createHash('sha256').update(`${req.method} ${req.url}\n${body}`).digest('hex');
}

/** The request's Idempotency-Key (undefined when absent); 400 when it is not 8–255 printable characters. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || !KEY_PATTERN.test(key)) throw badRequest('Idempotency-Key must be 8–255 printable characters', { field: 'headers.idempotency-key' });
  return key;
}

export function createIdempotency(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;
  const table = idempotencyRecords;

  return {
    /**
     * Runs `work` at most once per (scope, key) within `ttlMs`; without the header it simply runs. `work` returns the
     * response body and should `save` it in the transaction of its effects; a body it did not save is stored after it
     * returns. A replay answers the stored body and status with the header `Idempotent-Replayed: true`.
     * `status` is the success status (stored with the body, and set on the reply).
     */
    async run<T>(
      req: FastifyRequest,
      reply: FastifyReply,
      o: { scope: string; ttlMs: number; required?: boolean; status?: number },
      work: (record: ResponseRecord<NoInfer<T>>) => Promise<T>,
    ): Promise<T> {
      const header = req.headers['idempotency-key'];
      if (header === undefined && o.required) throw badRequest('This operation needs an Idempotency-Key header', { field: 'headers.idempotency-key' });
      const succeed = (body: T) => {
        if (o.status) reply.status(o.status);
        return body;
      };
      if (header === undefined) return succeed(await work(NO_RECORD));
      const key = idempotencyKeyOf(req) as string;
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
      const completed = (body: T) => ({ state: 'completed' as const, statusCode: o.status ?? reply.statusCode, response: body as object });
      const record: ResponseRecord<T> = {
        async save(tx, body) {
          const saved = await tx.update(table).set(completed(body)).where(eq(table.id, claimed.id)).returning({ id: table.id });
          // Gone only if it expired and was purged while the work ran: better to roll the work back than commit it unrecorded.
          if (saved.length === 0) throw conflict('The Idempotency-Key expired while the request ran; retry');
        },
        async forget(tx) {
          await tx.delete(table).where(eq(table.id, claimed.id));
        },
      };
      try {
        const body = await work(record);
        // Work that saved nothing in a transaction of its own (no effects, or not converted): stored now.
        await database.db.update(table).set(completed(body)).where(and(eq(table.id, claimed.id), eq(table.state, 'in_flight')));
        return succeed(body);
      } catch (err) {
        // Only an attempt that stored nothing is forgotten: a response that committed with its work stays for the retry.
        await database.db.delete(table).where(and(eq(table.id, claimed.id), eq(table.state, 'in_flight')));
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
