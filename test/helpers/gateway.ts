import type { AddressInfo } from 'node:net';
import { asc } from 'drizzle-orm';
import OpenAI from 'openai';
import { ACCOUNTS } from '../../src/modules/ledger/accounts.ts';
import { createLedger } from '../../src/modules/ledger/ledger.service.ts';
import { usageRecords } from '../../src/modules/metering/usage.tables.ts';
import { systemClock } from '../../src/platform/time.ts';
import { bearer, registerUser } from './actors.ts';
import { createApiKeyService } from '../../src/modules/identity/api-keys.service.ts';
import { startTestApp, type TestApp, type TestAppOptions } from './app.ts';
import type { DbTier } from './database.ts';

// A gateway under test: the app listening on 127.0.0.1 (SDK clients need a real socket), an operator, a funded buyer
// with an API key, and helpers to mount channels pointing at fakes.

export const OPERATOR = { ADMIN_EMAIL: 'gateway.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };

export interface GatewayHarness {
  t: TestApp;
  /** `http://127.0.0.1:<port>` of the app. */
  url: string;
  rootToken: string;
  operator: Record<string, string>;
  addChannel(input: { name?: string; provider?: string; key?: string; endpoint: string }): Promise<number>;
  removeChannel(id: number): Promise<void>;
  /** Sets the operator's price for `model` (CNY per 1M tokens): the price buyers are shown and held to. */
  setPrice(model: string, price: { provider: string; input_price: number; output_price: number }): Promise<void>;
  buyer(credits?: number): Promise<Buyer>;
  fund(userId: number, credits: number): Promise<void>;
  walletMicros(userId: number): Promise<bigint>;
  usageRows(): Promise<(typeof usageRecords.$inferSelect)[]>;
  close(): Promise<void>;
}

export interface Buyer {
  id: number;
  auth: Record<string, string>;
  key: string;
  keyId: number;
  openai: OpenAI;
}

let channelSeq = 0;

export async function startGateway(tier: DbTier, options: TestAppOptions = {}): Promise<GatewayHarness> {
  const t = await startTestApp(tier, { ...options, env: { ...OPERATOR, ...options.env } });
  await t.app.listen({ port: Number(options.env?.PORT ?? 0), host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
  const operator = bearer(login.json().data.access_token);
  // The seeded operator's legacy `/1` token (an operator normally gets it from `/1/users/init`, taken here by the seed).
  const root = { token: (await createApiKeyService({ database: t.database, clock: systemClock }).issueLegacyToken(login.json().data.user.id)).token };
  const ledger = createLedger({ database: t.database, clock: systemClock });

  const h: GatewayHarness = {
    t,
    url,
    rootToken: root.token,
    operator,
    async addChannel(input) {
      const res = await t.request({
        method: 'POST', url: '/1/keys', headers: bearer(root.token),
        payload: { name: input.name ?? `channel-${channelSeq++}`, api_type: input.provider ?? 'openai', key: input.key ?? `sk-upstream-${channelSeq}-${Date.now()}`, endpoint: input.endpoint },
      });
      if (res.statusCode !== 200) throw new Error(`add channel failed: ${res.body}`);
      return res.json().id;
    },
    async removeChannel(id) {
      await t.request({ method: 'DELETE', url: `/1/keys/${id}`, headers: bearer(root.token) });
    },
    async setPrice(model, price) {
      const res = await t.request({ method: 'PUT', url: `/api/v1/admin/model-prices/${model}`, headers: operator, payload: price });
      if (res.statusCode !== 200) throw new Error(`set price failed: ${res.body}`);
    },
    async fund(userId, credits) {
      const res = await t.request({ method: 'POST', url: `/api/v1/admin/users/${userId}/credits`, headers: operator, payload: { credits, reason: 'test funding' } });
      if (res.statusCode !== 200) throw new Error(`fund failed: ${res.body}`);
    },
    async buyer(credits = 1000) {
      const user = await registerUser(t);
      if (credits > 0) await h.fund(user.id, credits);
      const res = await t.request({ method: 'POST', url: '/api/v1/keys', headers: user.auth, payload: { name: 'test key' } });
      const key = res.json().data.key as string;
      return { id: user.id, auth: user.auth, key, keyId: res.json().data.id, openai: new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 }) };
    },
    walletMicros: (userId) => ledger.balance(ACCOUNTS.userWallet(userId)),
    // In insertion order: without ORDER BY, PostgreSQL may return rows in any order.
    usageRows: () => t.database.db.select().from(usageRecords).orderBy(asc(usageRecords.id)),
    close: () => t.close(),
  };
  return h;
}
