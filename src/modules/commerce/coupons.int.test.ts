import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { couponClaims, coupons } from './commerce.tables.ts';

// The operator coupon endpoints and claims: POST/GET /api/v1/operation/coupons, POST …/{coupon_id}/claim,
// GET /api/v1/operation/my-coupons. Coupons on orders are in coupons-orders.int.test.ts.

const ADMIN = { ADMIN_EMAIL: 'coupon.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const HOUR = 3600_000;
const INVALID = expect.objectContaining({ code: 40003, data: null });

describe.each(DB_TIERS)('coupon endpoints on $name', (tier) => {
  const clock = fakeClock();
  let t: TestApp;
  let admin: Record<string, string>;
  let alice: Awaited<ReturnType<typeof registerUser>>;
  let bob: Awaited<ReturnType<typeof registerUser>>;
  let seq = 0;

  const at = (offsetMs: number) => formatStudioTime(new Date(clock.now().getTime() + offsetMs));
  const couponBody = (over: Record<string, unknown> = {}) => ({
    code: `C${Date.now().toString(36)}${seq++}`, name: '充值优惠券', type: 'discount', value: 10, min_amount: 0, max_usage: 100,
    valid_from: at(-HOUR), valid_until: at(24 * HOUR), ...over,
  });
  const create = (body: Record<string, unknown>, headers = admin) =>
    t.request({ method: 'POST', url: '/api/v1/operation/coupons', headers, payload: body });
  async function createCoupon(over: Record<string, unknown> = {}): Promise<{ id: number; code: string }> {
    const res = await create(couponBody(over));
    if (res.statusCode !== 200) throw new Error(`coupon create failed: ${res.body}`);
    return res.json().data;
  }
  const claim = (id: number | string, headers: Record<string, string>) =>
    t.request({ method: 'POST', url: `/api/v1/operation/coupons/${id}/claim`, headers });
  const list = (query: string, headers = admin) => t.request({ method: 'GET', url: `/api/v1/operation/coupons${query}`, headers });
  const mine = (query: string, headers: Record<string, string>) => t.request({ method: 'GET', url: `/api/v1/operation/my-coupons${query}`, headers });

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: ADMIN });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
    alice = await registerUser(t);
    bob = await registerUser(t);
  });
  afterAll(() => t?.close());

  describe('POST /api/v1/operation/coupons', () => {
    it('creates a coupon with the spec response', async () => {
      const res = await create(couponBody({ code: 'DISCOUNT10', value: 10.0, min_amount: 100.0, max_usage: 1000 }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: 200, message: '优惠券创建成功', data: { id: expect.any(Number), code: 'DISCOUNT10', status: 'active' } });
    });

    it('stores each type with its own unit: percent, CNY off, whole credits', async () => {
      const d = await createCoupon({ type: 'discount', value: '12.5', min_amount: '99.99' });
      const c = await createCoupon({ type: 'deduction', value: 5.5 });
      const b = await createCoupon({ type: 'credit_bonus', value: 50 });
      const items = (await list('?page_size=100')).json().data.items as { id: number }[];
      expect(items.find((i) => i.id === d.id)).toMatchObject({ type: 'discount', value: 12.5, min_amount: 99.99, status: 'active', claimed_count: 0, used_count: 0 });
      expect(items.find((i) => i.id === c.id)).toMatchObject({ type: 'deduction', value: 5.5, min_amount: 0 });
      expect(items.find((i) => i.id === b.id)).toMatchObject({ type: 'credit_bonus', value: 50 });
    });

    it.each([['ab'], ['has space'], ['x'.repeat(33)], ['优惠券'], ['semi;colon'], [''], [42]])('answers 400 to the code %j', async (code) => {
      const res = await create(couponBody({ code }));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });

    it.each([
      ['discount', 0], ['discount', 100], ['discount', 150], ['discount', -5], ['discount', '10.555'], ['discount', 'ten'],
      ['deduction', 0], ['deduction', -1], ['deduction', '1.234'], ['deduction', 50_000.01], ['deduction', '999999999999999'],
      ['credit_bonus', 0], ['credit_bonus', 1.5], ['credit_bonus', -3], ['credit_bonus', '0x10'], ['credit_bonus', '1e3'], ['credit_bonus', 1_000_001],
    ])('answers 400 to a %s coupon worth %j', async (type, value) => {
      const res = await create(couponBody({ type, value }));
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/value/);
    });

    it.each([
      ['min_amount below zero', { min_amount: -1 }],
      ['min_amount with 3 decimals', { min_amount: '1.001' }],
      ['min_amount too large to mean anything', { min_amount: '999999999999999' }],
      ['max_usage 0', { max_usage: 0 }],
      ['a fractional max_usage', { max_usage: 1.5 }],
      ['an unknown type', { type: 'free_lunch' }],
      ['a malformed date', { valid_from: '22/01/2026' }],
      ['an unknown field', { stackable: true }],
      ['a missing name', { name: undefined }],
    ])('answers 400 to %s', async (_what, over) => {
      expect((await create(couponBody(over))).statusCode).toBe(400);
    });

    it('answers 400 when valid_until is not after valid_from', async () => {
      for (const valid_until of [at(-HOUR), at(-2 * HOUR)]) {
        const res = await create(couponBody({ valid_from: at(-HOUR), valid_until }));
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(/valid_until/);
      }
    });

    it('refuses a duplicate code in any case with 409 and keeps the first coupon', async () => {
      await createCoupon({ code: 'Spring-Sale' });
      for (const code of ['Spring-Sale', 'SPRING-SALE', 'spring-sale']) {
        const res = await create(couponBody({ code, type: 'deduction', value: 1 }));
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ code: 409, data: null });
      }
      const rows = await t.database.db.select().from(coupons);
      expect(rows.filter((r) => r.code.toUpperCase() === 'SPRING-SALE')).toHaveLength(1);
    });

    it('answers 403 to a user and 401 without a token, writing nothing', async () => {
      const before = (await t.database.db.select().from(coupons)).length;
      expect((await create(couponBody(), alice.auth)).statusCode).toBe(403);
      expect((await create(couponBody(), {})).statusCode).toBe(401);
      expect((await create(couponBody(), bearer('not-a-token'))).statusCode).toBe(401);
      expect(await t.database.db.select().from(coupons)).toHaveLength(before);
    });
  });

  describe('GET /api/v1/operation/coupons', () => {
    let ids: Record<'active' | 'usedUp' | 'upcoming' | 'expired' | 'disabled', number>;

    beforeAll(async () => {
      const active = await createCoupon();
      const usedUp = await createCoupon({ max_usage: 1 });
      expect((await claim(usedUp.id, bob.auth)).statusCode).toBe(200);
      const upcoming = await createCoupon({ valid_from: at(HOUR), valid_until: at(2 * HOUR) });
      const expired = await createCoupon({ valid_from: at(-3 * HOUR), valid_until: at(-2 * HOUR) });
      const disabled = await createCoupon();
      await t.database.db.update(coupons).set({ status: 'disabled' }).where(eq(coupons.id, disabled.id));
      ids = { active: active.id, usedUp: usedUp.id, upcoming: upcoming.id, expired: expired.id, disabled: disabled.id };
    });

    it('shows operators every coupon, each with where it stands', async () => {
      const body = (await list('?page_size=100')).json();
      expect(body).toMatchObject({ code: 200, data: { page: 1, page_size: 100 } });
      const status = new Map((body.data.items as { id: number; status: string }[]).map((i) => [i.id, i.status]));
      expect(body.data.total).toBe(body.data.items.length);
      expect([ids.active, ids.usedUp, ids.upcoming, ids.expired, ids.disabled].map((id) => status.get(id))).toEqual([
        'active', 'used_up', 'upcoming', 'expired', 'disabled',
      ]);
    });

    it.each(['active', 'used_up', 'upcoming', 'expired', 'disabled'])('filters ?status=%s to exactly the coupons shown so', async (s) => {
      const all = (await list('?page_size=100')).json().data.items as { id: number; status: string }[];
      const filtered = (await list(`?status=${s}&page_size=100`)).json().data;
      expect(filtered.items.map((i: { id: number }) => i.id)).toEqual(all.filter((i) => i.status === s).map((i) => i.id));
      expect(filtered.total).toBe(filtered.items.length);
    });

    it('pages newest first with total, page and page_size', async () => {
      const all = (await list('?page_size=100')).json().data;
      const p1 = (await list('?page=1&page_size=2')).json().data;
      const p2 = (await list('?page=2&page_size=2')).json().data;
      expect(p1).toMatchObject({ total: all.total, page: 1, page_size: 2 });
      expect([...p1.items, ...p2.items].map((i: { id: number }) => i.id)).toEqual(all.items.slice(0, 4).map((i: { id: number }) => i.id));
      expect((await list('?page=999&page_size=20')).json().data).toMatchObject({ total: all.total, items: [] });
    });

    it('shows a user only the coupons they can claim now, whatever status they ask for', async () => {
      const fresh = await registerUser(t);
      for (const query of ['', '?status=expired', '?status=disabled']) {
        const seen = ((await list(`${query}${query ? '&' : '?'}page_size=100`, fresh.auth)).json().data.items as { id: number; status: string }[]);
        expect(seen.map((i) => i.id)).toContain(ids.active);
        expect(seen.every((i) => i.status === 'active')).toBe(true);
        for (const hidden of [ids.usedUp, ids.upcoming, ids.expired, ids.disabled]) expect(seen.map((i) => i.id)).not.toContain(hidden);
      }
      expect((await claim(ids.active, fresh.auth)).statusCode).toBe(200);
      const after = (await list('?page_size=100', fresh.auth)).json().data.items as { id: number }[];
      expect(after.map((i) => i.id)).not.toContain(ids.active);
    });

    it('answers 400 to bad paging and an unknown status, 401 without a token', async () => {
      for (const q of ['?page=0', '?page_size=101', '?status=gone']) expect((await list(q)).statusCode).toBe(400);
      expect((await list('', {})).statusCode).toBe(401);
    });
  });

  describe('POST /api/v1/operation/coupons/{coupon_id}/claim', () => {
    it('claims once per user; the second claim is 40003', async () => {
      const c = await createCoupon({ max_usage: 5 });
      const first = await claim(c.id, alice.auth);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ code: 200, message: '领取成功', data: { claim_id: expect.any(Number), coupon_id: c.id, code: c.code, status: 'unused' } });
      const again = await claim(c.id, alice.auth);
      expect(again.statusCode).toBe(400);
      expect(again.json()).toEqual(INVALID);
      const [row] = await t.database.db.select().from(coupons).where(eq(coupons.id, c.id));
      expect(row?.claimedCount).toBe(1);
    });

    it('answers 404 to an unknown coupon and 400 to a malformed id', async () => {
      expect((await claim(987654, alice.auth)).statusCode).toBe(404);
      const c = await createCoupon();
      for (const id of ['abc', '0', '-1', `${c.id}.0`, '1e1', '0x1', '99999999999999999']) {
        expect((await claim(encodeURIComponent(id), alice.auth)).statusCode, id).toBe(400);
      }
      expect((await claim(` ${c.id}`.replace(' ', '%20'), alice.auth)).statusCode).toBe(400);
    });

    it('refuses expired, not yet valid, disabled and used-up coupons with 40003', async () => {
      const expired = await createCoupon({ valid_from: at(-3 * HOUR), valid_until: at(-HOUR) });
      const upcoming = await createCoupon({ valid_from: at(HOUR), valid_until: at(3 * HOUR) });
      const disabled = await createCoupon();
      await t.database.db.update(coupons).set({ status: 'disabled' }).where(eq(coupons.id, disabled.id));
      const usedUp = await createCoupon({ max_usage: 1 });
      expect((await claim(usedUp.id, bob.auth)).statusCode).toBe(200);
      for (const c of [expired, upcoming, disabled, usedUp]) {
        const res = await claim(c.id, alice.auth);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual(INVALID);
      }
      const claims = await t.database.db.select().from(couponClaims).where(eq(couponClaims.userId, alice.id));
      expect(claims.map((c) => c.couponId)).not.toEqual(expect.arrayContaining([expired.id]));
      expect(claims.filter((c) => [expired.id, upcoming.id, disabled.id, usedUp.id].includes(c.couponId))).toEqual([]);
    });

    it('answers 401 without a token', async () => {
      const c = await createCoupon();
      expect((await claim(c.id, {})).statusCode).toBe(401);
    });
  });

  describe('GET /api/v1/operation/my-coupons', () => {
    it('lists the caller\'s claims as unused, then expired once the window closes', async () => {
      const user = await registerUser(t);
      const short = await createCoupon({ type: 'deduction', value: 3, min_amount: 20, valid_from: at(-HOUR), valid_until: at(HOUR) });
      const long = await createCoupon({ type: 'credit_bonus', value: 20 });
      for (const c of [short, long]) expect((await claim(c.id, user.auth)).statusCode).toBe(200);
      const unused = (await mine('?status=unused', user.auth)).json();
      expect(unused).toMatchObject({ code: 200, data: { total: 2 } });
      expect(unused.data.items[1]).toEqual({
        claim_id: expect.any(Number), coupon_id: short.id, code: short.code, name: '充值优惠券', type: 'deduction', value: 3, min_amount: 20,
        valid_from: expect.any(String), valid_until: expect.any(String), status: 'unused', claimed_at: formatStudioTime(clock.now()), used_at: null,
      });
      expect((await mine('?status=expired', user.auth)).json().data.items).toEqual([]);

      clock.advance(HOUR + 60_000);
      const expired = (await mine('?status=expired', user.auth)).json().data.items;
      expect(expired.map((i: { coupon_id: number; status: string }) => [i.coupon_id, i.status])).toEqual([[short.id, 'expired']]);
      expect((await mine('?status=unused', user.auth)).json().data.items.map((i: { coupon_id: number }) => i.coupon_id)).toEqual([long.id]);
      expect((await mine('', user.auth)).json().data.total).toBe(2);
      expect((await mine('?status=used', user.auth)).json().data.items).toEqual([]);
    });

    it('shows nobody else\'s claims', async () => {
      const other = await registerUser(t);
      expect((await mine('', other.auth)).json().data).toEqual({ total: 0, items: [] });
    });

    it('answers 400 to an unknown status and 401 without a token', async () => {
      expect((await mine('?status=reserved', alice.auth)).statusCode).toBe(400);
      expect((await mine('', {})).statusCode).toBe(401);
    });
  });
});
