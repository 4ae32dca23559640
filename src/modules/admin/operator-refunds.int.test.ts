import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import {
  buyMembership, callbackBody, createRecharge, ledgerCheck, payOrder, postCallback, rechargeAndPay, SANDBOX_ENV, SANDBOX_SECRET, walletSnapshot,
} from '../../../test/helpers/payments.ts';
import { auditEvents } from './audit.tables.ts';

// POST /api/v1/admin/orders/{id}/refund: an operator reverses a paid order while its credits are unspent (a
// membership gives its months back); anything else is refused with a clear error and changes nothing.
// The clock starts at 2026-03-01T12:00:00 UTC+8 and moves 31 minutes on when an order is left to expire.

type User = Awaited<ReturnType<typeof registerUser>>;
const json = { 'content-type': 'application/json' };
const OPERATOR = { ADMIN_EMAIL: 'refunds@example.com', ADMIN_PASSWORD: 'operator pass 1' };

describe.each(DB_TIERS)('operator refunds on $name', (tier) => {
  let t: TestApp;
  let admin: { id: number; auth: Record<string, string> };
  const clock = fakeClock();

  const refund = (orderId: string, payload: unknown = { reason: 'customer request' }, headers: Record<string, string> = admin.auth) =>
    t.request({ method: 'POST', url: `/api/v1/admin/orders/${orderId}/refund`, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  async function expectNoChange(user: User, send: () => Promise<{ statusCode: number; json(): unknown }>, status: number, message?: RegExp) {
    const before = await walletSnapshot(t, user.auth);
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ code: status, message: message ? expect.stringMatching(message) : expect.any(String), data: null });
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ...SANDBOX_ENV, ...OPERATOR }, clock });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
    admin = { id: login.json().data.user.id, auth: bearer(login.json().data.access_token) };
  });
  afterAll(() => t?.close());

  it('refunds a paid recharge whose credits are unspent: balance back down, order refunded, a refund movement, an audit row', async () => {
    const user = await registerUser(t);
    const { order_id } = await rechargeAndPay(t, user.auth, 10);
    const res = await refund(order_id, { reason: 'paid by mistake' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: 200, message: '退款成功', data: { order_id, status: 'refunded', amount: 10, credits: 100, payment_url: null } });

    const after = await walletSnapshot(t, user.auth);
    expect(after.standing.credit_balance).toBe(0);
    expect(after.recharges[order_id]).toBe('refunded');
    expect(after.transactions[0]).toMatchObject({ type: 'refund', amount: -100, balance_after: 0, reference: order_id });
    expect((after.transactions[0] as { description: string }).description).toContain('paid by mistake');
    const audit = await t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'order'), eq(auditEvents.objectId, order_id)));
    expect(audit).toEqual([
      expect.objectContaining({
        actorUserId: admin.id, tenantUserId: user.id, action: 'order.refund', before: { status: 'paid' }, after: { status: 'refunded' },
        reason: 'paid by mistake', requestId: res.headers['x-request-id'],
      }),
    ]);
  });

  it('refuses a second refund of the same order with 409', async () => {
    const user = await registerUser(t);
    const { order_id } = await rechargeAndPay(t, user.auth, 10);
    expect((await refund(order_id)).statusCode).toBe(200);
    await expectNoChange(user, () => refund(order_id), 409, /already been refunded/);
  });

  it('refunds once when many refunds of one order arrive at once', async () => {
    const user = await registerUser(t);
    await rechargeAndPay(t, user.auth, 5);
    const { order_id } = await rechargeAndPay(t, user.auth, 10);
    const answers = await Promise.all(Array.from({ length: 6 }, () => refund(order_id)));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing.credit_balance).toBe(50);
    expect(after.transactions.filter((x) => (x as { type: string }).type === 'refund')).toHaveLength(1);
  });

  it('does not credit a refunded order again when its callback is replayed', async () => {
    const user = await registerUser(t);
    const { order_id } = await rechargeAndPay(t, user.auth, 10);
    await refund(order_id);
    const before = await walletSnapshot(t, user.auth);
    expect((await postCallback(t, callbackBody(order_id))).statusCode).toBe(200);
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
  });

  it('refuses a pending, a failed and an expired order with 409', async () => {
    const user = await registerUser(t);
    const pending = await createRecharge(t, user.auth, 10);
    await expectNoChange(user, () => refund(pending.order_id), 409, /pending/);
    const failed = await createRecharge(t, user.auth, 10);
    await postCallback(t, callbackBody(failed.order_id, { status: 'failed' }));
    await expectNoChange(user, () => refund(failed.order_id), 409, /failed/);
    const expired = await createRecharge(t, user.auth, 10);
    clock.advance(31 * 60 * 1000);
    await t.app.tollgateJobs.find((j) => j.name === 'orders.expire')?.handler({});
    await expectNoChange(user, () => refund(expired.order_id), 409, /expired/);
  });

  it('refuses a recharge whose credits were already spent, with a clear error, and changes nothing', async () => {
    const user = await registerUser(t);
    const { order_id } = await rechargeAndPay(t, user.auth, 10);
    expect((await buyMembership(t, user.auth, 'monthly', 'balance')).json().data.status).toBe('paid');
    await expectNoChange(user, () => refund(order_id), 409, /already been spent/);
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing).toMatchObject({ credit_balance: 1, is_member: true });
    expect(after.recharges[order_id]).toBe('paid');
  });

  it('refunds a balance-paid membership: the credits come back and the months go', async () => {
    const user = await registerUser(t);
    await rechargeAndPay(t, user.auth, 40);
    await buyMembership(t, user.auth, 'monthly', 'balance');
    const quarterly = (await buyMembership(t, user.auth, 'quarterly', 'balance')).json().data;
    expect(quarterly.membership_end_date).toBe('2026-07-01T12:31:00');

    const res = await refund(quarterly.order_id);
    expect(res.json().data).toMatchObject({ order_id: quarterly.order_id, status: 'refunded', membership_type: 'quarterly' });
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing).toMatchObject({ credit_balance: 301, is_member: true, membership_end_date: '2026-04-01T12:31:00' });
    expect(after.memberships[quarterly.order_id]).toBe('refunded');
    expect(after.transactions[0]).toMatchObject({ type: 'refund', amount: 250, balance_after: 301 });
  });

  it('refunds a provider-paid membership: no credits move and the membership ends', async () => {
    const user = await registerUser(t);
    const order = (await buyMembership(t, user.auth, 'yearly', 'alipay')).json().data;
    await payOrder(t, order.order_id);
    expect((await walletSnapshot(t, user.auth)).standing.is_member).toBe(true);
    expect((await refund(order.order_id)).statusCode).toBe(200);
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing).toEqual({ credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' });
    expect(after.transactions).toEqual([]);
  });

  describe('refuses, and changes nothing', () => {
    let user: User;
    let orderId: string;
    beforeAll(async () => {
      user = await registerUser(t);
      orderId = (await rechargeAndPay(t, user.auth, 10)).order_id;
    });

    it.each([
      ['a missing reason', {}],
      ['a one-character reason', { reason: 'x' }],
      ['an unknown field', { reason: 'customer request', amount: 5 }],
    ])('%s (400)', (_what, payload) => expectNoChange(user, () => refund(orderId, payload), 400));

    it('an order id of the wrong shape (400)', () => expectNoChange(user, () => refund('R123'), 400));
    it('an unknown order (404)', () => expectNoChange(user, () => refund('R20260301120000000000'), 404));
    it('a caller who is not an operator (403)', () => expectNoChange(user, () => refund(orderId, undefined, user.auth), 403));
    it('a caller without a token (401)', () => expectNoChange(user, () => refund(orderId, undefined, {}), 401));
  });

  it('leaves the books balanced', async () => {
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('never shows the operator password, the sandbox secret or the master key in a response or a log line', () => {
    const seen = [...t.logs, ...t.responses].join('\n');
    for (const secret of [OPERATOR.ADMIN_PASSWORD, SANDBOX_SECRET, t.config.masterKey as string]) expect(seen).not.toContain(secret);
  });
});
