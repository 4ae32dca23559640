import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, createRecharge, ledgerCheck, payOrder, rechargeAndPay, SANDBOX_ENV, standing } from '../../../test/helpers/payments.ts';
import { formatStudioTime, systemClock } from '../../platform/time.ts';
import { createAuditLog } from '../admin/audit.service.ts';
import { createUserService } from '../identity/users.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { ledgerPostings, ledgerTransfers } from '../ledger/ledger.tables.ts';
import { createLedger, type Ledger } from '../ledger/ledger.service.ts';
import { createWalletService, type WalletService } from './wallet.service.ts';

// Debt is collected, never forgotten (DESIGN.md §5): what a prepaid user's wallet could not cover of a gateway
// charge sits in their receivable, and the next credit of any kind — payment, gift, refund, coupon bonus, operator
// adjustment — pays it first, in the same transfer. A postpaid user's receivable is their bill: credits leave it be.

const YUAN = 1_000_000n;
const json = { 'content-type': 'application/json' };
const OPERATOR = { ADMIN_EMAIL: 'debts@example.com', ADMIN_PASSWORD: 'operator pass 1' };

describe.each(DB_TIERS)('debt collection on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;
  let ledger: Ledger;
  let wallet: WalletService;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ...SANDBOX_ENV, ...OPERATOR } });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
    const { database } = t;
    ledger = createLedger({ database, clock: systemClock });
    wallet = createWalletService({ database, ledger, audit: createAuditLog({ database }), billingMode: createUserService({ database, clock: systemClock }).billingMode });
  });
  afterAll(() => t?.close());

  /** An overshoot the wallet could not cover, posted as billing posts it: the receivable goes below zero. */
  const overshoot = (userId: number, owed: bigint) =>
    ledger.transfer({
      idempotencyKey: `gateway:test-overshoot-${seq++}`, kind: 'api_usage', reference: 'test',
      postings: [{ account: ACCOUNTS.userReceivable(userId), amount: -owed }, { account: ACCOUNTS.platformRevenue, amount: owed }],
    });
  const receivable = (userId: number) => ledger.balance(ACCOUNTS.userReceivable(userId));
  /** The transfers (with their postings' accounts) that touched the user's receivable, newest first. */
  async function collections(userId: number) {
    const history = await ledger.history(ACCOUNTS.userReceivable(userId), { limit: 50, offset: 0 });
    return history.rows.filter((r) => r.amount > 0n);
  }
  async function postingsOf(reference: string) {
    return t.database.db
      .select({ transfer: ledgerTransfers.id, amount: ledgerPostings.amount })
      .from(ledgerPostings)
      .innerJoin(ledgerTransfers, eq(ledgerTransfers.id, ledgerPostings.transferId))
      .where(eq(ledgerTransfers.reference, reference));
  }

  it('shows what a prepaid user owes on GET /credit/balance, and pays ¥1 owed out of a ¥10 recharge in ONE transfer', async () => {
    const user = await registerUser(t);
    await overshoot(user.id, YUAN);
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 0, owed_amount: 1, billing_mode: 'prepaid' });

    const { order_id } = await rechargeAndPay(t, user.auth, 10);
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 90, owed_amount: 0, billing_mode: 'prepaid' });
    expect(await receivable(user.id)).toBe(0n);
    const postings = await postingsOf(order_id);
    expect(new Set(postings.map((p) => p.transfer)).size).toBe(1);
    expect(postings.map((p) => p.amount).sort()).toEqual([-10n * YUAN, YUAN, 9n * YUAN].sort());
    expect(await collections(user.id)).toEqual([expect.objectContaining({ kind: 'recharge', reference: order_id, amount: YUAN })]);
  });

  it('shows an exact small debt (a fraction of a fen) and collects it exactly', async () => {
    const user = await registerUser(t);
    await overshoot(user.id, 1_234n);
    expect((await standing(t, user.auth)).owed_amount).toBe(0.001234);
    await rechargeAndPay(t, user.auth, 1);
    expect(await ledger.balance(ACCOUNTS.userWallet(user.id))).toBe(YUAN - 1_234n);
    expect(await receivable(user.id)).toBe(0n);
  });

  it('pays the debt first from a gift', async () => {
    const user = await registerUser(t);
    await overshoot(user.id, YUAN);
    const gift = await wallet.credit({ userId: user.id, amount: 10n * YUAN, from: ACCOUNTS.promoExpense, idempotencyKey: `gift:${user.id}`, kind: 'gift', description: '注册赠送' });
    expect(gift.deltas.get(ACCOUNTS.userReceivable(user.id).code)).toBe(YUAN);
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 90, owed_amount: 0 });
    expect(await collections(user.id)).toEqual([expect.objectContaining({ kind: 'gift', amount: YUAN })]);
  });

  it('pays the debt first from an operator credit adjustment, and the answer shows the wallet after it', async () => {
    const user = await registerUser(t);
    await overshoot(user.id, YUAN);
    const res = await t.request({ method: 'POST', url: `/api/v1/admin/users/${user.id}/credits`, headers: { ...json, ...admin }, payload: { credits: 100, reason: 'goodwill' } });
    expect(res.json()).toMatchObject({ code: 200, data: { user_id: user.id, credit_balance: 90 } });
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 90, owed_amount: 0 });
    expect(await collections(user.id)).toEqual([expect.objectContaining({ kind: 'adjust', amount: YUAN })]);
  });

  it('puts an adjustment smaller than the debt wholly on the debt', async () => {
    const user = await registerUser(t);
    await overshoot(user.id, 5n * YUAN);
    const res = await t.request({ method: 'POST', url: `/api/v1/admin/users/${user.id}/credits`, headers: { ...json, ...admin }, payload: { credits: 20, reason: 'goodwill' } });
    expect(res.json()).toMatchObject({ code: 200, data: { credit_balance: 0 } });
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 0, owed_amount: 3 });
  });

  it('pays the debt first from the bonus of a credit_bonus coupon on a membership', async () => {
    const user = await registerUser(t);
    const code = `DEBT${Date.now().toString(36)}`;
    const now = Date.now();
    const created = await t.request({
      method: 'POST', url: '/api/v1/operation/coupons', headers: { ...json, ...admin },
      payload: { code, name: '送积分', type: 'credit_bonus', value: 50, max_usage: 5, valid_from: formatStudioTime(new Date(now - 3_600_000)), valid_until: formatStudioTime(new Date(now + 86_400_000)) },
    });
    expect(created.statusCode, created.body).toBe(200);
    await t.request({ method: 'POST', url: `/api/v1/operation/coupons/${created.json().data.id}/claim`, headers: user.auth });
    await overshoot(user.id, YUAN);
    const order = await t.request({
      method: 'POST', url: '/api/v1/credit/membership', headers: { ...json, ...user.auth }, payload: { membership_type: 'monthly', payment_method: 'alipay', coupon_code: code },
    });
    expect(order.json().data.status).toBe('pending');
    await payOrder(t, order.json().data.order_id);
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 40, owed_amount: 0, is_member: true });
    expect(await collections(user.id)).toEqual([expect.objectContaining({ kind: 'membership', amount: YUAN })]);
  });

  it('pays the debt first from the credits a refund returns (a membership paid from the balance)', async () => {
    const user = await registerUser(t);
    await rechargeAndPay(t, user.auth, 20);
    const bought = await buyMembership(t, user.auth, 'monthly');
    expect(bought.json().data.status).toBe('paid');
    await overshoot(user.id, YUAN);
    const res = await t.request({ method: 'POST', url: `/api/v1/admin/orders/${bought.json().data.order_id}/refund`, headers: { ...json, ...admin }, payload: { reason: 'changed mind' } });
    expect(res.json().code, res.body).toBe(200);
    // 200 credits − 99 for the plan + 99 returned, of which ¥1 (10 credits) paid the debt.
    expect(await standing(t, user.auth)).toMatchObject({ credit_balance: 190, owed_amount: 0, is_member: false });
    expect(await collections(user.id)).toEqual([expect.objectContaining({ kind: 'refund', amount: YUAN })]);
  });

  it('leaves a postpaid user’s receivable (their bill) alone: credits go to the wallet', async () => {
    const users = createUserService({ database: t.database, clock: systemClock });
    const { user } = await users.create({ username: `postpaid${seq++}`, role: 'user', billingMode: 'postpaid' }, async () => undefined);
    await overshoot(user.id, 3n * YUAN);
    const res = await t.request({ method: 'POST', url: `/api/v1/admin/users/${user.id}/credits`, headers: { ...json, ...admin }, payload: { credits: 100, reason: 'studio credits' } });
    expect(res.json()).toMatchObject({ code: 200, data: { credit_balance: 100 } });
    await wallet.credit({ userId: user.id, amount: YUAN, from: ACCOUNTS.promoExpense, idempotencyKey: `gift:${user.id}`, kind: 'gift' });
    expect(await receivable(user.id)).toBe(-3n * YUAN);
    expect(await ledger.balance(ACCOUNTS.userWallet(user.id))).toBe(11n * YUAN);
    expect((await wallet.debt(user.id))).toEqual({ owed: 3n * YUAN, billingMode: 'postpaid' });
  });

  it('lists the receivables still open for ledger:check, and keeps the books balanced', async () => {
    const user = await registerUser(t);
    await overshoot(user.id, 2n * YUAN);
    const open = await ledger.openReceivables();
    expect(open).toContainEqual({ userId: user.id, code: `user:${user.id}:receivable`, owed: 2n * YUAN });
    await createRecharge(t, user.auth, 1); // unpaid: collects nothing
    expect(await ledger.openReceivables()).toContainEqual({ userId: user.id, code: `user:${user.id}:receivable`, owed: 2n * YUAN });
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('answers 401 on /credit/balance without a token', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/credit/balance' })).statusCode).toBe(401);
  });
});
