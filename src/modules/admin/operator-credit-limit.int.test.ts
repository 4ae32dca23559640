import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { systemClock } from '../../platform/time.ts';
import { createApiKeyService } from '../identity/api-keys.service.ts';
import { users } from '../identity/identity.tables.ts';

// PUT /api/v1/admin/users/{id}/credit-limit: how much a postpaid user may owe for gateway use (the gateway's
// enforcement of it is in gateway/gateway-billing.int.test.ts).

const OPERATOR = { ADMIN_EMAIL: 'limits@example.com', ADMIN_PASSWORD: 'operator pass 1' };

describe.each(DB_TIERS)('operator credit limits on $name', (tier) => {
  let t: TestApp;
  let operator: Record<string, string>;
  let root: Record<string, string>;

  const setLimit = (userId: number | string, payload: unknown, headers: Record<string, string> = operator) =>
    t.request({ method: 'PUT', url: `/api/v1/admin/users/${userId}/credit-limit`, headers, payload: payload as object });
  const storedLimit = async (id: number) => (await t.database.db.select().from(users).where(eq(users.id, id)))[0]?.creditLimitMicros;
  async function postpaidUser(): Promise<number> {
    const res = await t.request({ method: 'POST', url: '/1/users', headers: root, payload: { name: `pp${Date.now()}${Math.random().toString(36).slice(2, 6)}` } });
    return res.json().id;
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { env: OPERATOR });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
    operator = bearer(login.json().data.access_token);
    root = bearer((await createApiKeyService({ database: t.database, clock: systemClock }).issueLegacyToken(login.json().data.user.id)).token);
  });
  afterAll(() => t?.close());

  it('sets, changes and lifts a postpaid user’s limit', async () => {
    const id = await postpaidUser();
    const res = await setLimit(id, { credit_limit: 12.5 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 200, message: expect.any(String), data: { user_id: id, credit_limit: 12.5 } });
    expect(await storedLimit(id)).toBe(12_500_000n);
    expect((await setLimit(id, { credit_limit: null })).json().data.credit_limit).toBeNull();
    expect(await storedLimit(id)).toBeNull();
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    const id = await postpaidUser();
    await setLimit(id, { credit_limit: 3 });
    for (const payload of [{}, { credit_limit: -1 }, { credit_limit: 1.234 }, { credit_limit: '5' }, { credit_limit: 5, extra: 1 }]) {
      const res = await setLimit(id, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    }
    expect(await storedLimit(id)).toBe(3_000_000n);
  });

  it('refuses a prepaid user with 400: only postpaid users owe', async () => {
    const user = await registerUser(t);
    const res = await setLimit(user.id, { credit_limit: 5 });
    expect(res.statusCode).toBe(400);
    expect(await storedLimit(user.id)).toBeNull();
  });

  it('answers 404 for an unknown user, 401 without a token and 403 to a non-operator', async () => {
    expect((await setLimit(999_999, { credit_limit: 5 })).json()).toMatchObject({ code: 404, data: null });
    const id = await postpaidUser();
    const anonymous = await setLimit(id, { credit_limit: 5 }, {});
    expect(anonymous.statusCode).toBe(401);
    const user = await registerUser(t);
    const forbidden = await setLimit(id, { credit_limit: 5 }, user.auth);
    expect(forbidden.statusCode).toBe(403);
    expect(await storedLimit(id)).toBeNull();
  });
});
