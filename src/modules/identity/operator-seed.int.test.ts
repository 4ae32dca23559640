import crypto from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/helpers/actors.ts';
import { buildTestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import type { Database } from '../../platform/db.ts';
import { users } from './identity.tables.ts';

// ADMIN_EMAIL/ADMIN_PASSWORD seed the first operator when no admin exists; restarts never add another.
// Each app here is a "process start" on one shared database.

const json = { 'content-type': 'application/json' };
const secrets = { MASTER_KEY: crypto.randomBytes(32).toString('hex'), JWT_SECRET: crypto.randomBytes(32).toString('hex') };

describe.each(DB_TIERS)('operator seeding on $name', (tier) => {
  let database: Database;
  const apps: FastifyInstance[] = [];
  // One log per start; read together, like one log file across restarts.
  const startLogs: string[][] = [];
  const logs = () => startLogs.flat();

  async function start(env: Record<string, string> = {}) {
    const built = await buildTestApp(database, { env: { ...secrets, ...env } });
    await built.app.ready();
    startLogs.push(built.logs);
    apps.push(built.app);
    return built.app;
  }
  const login = (app: FastifyInstance, username: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
  const liveAdmins = () =>
    database.db.select().from(users).where(and(eq(users.role, 'admin'), isNull(users.deletedAt)));

  beforeAll(async () => {
    database = await tier.open();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.close();
  });

  it('starts without an operator when ADMIN_EMAIL is not set', async () => {
    await start();
    expect(await liveAdmins()).toEqual([]);
  });

  it('seeds an operator who logs in by email and is an admin on /auth/me', async () => {
    const app = await start({ ADMIN_EMAIL: 'Ops.Lead@example.com', ADMIN_PASSWORD: 'operator pass 1' });
    const res = await login(app, 'ops.lead@example.com', 'operator pass 1');
    expect(res.statusCode).toBe(200);
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(res.json().data.access_token) });
    expect(me.json().data).toMatchObject({ username: 'Ops.Lead', email: 'Ops.Lead@example.com', role: 'admin' });
    const admins = await liveAdmins();
    expect(admins).toHaveLength(1);
    expect(admins[0]).toMatchObject({ username: 'Ops.Lead', billingMode: 'postpaid', status: 'active' });
    expect(admins[0]?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(logs().some((l) => l.includes('seeded the first operator'))).toBe(true);
  });

  it('lets the operator log in by the derived username too', async () => {
    const app = apps.at(-1) as FastifyInstance;
    expect((await login(app, 'ops.lead', 'operator pass 1')).statusCode).toBe(200);
  });

  it('does not seed a second operator or change the password on the next start', async () => {
    const app = await start({ ADMIN_EMAIL: 'other.ops@example.com', ADMIN_PASSWORD: 'another pass 2' });
    expect(await liveAdmins()).toHaveLength(1);
    expect((await login(app, 'other.ops@example.com', 'another pass 2')).statusCode).toBe(401);
    expect((await login(app, 'ops.lead@example.com', 'operator pass 1')).statusCode).toBe(200);

    await start({ ADMIN_EMAIL: 'Ops.Lead@example.com', ADMIN_PASSWORD: 'changed pass 3' });
    expect(await liveAdmins()).toHaveLength(1);
    expect((await login(app, 'ops.lead@example.com', 'changed pass 3')).statusCode).toBe(401);
  });

  it('answers 403 to /1/users/init once an operator was seeded', async () => {
    const app = apps.at(-1) as FastifyInstance;
    const res = await app.inject({ method: 'POST', url: '/1/users/init' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'Already initialised' });
    expect(await liveAdmins()).toHaveLength(1);
  });

  it("keeps the operator's name and email from being registered again", async () => {
    const app = apps.at(-1) as FastifyInstance;
    const byName = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: { username: 'ops.lead', email: 'someone@example.com', password: 'password123' },
    });
    expect(byName.statusCode).toBe(409);
    const byEmail = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: { username: 'someone', email: 'OPS.LEAD@example.com', password: 'password123' },
    });
    expect(byEmail.statusCode).toBe(409);
  });

  it('never writes the seeded password to the log', () => {
    expect(logs().length).toBeGreaterThan(0);
    for (const password of ['operator pass 1', 'another pass 2', 'changed pass 3']) {
      expect(logs().filter((l) => l.includes(password))).toEqual([]);
    }
  });
});

describe.each(DB_TIERS)('operator seeding edge cases on $name', (tier) => {
  let database: Database;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    database = await tier.open();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    const { app } = await buildTestApp(database, { env: { LOG_LEVEL: 'silent', ...secrets, ...env } });
    apps.push(app);
    return app;
  };

  it('still boots and seeds when a user already holds the name derived from ADMIN_EMAIL', async () => {
    const first = await start();
    const reg = await first.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: { username: 'alice', email: 'alice@home.example', password: 'password123' },
    });
    expect(reg.statusCode).toBe(200);

    const app = await start({ ADMIN_EMAIL: 'alice@corp.example', ADMIN_PASSWORD: 'operator pass 1' });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { username: 'alice@corp.example', password: 'operator pass 1' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.user).toMatchObject({ username: 'alice2', email: 'alice@corp.example' });
    const alice = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { username: 'alice', password: 'password123' },
    });
    expect(alice.json().data.user).toMatchObject({ id: reg.json().data.id, username: 'alice' });
  });
});

describe.each(DB_TIERS)('operator seeding races on $name', (tier) => {
  let database: Database;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    database = await tier.open();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.close();
  });

  it('creates one operator when two processes start at once', async () => {
    const env = { LOG_LEVEL: 'silent', ...secrets, ADMIN_EMAIL: 'race@example.com', ADMIN_PASSWORD: 'operator pass 1' };
    const started = await Promise.all([1, 2, 3].map(() => buildTestApp(database, { env })));
    apps.push(...started.map((b) => b.app));
    const admins = await database.db.select().from(users).where(eq(users.role, 'admin'));
    expect(admins.map((a) => a.email)).toEqual(['race@example.com']);
  });
});
