import crypto from 'node:crypto';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.ts';
import { bearer, registerUser } from './actors.ts';
import { startTestApp, type TestApp, type TestAppOptions } from './app.ts';
import type { DbTier } from './database.ts';
import { ledgerCheck } from './payments.ts';

// A studio under test: the app, a fake DashScope mounted as a registry model (chat, Wanx images and video), an
// operator, and creators with credits.

export const STUDIO_OPERATOR = { ADMIN_EMAIL: 'studio.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };

type Headers = Record<string, string>;

export interface Creator {
  id: number;
  auth: Headers;
}

export interface StudioHarness {
  t: TestApp;
  dashscope: FakeDashScope;
  admin: Headers;
  /** Registry model ids by model name. */
  models: Record<string, number>;
  creator(credits?: number): Promise<Creator>;
  grant(userId: number, credits: number): Promise<void>;
  balance(c: Creator): Promise<number>;
  /** Both lists empty when the books are sound. */
  books(): ReturnType<typeof ledgerCheck>;
  close(): Promise<void>;
}

export async function startStudio(tier: DbTier, options: TestAppOptions = {}): Promise<StudioHarness> {
  const dashscope = await startFakeDashScope();
  const t = await startTestApp(tier, { ...options, env: { ...STUDIO_OPERATOR, ...options.env } });
  const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: STUDIO_OPERATOR.ADMIN_EMAIL, password: STUDIO_OPERATOR.ADMIN_PASSWORD } });
  const admin = bearer(login.json().data.access_token);
  const models: Record<string, number> = {};
  const key = `sk-${crypto.randomBytes(24).toString('hex')}`;
  for (const [name, creditsCost] of [['qwen-plus', 10], ['wanx2.1-t2i-turbo', 20], ['wanx2.1-t2v-turbo', 0]] as const) {
    const res = await t.request({
      method: 'POST', url: '/api/v1/models', headers: admin,
      payload: { name: `fake ${name}`, provider: 'qwen', model_name: name, api_key: key, api_base: `${dashscope.url}/compatible-mode/v1`, credits_cost: creditsCost },
    });
    if (res.statusCode !== 200) throw new Error(`model create failed: ${res.body}`);
    models[name] = res.json().data.id;
  }

  async function grant(userId: number, credits: number) {
    const res = await t.request({
      method: 'POST', url: `/api/v1/admin/users/${userId}/credits`, headers: { ...admin, 'idempotency-key': crypto.randomUUID() },
      payload: { credits, reason: 'studio test' },
    });
    if (res.statusCode !== 200) throw new Error(`grant failed: ${res.body}`);
  }

  return {
    t, dashscope, admin, models, grant,
    async creator(credits = 100) {
      const user = await registerUser(t);
      if (credits > 0) await grant(user.id, credits);
      return { id: user.id, auth: user.auth };
    },
    async balance(c) {
      return (await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: c.auth })).json().data.credit_balance;
    },
    books: () => ledgerCheck(t),
    async close() {
      await t.close();
      await dashscope.close();
    },
  };
}
