import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db.ts';
import { registerEdge } from '../../src/platform/http.ts';
import { createIdempotency, HOURS } from '../../src/platform/idempotency.ts';
import { fakeClock } from '../helpers/app.ts';
import { DB_TIERS } from '../helpers/database.ts';

// A bare app with one mutation behind the idempotency guard: counts how often the work really runs.

describe.each(DB_TIERS)('Idempotency-Key on $name', (tier) => {
  let database: Database;
  let app: FastifyInstance;
  const clock = fakeClock();
  let runs = 0;
  let gate: Promise<void> | undefined;
  let txRuns = 0;
  const failedAfterCommit = new Set<string>();

  beforeAll(async () => {
    database = await tier.open();
    const idempotency = createIdempotency({ database, clock });
    app = Fastify();
    registerEdge(app);
    app.post('/api/v1/things/:owner', async (req, reply) =>
      idempotency.run(req, reply, { scope: `user:${(req.params as { owner: string }).owner}:things`, ttlMs: 24 * HOURS }, async () => {
        runs++;
        await gate;
        if ((req.body as { fail?: boolean }).fail) throw new Error('boom');
        reply.status(201);
        return { code: 200, message: 'created', data: { run: runs } };
      }),
    );
    // Work with effects of its own, saving its response in its transaction (as the money services do).
    await database.db.execute(sql`CREATE TABLE test_things (id serial PRIMARY KEY, owner text NOT NULL)`);
    app.post('/api/v1/tx-things/:owner', async (req, reply) => {
      const { owner } = req.params as { owner: string };
      const body = req.body as { failAfterCommit?: boolean; failInside?: boolean; forgetAfter?: boolean };
      return idempotency.run(req, reply, { scope: `user:${owner}:tx-things`, ttlMs: 24 * HOURS, status: 201 }, async (record) => {
        txRuns++;
        const answer = { code: 200, message: 'created', data: { run: txRuns } };
        await database.transaction(async (tx) => {
          await tx.execute(sql`INSERT INTO test_things (owner) VALUES (${owner})`);
          await record.save(tx, answer);
          if (body.failInside && txRuns === 1) throw new Error('rolled back after the save');
        });
        if (body.forgetAfter && txRuns === 1) {
          await database.transaction(async (tx) => {
            await tx.execute(sql`DELETE FROM test_things WHERE owner = ${owner}`);
            await record.forget(tx);
          });
          throw new Error('compensated');
        }
        if (body.failAfterCommit && !failedAfterCommit.has(owner)) {
          failedAfterCommit.add(owner);
          throw new Error('lost after commit');
        }
        return answer;
      });
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const post = (owner: string, key: string | undefined, body: object) =>
    app.inject({ method: 'POST', url: `/api/v1/things/${owner}`, headers: key ? { 'idempotency-key': key } : {}, payload: body });

  it('replays the stored response for the same key and body, running the work once', async () => {
    const before = runs;
    const first = await post('a', 'key-0001-same', { amount: 1 });
    const second = await post('a', 'key-0001-same', { amount: 1 });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(before + 1);
  });

  it('answers 409 when the key comes back with a different body, and runs nothing', async () => {
    await post('a', 'key-0002-diff', { amount: 1 });
    const before = runs;
    const res = await post('a', 'key-0002-diff', { amount: 2 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 409, data: null });
    expect(runs).toBe(before);
  });

  it('answers 409 to a concurrent request with the same key while the first is running', async () => {
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    const first = post('a', 'key-0003-conc', { amount: 1 });
    await new Promise((r) => setTimeout(r, 50));
    const second = await post('a', 'key-0003-conc', { amount: 1 });
    open();
    gate = undefined;
    expect(second.statusCode).toBe(409);
    expect((await first).statusCode).toBe(201);
  });

  it('keeps keys of different callers apart', async () => {
    const before = runs;
    await post('a', 'key-0004-shared', { amount: 1 });
    await post('b', 'key-0004-shared', { amount: 1 });
    expect(runs).toBe(before + 2);
  });

  it('forgets a failed attempt so the client can retry it', async () => {
    const failed = await post('a', 'key-0005-fail', { fail: true });
    expect(failed.statusCode).toBe(500);
    const before = runs;
    const retry = await post('a', 'key-0005-fail', { fail: true });
    expect(retry.statusCode).toBe(500);
    expect(runs).toBe(before + 1);
  });

  it('runs again once the key has expired', async () => {
    await post('a', 'key-0006-ttl', { amount: 1 });
    clock.advance(25 * HOURS);
    const before = runs;
    const again = await post('a', 'key-0006-ttl', { amount: 1 });
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(runs).toBe(before + 1);
  });

  it('refuses a malformed key with 400', async () => {
    const res = await post('a', 'short', { amount: 1 });
    expect(res.statusCode).toBe(400);
  });

  it('simply runs without the header', async () => {
    const before = runs;
    await post('a', undefined, { amount: 1 });
    await post('a', undefined, { amount: 1 });
    expect(runs).toBe(before + 2);
  });
  describe('a response saved in the work’s own transaction', () => {
    const postTx = (owner: string, key: string, body: object) =>
      app.inject({ method: 'POST', url: `/api/v1/tx-things/${owner}`, headers: { 'idempotency-key': key }, payload: body });
    const things = async (owner: string) =>
      Number(((await database.db.execute(sql`SELECT count(*)::int AS n FROM test_things WHERE owner = ${owner}`)) as unknown as { rows: { n: number }[] }).rows[0]?.n);

    it('survives a failure after the commit: the retry gets the stored answer and status, and the work is not redone', async () => {
      txRuns = 0;
      const lost = await postTx('c1', 'tx-key-0001', { failAfterCommit: true });
      expect(lost.statusCode).toBe(500);
      const retry = await postTx('c1', 'tx-key-0001', { failAfterCommit: true });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual({ code: 200, message: 'created', data: { run: 1 } });
      expect(txRuns).toBe(1);
      expect(await things('c1')).toBe(1);
    });

    it('stores nothing when the work’s transaction rolls back after the save: the retry runs the work', async () => {
      txRuns = 0;
      expect((await postTx('c2', 'tx-key-0002', { failInside: true })).statusCode).toBe(500);
      expect(await things('c2')).toBe(0);
      const retry = await postTx('c2', 'tx-key-0002', { failInside: true });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(txRuns).toBe(2);
      expect(await things('c2')).toBe(1);
    });

    it('frees the key when the work forgets its saved response while undoing its effects', async () => {
      txRuns = 0;
      expect((await postTx('c3', 'tx-key-0003', { forgetAfter: true })).statusCode).toBe(500);
      const retry = await postTx('c3', 'tx-key-0003', { forgetAfter: true });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(txRuns).toBe(2);
      expect(await things('c3')).toBe(1);
    });
  });
});
