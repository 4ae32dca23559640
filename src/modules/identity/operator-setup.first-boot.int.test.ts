import crypto from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/helpers/actors.ts';
import { buildTestApp, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import type { Database } from '../../platform/db.ts';
import { users } from './identity.tables.ts';

// A fresh install without ADMIN_EMAIL: main.ts prints a link that creates the first operator. And ADMIN_EMAIL set
// after an operator exists is not applied: the log says so, and how to get in anyway.

const json = { 'content-type': 'application/json' };
const tokenOf = (url: string) => new URL(url).searchParams.get('token') as string;

describe.each(DB_TIERS)('first-operator links on $name', (tier) => {
  let t: TestApp;
  let first: string;
  let spare: string;

  const inspect = (token: string) => t.request({ method: 'GET', url: `/api/v1/auth/operator-setup?token=${token}` });
  const redeem = (payload: object) => t.request({ method: 'POST', url: '/api/v1/auth/operator-setup', headers: json, payload });
  const liveAdmins = () => t.database.db.select().from(users).where(and(eq(users.role, 'admin'), isNull(users.deletedAt)));

  beforeAll(async () => {
    t = await startTestApp(tier);
  });
  afterAll(() => t?.close());

  it('issues a link per start while there is no operator, each usable on its own', async () => {
    const links = [await t.app.tollgateOperatorSetup.firstOperatorLink(), await t.app.tollgateOperatorSetup.firstOperatorLink()];
    [first, spare] = links.map((l) => tokenOf(l?.url as string)) as [string, string];
    expect(first).not.toBe(spare);
    for (const token of [first, spare]) {
      expect((await inspect(token)).json().data).toEqual({ valid: true, creates_operator: true, username: null, email: null });
    }
  });

  it('creates the first operator, signed in, with the chosen name', async () => {
    const res = await redeem({ token: first, email: 'chief@example.com', password: 'first operator 1', username: 'chief' });
    expect(res.statusCode).toBe(200);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(res.json().data.access_token) });
    expect(me.json().data).toMatchObject({ username: 'chief', email: 'chief@example.com', role: 'admin' });
    expect(await liveAdmins()).toEqual([expect.objectContaining({ username: 'chief', billingMode: 'postpaid', status: 'active' })]);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: 'chief@example.com', password: 'first operator 1' } });
    expect(login.statusCode).toBe(200);
  });

  it('refuses the other first-operator links once an operator exists, and issues no more', async () => {
    expect((await inspect(spare)).json().data.valid).toBe(false);
    const res = await redeem({ token: spare, email: 'second@example.com', password: 'second operator 2' });
    expect(res.statusCode).toBe(404);
    expect(await liveAdmins()).toHaveLength(1);
    expect(await t.app.tollgateOperatorSetup.firstOperatorLink()).toBeUndefined();
    expect((await t.request({ method: 'POST', url: '/1/users/init' })).statusCode).toBe(403);
  });

  it('names the operator after the email when no name is chosen', async () => {
    const other = await startTestApp(tier);
    try {
      const link = await other.app.tollgateOperatorSetup.firstOperatorLink();
      const res = await other.request({
        method: 'POST', url: '/api/v1/auth/operator-setup', headers: json, payload: { token: tokenOf(link?.url as string), email: 'Jane.Doe+ops@example.com', password: 'first operator 1' },
      });
      expect(res.json().data.user).toMatchObject({ username: 'Jane.Doeops', email: 'Jane.Doe+ops@example.com' });
    } finally {
      await other.close();
    }
  });
});

describe.each(DB_TIERS)('ADMIN_EMAIL once an operator exists on $name', (tier) => {
  let database: Database;
  const apps: FastifyInstance[] = [];
  const secrets = { MASTER_KEY: crypto.randomBytes(32).toString('hex'), JWT_SECRET: crypto.randomBytes(32).toString('hex') };

  async function start(env: Record<string, string>) {
    const built = await buildTestApp(database, { env: { ...secrets, ...env } });
    await built.app.ready();
    apps.push(built.app);
    return { app: built.app, lines: () => built.logs.map((l) => JSON.parse(l) as { level: number; msg: string }) };
  }

  beforeAll(async () => {
    database = await tier.open();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.close();
  });

  it('warns that it was ignored, why, and the command that makes that email an operator', async () => {
    const { app } = await start({});
    expect((await app.inject({ method: 'POST', url: '/1/users/init' })).statusCode).toBe(200);

    const { lines } = await start({ ADMIN_EMAIL: 'late@example.com', ADMIN_PASSWORD: 'late operator 1' });
    const warnings = lines().filter((l) => l.level === 40 && l.msg.includes('ADMIN_EMAIL'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain('ADMIN_EMAIL late@example.com was ignored: an operator already exists');
    expect(warnings[0]?.msg).toContain('npm run operator -- --email late@example.com');
    expect(JSON.stringify(lines())).not.toContain('late operator 1');
    expect(await database.db.select().from(users).where(eq(users.email, 'late@example.com'))).toEqual([]);
  });

  it('does not warn when ADMIN_EMAIL is the operator already, and says the password is not applied again', async () => {
    const { app } = await start({});
    const link = await app.tollgateOperatorSetup.issue((await database.db.select().from(users).where(eq(users.username, 'root')))[0]?.id as number);
    await app.inject({ method: 'POST', url: '/api/v1/auth/operator-setup', headers: json, payload: { token: tokenOf(link.url), email: 'Root@example.com', password: 'root operator 1' } });

    const { lines } = await start({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'changed pass 2' });
    const about = lines().filter((l) => l.msg.includes('ADMIN_EMAIL'));
    expect(about).toEqual([expect.objectContaining({ level: 30, msg: expect.stringContaining('ADMIN_PASSWORD is not applied again') })]);
  });
});
