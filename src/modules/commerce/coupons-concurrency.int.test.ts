import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { couponClaims, coupons } from './commerce.tables.ts';

// `max_usage` is never exceeded and a user claims once, however many claims arrive at once. On PostgreSQL the
// claims really run in parallel (a pool of connections); on PGlite they interleave on one connection.

const ADMIN = { ADMIN_EMAIL: 'coupon.race@example.com', ADMIN_PASSWORD: 'operator pass 1' };

describe.each(DB_TIERS)('concurrent coupon claims on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;

  async function createCoupon(code: string, maxUsage: number): Promise<number> {
    const now = Date.now();
    const res = await t.request({
      method: 'POST', url: '/api/v1/operation/coupons', headers: admin,
      payload: {
        code, name: '限量券', type: 'deduction', value: 5, max_usage: maxUsage,
        valid_from: formatStudioTime(new Date(now - 3600_000)), valid_until: formatStudioTime(new Date(now + 86_400_000)),
      },
    });
    if (res.statusCode !== 200) throw new Error(`coupon create failed: ${res.body}`);
    return res.json().data.id;
  }
  const claim = (id: number, headers: Record<string, string>) =>
    t.request({ method: 'POST', url: `/api/v1/operation/coupons/${id}/claim`, headers });
  const stored = async (id: number) => ({
    claimedCount: (await t.database.db.select().from(coupons).where(eq(coupons.id, id)))[0]?.claimedCount,
    claims: (await t.database.db.select().from(couponClaims).where(eq(couponClaims.couponId, id))).length,
  });

  beforeAll(async () => {
    t = await startTestApp(tier, { env: ADMIN });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
  });
  afterAll(() => t?.close());

  it('lets exactly 10 of 100 different users claim a coupon with max_usage 10 at once', async () => {
    const id = await createCoupon('RACE-100', 10);
    const users = [];
    for (let i = 0; i < 100; i += 20) users.push(...(await Promise.all(Array.from({ length: 20 }, () => registerUser(t)))));
    const results = await Promise.all(users.map((u) => claim(id, u.auth)));
    const codes = results.map((r) => r.json().code);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    expect(codes.filter((c) => c === 40003)).toHaveLength(90);
    expect(await stored(id)).toEqual({ claimedCount: 10, claims: 10 });
    const listed = (await t.request({ method: 'GET', url: '/api/v1/operation/coupons?status=used_up', headers: admin })).json().data.items;
    expect(listed).toMatchObject([{ id, claimed_count: 10, status: 'used_up' }]);
  });

  it('lets one user claim once when they send 20 claims at once', async () => {
    const id = await createCoupon('RACE-SELF', 1000);
    const user = await registerUser(t);
    const results = await Promise.all(Array.from({ length: 20 }, () => claim(id, user.auth)));
    const codes = results.map((r) => r.json().code);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 40003)).toHaveLength(19);
    expect(await stored(id)).toEqual({ claimedCount: 1, claims: 1 });
  });

  it('counts every slot once when 30 users race for the last 3', async () => {
    const id = await createCoupon('RACE-LAST', 5);
    const early = await Promise.all([1, 2].map(() => registerUser(t)));
    for (const u of early) expect((await claim(id, u.auth)).statusCode).toBe(200);
    const late = await Promise.all(Array.from({ length: 30 }, () => registerUser(t)));
    const results = await Promise.all(late.flatMap((u) => [claim(id, u.auth), claim(id, u.auth)]));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(3);
    expect(await stored(id)).toEqual({ claimedCount: 5, claims: 5 });
  });
});
