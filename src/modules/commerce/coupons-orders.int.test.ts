import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { createAuditLog } from '../admin/audit.service.ts';
import { createLedger } from '../ledger/ledger.service.ts';
import { couponClaims, coupons, orders } from './commerce.tables.ts';
import { createCouponService } from './coupons.service.ts';
import { createMembershipService } from './membership.service.ts';
import { createWalletService } from './wallet.service.ts';
import { createUserService } from '../identity/users.service.ts';
import { createOrderService, ORDER_TTL_MS } from './orders.service.ts';
import { createPaymentRouter } from './payments/router.ts';
import { createSandboxProvider, signSandbox } from './payments/sandbox.ts';

// Coupons on orders: POST /api/v1/credit/recharge (and /membership) with coupon_code. A coupon is reserved by the
// pending order, used when it is paid, and given back when the order expires or fails.

const SECRET = 'coupon-orders-sandbox-secret';
const ENV = { ADMIN_EMAIL: 'coupon.orders@example.com', ADMIN_PASSWORD: 'operator pass 1', PAYMENT_SANDBOX_SECRET: SECRET };
const HOUR = 3600_000;
const json = { 'content-type': 'application/json' };
type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('coupons on orders on $name', (tier) => {
  const clock = fakeClock();
  let t: TestApp;
  let admin: Record<string, string>;
  let seq = 0;

  const at = (offsetMs: number) => formatStudioTime(new Date(clock.now().getTime() + offsetMs));
  async function coupon(over: Record<string, unknown>): Promise<{ id: number; code: string }> {
    const res = await t.request({
      method: 'POST', url: '/api/v1/operation/coupons', headers: admin,
      payload: { code: `O${Date.now().toString(36)}${seq++}`, name: '券', max_usage: 100, valid_from: at(-HOUR), valid_until: at(24 * HOUR), ...over },
    });
    if (res.statusCode !== 200) throw new Error(`coupon create failed: ${res.body}`);
    return res.json().data;
  }
  /** A new user holding a claim of a new coupon. */
  async function holder(over: Record<string, unknown>) {
    const user = await registerUser(t);
    const c = await coupon(over);
    const claimed = await t.request({ method: 'POST', url: `/api/v1/operation/coupons/${c.id}/claim`, headers: user.auth });
    if (claimed.statusCode !== 200) throw new Error(`claim failed: ${claimed.body}`);
    return { user, coupon: c, claimId: claimed.json().data.claim_id as number };
  }
  const recharge = (user: User, amount: number, coupon_code?: string) =>
    t.request({ method: 'POST', url: '/api/v1/credit/recharge', headers: { ...json, ...user.auth }, payload: { amount, payment_method: 'alipay', coupon_code } });
  const callback = (order_id: string, status: 'success' | 'failed') => {
    const raw = JSON.stringify({ order_id, payment_method: 'alipay', transaction_id: `txn-${order_id}`, status });
    return t.request({ method: 'POST', url: '/api/v1/credit/payment/callback', headers: { ...json, 'x-signature': signSandbox(SECRET, raw) }, payload: raw });
  };
  const credits = async (user: User) =>
    (await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: user.auth })).json().data.credit_balance as number;
  const claimRow = async (id: number) => (await t.database.db.select().from(couponClaims).where(eq(couponClaims.id, id)))[0];
  const orderRow = async (orderNo: string) => (await t.database.db.select().from(orders).where(eq(orders.orderNo, orderNo)))[0];
  const ordersOf = async (user: User) => Number((await t.database.db.select({ n: count() }).from(orders).where(eq(orders.userId, user.id)))[0]?.n);

  /** The order service the expiry job runs, over the app's database and clock. */
  function expiryJob() {
    const { database } = t;
    const ledger = createLedger({ database, clock });
    const silent = { info() {}, warn() {}, error() {} } as never;
    return createOrderService({
      database, clock, ledger, coupons: createCouponService({ database, clock }), membership: createMembershipService({ database, clock, ledger }),
      wallet: createWalletService({ database, ledger, audit: createAuditLog(), billingMode: createUserService({ database, clock: clock }).billingMode }),
      payments: createPaymentRouter([createSandboxProvider({ secret: SECRET, publicBaseUrl: t.config.publicBaseUrl })]),
      audit: createAuditLog(), publicBaseUrl: t.config.publicBaseUrl, log: silent,
    });
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: ENV });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ENV.ADMIN_EMAIL, password: ENV.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
  });
  afterAll(() => t?.close());

  it('takes 10% off ¥100: the user pays ¥90 and still gets 1000 credits once paid', async () => {
    const { user, coupon: c, claimId } = await holder({ type: 'discount', value: 10, min_amount: 100 });
    const res = await recharge(user, 100, c.code);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ amount: 90, original_amount: 100, discount: 10, credits: 1000, bonus_credits: 0 });
    const orderId = res.json().data.order_id as string;
    expect(await orderRow(orderId)).toMatchObject({ payAmount: 90_000_000n, listAmount: 100_000_000n, status: 'pending' });
    expect(await claimRow(claimId)).toMatchObject({ status: 'reserved', orderId: (await orderRow(orderId))?.id });

    expect((await callback(orderId, 'success')).statusCode).toBe(200);
    expect(await credits(user)).toBe(1000);
    expect(await claimRow(claimId)).toMatchObject({ status: 'used', usedAt: clock.now() });
    const used = (await t.request({ method: 'GET', url: '/api/v1/operation/my-coupons?status=used', headers: user.auth })).json().data.items;
    expect(used).toMatchObject([{ coupon_id: c.id, status: 'used', used_at: formatStudioTime(clock.now()) }]);
    const [row] = await t.database.db.select().from(coupons).where(eq(coupons.id, c.id));
    expect(row?.usedCount).toBe(1);
  });

  it('takes a fixed ¥5 off with a deduction coupon', async () => {
    const { user, coupon: c } = await holder({ type: 'deduction', value: 5, min_amount: 30 });
    const res = await recharge(user, 50, c.code.toLowerCase());
    expect(res.json().data).toMatchObject({ amount: 45, original_amount: 50, discount: 5, credits: 500 });
    await callback(res.json().data.order_id, 'success');
    expect(await credits(user)).toBe(500);
  });

  it('never lets a deduction make an order free: the user pays at least ¥0.01', async () => {
    const { user, coupon: c } = await holder({ type: 'deduction', value: 20 });
    expect((await recharge(user, 10, c.code)).json().data).toMatchObject({ amount: 0.01, discount: 9.99, credits: 100 });
  });

  it('adds the bonus credits of a credit_bonus coupon on payment, not before', async () => {
    const { user, coupon: c } = await holder({ type: 'credit_bonus', value: 50 });
    const res = await recharge(user, 10, c.code);
    expect(res.json().data).toMatchObject({ amount: 10, discount: 0, credits: 150, bonus_credits: 50 });
    expect(await credits(user)).toBe(0);
    await callback(res.json().data.order_id, 'success');
    expect(await credits(user)).toBe(150);
    const tx = (await t.request({ method: 'GET', url: '/api/v1/credit/transactions', headers: user.auth })).json().data.items;
    expect(tx).toMatchObject([{ type: 'recharge', amount: 150, balance_after: 150, description: expect.stringContaining('赠送50积分') }]);
  });

  it('applies a coupon to a membership paid from credits', async () => {
    const { user, coupon: c, claimId } = await holder({ type: 'deduction', value: 4.9 });
    await callback((await recharge(user, 10)).json().data.order_id, 'success');
    const res = await t.request({
      method: 'POST', url: '/api/v1/credit/membership', headers: { ...json, ...user.auth },
      payload: { membership_type: 'monthly', payment_method: 'balance', coupon_code: c.code },
    });
    expect(res.json().data).toMatchObject({ status: 'paid', amount: 5, original_amount: 9.9, discount: 4.9 });
    expect(await credits(user)).toBe(50);
    expect((await claimRow(claimId))?.status).toBe('used');
  });

  describe('refuses a coupon that cannot apply with 40003, writing no order', () => {
    async function expectRefused(user: User, amount: number, code: string, claimId?: number) {
      const before = { orders: await ordersOf(user), claim: claimId && (await claimRow(claimId)) };
      const res = await recharge(user, amount, code);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 40003, message: expect.any(String), data: null });
      expect(await ordersOf(user)).toBe(before.orders);
      if (claimId) expect(await claimRow(claimId)).toEqual(before.claim);
    }

    it('below min_amount', async () => {
      const h = await holder({ type: 'discount', value: 10, min_amount: 100 });
      await expectRefused(h.user, 99.99, h.coupon.code, h.claimId);
    });

    it('expired since it was claimed', async () => {
      const h = await holder({ type: 'deduction', value: 1, valid_from: at(-HOUR), valid_until: at(HOUR) });
      clock.advance(HOUR + 1000);
      await expectRefused(h.user, 10, h.coupon.code, h.claimId);
    });

    it('disabled since it was claimed', async () => {
      const h = await holder({ type: 'deduction', value: 1 });
      await t.database.db.update(coupons).set({ status: 'disabled' }).where(eq(coupons.id, h.coupon.id));
      await expectRefused(h.user, 10, h.coupon.code, h.claimId);
    });

    it('already used by a paid order', async () => {
      const h = await holder({ type: 'deduction', value: 1 });
      await callback((await recharge(h.user, 10, h.coupon.code)).json().data.order_id, 'success');
      await expectRefused(h.user, 10, h.coupon.code, h.claimId);
    });

    it('not claimed by this user, or unknown', async () => {
      const h = await holder({ type: 'deduction', value: 1 });
      const other = await registerUser(t);
      await expectRefused(other, 10, h.coupon.code);
      await expectRefused(other, 10, 'NO-SUCH-COUPON');
    });

    it('reserved by another pending order of the same user', async () => {
      const h = await holder({ type: 'credit_bonus', value: 5 });
      expect((await recharge(h.user, 10, h.coupon.code)).statusCode).toBe(200);
      await expectRefused(h.user, 20, h.coupon.code, h.claimId);
    });

    it('reserved by one of two orders created at once', async () => {
      const h = await holder({ type: 'deduction', value: 2 });
      const results = await Promise.all([10, 11, 12, 13, 14].map((amount) => recharge(h.user, amount, h.coupon.code)));
      expect(results.map((r) => r.json().code).sort()).toEqual([200, 40003, 40003, 40003, 40003]);
      expect(await ordersOf(h.user)).toBe(1);
    });
  });

  it('gives the coupon back when its order expires, and a new order can use it', async () => {
    const h = await holder({ type: 'discount', value: 20 });
    const first = (await recharge(h.user, 50, h.coupon.code)).json().data.order_id as string;
    const job = expiryJob();
    await job.expireDue(); // earlier tests' orders may be due; this one is not
    expect((await orderRow(first))?.status).toBe('pending');
    expect((await claimRow(h.claimId))?.status).toBe('reserved');
    clock.advance(ORDER_TTL_MS + 1000);
    expect(await job.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await orderRow(first))?.status).toBe('expired');
    expect(await claimRow(h.claimId)).toMatchObject({ status: 'unused', orderId: null });
    const unused = (await t.request({ method: 'GET', url: '/api/v1/operation/my-coupons?status=unused', headers: h.user.auth })).json().data.items;
    expect(unused).toMatchObject([{ claim_id: h.claimId, status: 'unused' }]);

    const second = await recharge(h.user, 50, h.coupon.code);
    expect(second.json().data).toMatchObject({ amount: 40 });
    await callback(second.json().data.order_id, 'success');
    expect(await claimRow(h.claimId)).toMatchObject({ status: 'used', orderId: (await orderRow(second.json().data.order_id))?.id });
    expect(await credits(h.user)).toBe(500);
  });

  it('gives the coupon back when the provider reports the payment failed', async () => {
    const h = await holder({ type: 'deduction', value: 3 });
    const first = (await recharge(h.user, 30, h.coupon.code)).json().data.order_id as string;
    expect((await callback(first, 'failed')).statusCode).toBe(200);
    expect((await orderRow(first))?.status).toBe('failed');
    expect(await claimRow(h.claimId)).toMatchObject({ status: 'unused', orderId: null });
    expect(await credits(h.user)).toBe(0);
    expect((await recharge(h.user, 30, h.coupon.code)).json().data).toMatchObject({ amount: 27 });
  });

  describe('a payment notice that arrives after its order released the coupon: the coupon discounts once', () => {
    const membership = (user: User, coupon_code: string) =>
      t.request({ method: 'POST', url: '/api/v1/credit/membership', headers: { ...json, ...user.auth }, payload: { membership_type: 'monthly', payment_method: 'alipay', coupon_code } });
    const usedCount = async (couponId: number) => (await t.database.db.select().from(coupons).where(eq(coupons.id, couponId)))[0]?.usedCount;
    const expireNow = async () => {
      clock.advance(ORDER_TTL_MS + 1000);
      await expiryJob().expireDue();
    };
    // Each case moves the clock on past an order's deadline: sessions are renewed rather than left to expire.
    beforeEach(async () => {
      const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ENV.ADMIN_EMAIL, password: ENV.ADMIN_PASSWORD } });
      admin = bearer(login.json().data.access_token);
    });

    it('settles the late order with its coupon and cancels the newer order holding it, with a message naming why', async () => {
      const h = await holder({ type: 'discount', value: 20, max_usage: 1 });
      const late = (await recharge(h.user, 50, h.coupon.code)).json().data.order_id as string;
      await expireNow();
      const newer = await recharge(h.user, 50, h.coupon.code);
      expect(newer.json().data).toMatchObject({ amount: 40 });
      const newerId = newer.json().data.order_id as string;

      expect((await callback(late, 'success')).json()).toMatchObject({ code: 200, data: { order_id: late, status: 'paid' } });
      expect(await credits(h.user)).toBe(500);
      expect(await claimRow(h.claimId)).toMatchObject({ status: 'used', orderId: (await orderRow(late))?.id });
      expect(await usedCount(h.coupon.id)).toBe(1);
      expect(await orderRow(newerId)).toMatchObject({ status: 'failed', failureReason: expect.stringContaining(`The coupon went to order ${late}`) });
    });

    it('credits a recharge paid after its coupon was used elsewhere with what was paid, never the discount twice', async () => {
      const h = await holder({ type: 'discount', value: 20, max_usage: 1 });
      const late = (await recharge(h.user, 50, h.coupon.code)).json().data.order_id as string;
      await expireNow();
      const newer = (await recharge(h.user, 50, h.coupon.code)).json().data.order_id as string;
      await callback(newer, 'success');
      expect(await credits(h.user)).toBe(500);

      // ¥40 arrives for the late order: it buys 400 credits at the list rate, without the coupon.
      expect((await callback(late, 'success')).json()).toMatchObject({ code: 200, data: { order_id: late, status: 'paid' } });
      expect(await credits(h.user)).toBe(900);
      expect(await orderRow(late)).toMatchObject({ status: 'paid', listAmount: 40_000_000n, payAmount: 40_000_000n, discount: 0n, credits: 40_000_000n, couponClaimId: null });
      expect(await claimRow(h.claimId)).toMatchObject({ status: 'used', orderId: (await orderRow(newer))?.id });
      expect(await usedCount(h.coupon.id)).toBe(1);
      // Once more, the same notice: nothing moves.
      await callback(late, 'success');
      expect(await credits(h.user)).toBe(900);
      expect(await usedCount(h.coupon.id)).toBe(1);
    });

    it('does not grant a membership paid at a coupon price whose coupon was used elsewhere: 40005, marked for a refund', async () => {
      const h = await holder({ type: 'deduction', value: 4.9, max_usage: 1 });
      const late = (await membership(h.user, h.coupon.code)).json().data.order_id as string;
      await expireNow();
      const newer = (await membership(h.user, h.coupon.code)).json().data.order_id as string;
      await callback(newer, 'success');
      const endsAfterNewer = (await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: h.user.auth })).json().data.membership_end_date;

      const res = await callback(late, 'success');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 40005, data: null });
      expect(await orderRow(late)).toMatchObject({ status: 'expired', paidAt: null, failureReason: expect.stringContaining('to be refunded') });
      const after = (await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: h.user.auth })).json().data;
      expect(after).toMatchObject({ membership_end_date: endsAfterNewer, credit_balance: 0 });
      expect(await usedCount(h.coupon.id)).toBe(1);
      expect(t.logs.some((l) => l.includes('payment notice refused') && l.includes('coupon_used'))).toBe(true);
    });
  });

  it('answers 401 to a recharge with a coupon and no token', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/credit/recharge', headers: json, payload: { amount: 10, payment_method: 'alipay', coupon_code: 'X' } });
    expect(res.statusCode).toBe(401);
  });
});
