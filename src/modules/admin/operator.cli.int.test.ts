import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.ts';
import { openDatabase, type Database } from '../../platform/db.ts';
import { users } from '../identity/identity.tables.ts';
import { auditEvents } from './audit.tables.ts';
import { run } from './operator.cli.ts';

// `npm run operator` in-process, against an embedded database in a temporary DATA_DIR, as on a fresh server.

const json = { 'content-type': 'application/json' };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-operator-cli-'));
const dataDir = path.join(root, 'data');
const env = { NODE_ENV: 'test', DATA_DIR: dataDir, PUBLIC_BASE_URL: 'https://ops.example' };
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function operator(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The service on the same DATA_DIR, as `npm start` would open it after the command. */
async function withService<T>(fn: (app: FastifyInstance, database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir });
  const { app } = await buildTestApp(database, { env: { LOG_LEVEL: 'silent' } });
  try {
    await app.ready();
    return await fn(app, database);
  } finally {
    await app.close();
    await database.close();
  }
}

const login = (app: FastifyInstance, username: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });

async function roleAfterLogin(app: FastifyInstance, username: string, password: string): Promise<string | undefined> {
  const res = await login(app, username, password);
  if (res.statusCode !== 200) return undefined;
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${res.json().data.access_token}` } });
  return me.json().data.role;
}

describe('npm run operator', () => {
  it('prints its usage for --help without opening the database', async () => {
    const res = await operator('--help');
    expect(res.code).toBe(0);
    expect(res.out).toContain('Usage: npm run operator -- --email <address> [--password <password>]');
    expect(res.out).toContain('--password');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it.each([
    [['--email', 'not-an-email'], '--email "not-an-email" is not a valid email address'],
    [[], '--email is required'],
    [['--email', 'a@example.com', '--password', 'short'], '--password must be at least 8 characters'],
    [['--email', 'a@example.com', '--role', 'admin'], "Unknown option '--role'"],
  ])('refuses %j clearly with exit code 1', async (argv, message) => {
    const res = await operator(...argv);
    expect(res.code).toBe(1);
    expect(res.err).toContain(message);
    expect(res.err).toContain('Usage: npm run operator');
    expect(res.out).toBe('');
  });

  it('creates an operator with the given password, who signs in by email', async () => {
    const res = await operator('--email', 'ops@example.com', '--password', 'ops console 1');
    expect(res).toEqual({ code: 0, out: 'Created the operator "ops" (ops@example.com) with the given password; they sign in with the email.', err: '' });
    expect(await withService((app) => roleAfterLogin(app, 'OPS@example.com', 'ops console 1'))).toBe('admin');
  }, 90_000); // the first command on an empty DATA_DIR creates the database: initdb and every migration

  it('sets a new password for an existing operator and ends their sessions', async () => {
    const session = await withService(async (app) => (await login(app, 'ops@example.com', 'ops console 1')).json().data.access_token as string);
    const res = await operator('--email', 'Ops@Example.com', '--password', 'ops console 2');
    expect(res.out).toBe('"ops" (ops@example.com) is already an operator; set the given password (their console sessions were signed out).');
    await withService(async (app) => {
      expect(await roleAfterLogin(app, 'ops@example.com', 'ops console 1')).toBeUndefined();
      expect(await roleAfterLogin(app, 'ops@example.com', 'ops console 2')).toBe('admin');
      expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${session}` } })).statusCode).toBe(401);
    });
  });

  it('without --password, creates the operator and prints a setup link that sets it', async () => {
    const res = await operator('--email', 'night.shift@example.com');
    expect(res.code).toBe(0);
    const match = /^Created the operator "night\.shift" \(night\.shift@example\.com\)\. To set the console password, open (https:\/\/ops\.example\/setup\?token=([\w-]{43})) within 24 hours \(the link works once\)\.$/.exec(res.out);
    expect(match).not.toBeNull();
    await withService(async (app) => {
      const token = match?.[2] as string;
      const view = await app.inject({ method: 'GET', url: `/api/v1/auth/operator-setup?token=${token}` });
      expect(view.json().data).toEqual({ valid: true, creates_operator: false, username: 'night.shift', email: 'night.shift@example.com' });
      const set = await app.inject({
        method: 'POST', url: '/api/v1/auth/operator-setup', headers: json, payload: { token, email: 'night.shift@example.com', password: 'night console 1' },
      });
      expect(set.statusCode).toBe(200);
      expect(await roleAfterLogin(app, 'night.shift', 'night console 1')).toBe('admin');
    });
  });

  it('promotes a user who has that email, keeps their password, and records who changed the role', async () => {
    const carol = await withService(async (app) => {
      const reg = await app.inject({
        method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: 'carol', email: 'carol@example.com', password: 'carol pass 1' },
      });
      return reg.json().data.id as number;
    });
    const res = await operator('--email', 'CAROL@example.com');
    expect(res.out).toMatch(/^Made "carol" \(carol@example\.com\) an operator \(was user\); they sign in with their current password, or open https:\/\/ops\.example\/setup\?token=[\w-]{43} within 24 hours \(the link works once\) to set a new one\.$/);
    await withService(async (app, database) => {
      expect(await roleAfterLogin(app, 'carol', 'carol pass 1')).toBe('admin');
      const events = await database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'user'), eq(auditEvents.objectId, String(carol))));
      expect(events).toEqual([
        expect.objectContaining({ actorUserId: null, action: 'user.role', before: { role: 'user' }, after: { role: 'admin' }, reason: 'npm run operator' }),
      ]);
      expect(await database.db.select({ id: users.id }).from(users).where(eq(users.email, 'carol@example.com'))).toEqual([{ id: carol }]);
    });
  });

  it('refuses while a running service holds the data directory, naming its pid', async () => {
    const held = await openDatabase({ dataDir });
    try {
      const res = await operator('--email', 'late@example.com', '--password', 'late console 1');
      expect(res.code).toBe(1);
      expect(res.err).toContain(`is in use by another Tollgate process (pid ${process.pid}); stop it first`);
    } finally {
      await held.close();
    }
    await withService(async (_app, database) => {
      expect(await database.db.select().from(users).where(eq(users.email, 'late@example.com'))).toEqual([]);
    });
  });
});
