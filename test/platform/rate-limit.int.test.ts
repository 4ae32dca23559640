import crypto from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db.ts';
import { connectTestRedis, redisUrl, startTestApp, type TestApp } from '../helpers/app.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { json, signUp, uniqueName } from './support.ts';
import { buildTestApp } from '../helpers/app.ts';

// Each class gets a different limit, so a test passing for one class cannot be another class's limit at work.
const LIMITS = { RATE_LIMIT_AUTH_PER_MIN: '3', RATE_LIMIT_QUERY_PER_MIN: '4', RATE_LIMIT_OTHER_PER_MIN: '2' };

const STORES = [
  { name: 'in-memory', connect: (): Redis | undefined => undefined },
  ...(redisUrl ? [{ name: 'Redis', connect: connectTestRedis }] : []),
];

function expectLimited(res: LightMyRequestResponse) {
  expect(res.statusCode).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

const badLogin = (ip: string): InjectOptions => ({
  method: 'POST',
  url: '/api/v1/auth/login',
  headers: json,
  payload: { username: 'nobody', password: 'wrong password' },
  remoteAddress: ip,
});

describe.each(DB_TIERS)('studio rate limits on $name', (tier) => {
  describe.each(STORES)('with $name counters', (store) => {
    let t: TestApp;
    let redis: Redis | undefined;
    const request = (opts: InjectOptions) => t.request(opts);
    const ip = () => `10.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}`;

    beforeAll(async () => {
      redis = store.connect();
      t = await startTestApp(tier, { env: LIMITS, redis });
    });
    afterAll(async () => {
      await t?.close();
      await redis?.quit();
    });

    it('refuses the 4th authentication request from one IP within a minute with 429 and Retry-After', async () => {
      const from = ip();
      for (let i = 0; i < 3; i++) expect((await request(badLogin(from))).statusCode).toBe(401);
      const limited = await request(badLogin(from));
      expectLimited(limited);
      expect(limited.json()).toEqual({ code: 429, message: expect.stringMatching(/authentication/), data: null });
    });

    it('still lets another IP authenticate', async () => {
      const from = ip();
      for (let i = 0; i < 4; i++) await request(badLogin(from));
      expect((await request(badLogin(from))).statusCode).toBe(429);
      expect((await request(badLogin(ip()))).statusCode).toBe(401);
    });

    it('counts register, login and refresh against the same per-IP budget', async () => {
      const from = ip();
      const name = uniqueName('rl');
      const reg = await request({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: json,
        payload: { username: name, email: `${name}@example.com`, password: 'correct horse 1' },
        remoteAddress: from,
      });
      expect(reg.statusCode).toBe(200);
      expect((await request(badLogin(from))).statusCode).toBe(401);
      expect((await request({ method: 'POST', url: '/api/v1/auth/refresh', remoteAddress: from })).statusCode).toBe(401);
      expectLimited(await request({ ...badLogin(from), url: '/api/v1/auth/register' }));
    });

    it('refuses a user\'s 5th query (GET) in a minute, from any IP, while another user is fine', async () => {
      const a = await signUp(request, uniqueName('qa'), ip());
      const b = await signUp(request, uniqueName('qb'), ip());
      for (let i = 0; i < 4; i++) {
        expect((await request({ method: 'GET', url: '/api/v1/auth/me', headers: a.auth, remoteAddress: ip() })).statusCode).toBe(200);
      }
      const limited = await request({ method: 'GET', url: '/api/v1/auth/me', headers: a.auth, remoteAddress: ip() });
      expectLimited(limited);
      expect(limited.json()).toEqual({ code: 429, message: expect.any(String), data: null });
      expect((await request({ method: 'GET', url: '/api/v1/auth/me', headers: b.auth })).statusCode).toBe(200);
      // The other class has its own budget.
      expect((await request({ method: 'POST', url: '/api/v1/keys', headers: { ...a.auth, ...json }, payload: { name: 'k' } })).statusCode).toBe(200);
    });

    it('refuses a user\'s 3rd other (non-GET) request in a minute, while another user is fine', async () => {
      const c = await signUp(request, uniqueName('oc'), ip());
      const d = await signUp(request, uniqueName('od'), ip());
      const createKey = (auth: Record<string, string>) =>
        request({ method: 'POST', url: '/api/v1/keys', headers: { ...auth, ...json }, payload: { name: 'k' }, remoteAddress: ip() });
      for (let i = 0; i < 2; i++) expect((await createKey(c.auth)).statusCode).toBe(200);
      const limited = await createKey(c.auth);
      expectLimited(limited);
      expect(limited.json()).toMatchObject({ code: 429, data: null });
      expect((await createKey(d.auth)).statusCode).toBe(200);
      expect((await request({ method: 'GET', url: '/api/v1/auth/me', headers: c.auth })).statusCode).toBe(200);
    });

    it('limits anonymous queries per IP and answers 429 in the supply envelope under /api/v1/supply', async () => {
      const from = ip();
      for (let i = 0; i < 4; i++) {
        expect((await request({ method: 'GET', url: '/api/v1/supply/accounts/x/unknown', remoteAddress: from })).statusCode).toBe(404);
      }
      const limited = await request({ method: 'GET', url: '/api/v1/supply/accounts/x/unknown', remoteAddress: from });
      expectLimited(limited);
      expect(limited.json()).toEqual({
        request_id: limited.headers['x-request-id'],
        error: { code: 'SUP_ACC_4291', message: expect.any(String), details: {} },
      });
    });

    it('leaves /1, /v1 and the probes to their own limits', async () => {
      const from = ip();
      for (let i = 0; i < 6; i++) {
        expect((await request({ method: 'GET', url: '/1/x', remoteAddress: from })).statusCode).toBe(404);
        expect((await request({ method: 'GET', url: '/v1/x', remoteAddress: from })).statusCode).toBe(404);
        expect((await request({ method: 'GET', url: '/healthz', remoteAddress: from })).statusCode).toBe(200);
      }
    });
  });

  describe('two app instances', () => {
    const apps: FastifyInstance[] = [];
    const databases: Database[] = [];
    const clients: Redis[] = [];
    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const db of databases) await db.close();
      for (const client of clients) await client.quit();
    });

    async function pair(o: { redis: boolean }): Promise<[FastifyInstance, FastifyInstance]> {
      const namespace = `t${crypto.randomBytes(6).toString('hex')}`;
      const built: FastifyInstance[] = [];
      for (let i = 0; i < 2; i++) {
        const database = await tier.open();
        databases.push(database);
        const redis = o.redis ? connectTestRedis() : undefined;
        if (redis) clients.push(redis);
        const { app } = await buildTestApp(database, { env: LIMITS, redis, namespace });
        await app.ready();
        apps.push(app);
        built.push(app);
      }
      return built as [FastifyInstance, FastifyInstance];
    }

    it.runIf(redisUrl)('share one per-IP budget through Redis', async () => {
      const [first, second] = await pair({ redis: true });
      expect((await first.inject(badLogin('10.9.9.9'))).statusCode).toBe(401);
      expect((await first.inject(badLogin('10.9.9.9'))).statusCode).toBe(401);
      expect((await second.inject(badLogin('10.9.9.9'))).statusCode).toBe(401);
      expectLimited(await second.inject(badLogin('10.9.9.9')));
      expectLimited(await first.inject(badLogin('10.9.9.9')));
    });

    it('keep separate budgets without Redis (each node counts alone)', async () => {
      const [first, second] = await pair({ redis: false });
      for (let i = 0; i < 3; i++) expect((await first.inject(badLogin('10.8.8.8'))).statusCode).toBe(401);
      expectLimited(await first.inject(badLogin('10.8.8.8')));
      expect((await second.inject(badLogin('10.8.8.8'))).statusCode).toBe(401);
    });
  });
});
