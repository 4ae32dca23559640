import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, ledgerCheck, payOrder, rechargeAndPay, SANDBOX_ENV, standing, walletSnapshot } from '../../../test/helpers/payments.ts';

// Many purchases at once by one user: the wallet's guarded debit lets through exactly what the credits cover,
// and every paid month lands on the membership (the clock starts at 2026-03-01T12:00:00 UTC+8).

describe.each(DB_TIERS)('concurrent membership purchases on $name', (tier) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock: fakeClock() });
  });
  afterAll(() => t?.close());

  it('lets exactly 37 of 100 parallel balance payments through when the credits cover 37', async () => {
    const user = await registerUser(t);
    // 37 × 99 credits = 3663, plus 5 that cover no 38th.
    await rechargeAndPay(t, user.auth, '366.80');
    expect((await standing(t, user.auth)).credit_balance).toBe(3668);

    const answers = await Promise.all(Array.from({ length: 100 }, () => buyMembership(t, user.auth, 'monthly', 'balance')));
    const codes = answers.map((r) => r.json().code as number);
    expect(codes.filter((c) => c === 200)).toHaveLength(37);
    expect(codes.filter((c) => c === 40001)).toHaveLength(63);
    expect(answers.filter((r) => r.json().code === 200).every((r) => r.json().data.status === 'paid')).toBe(true);

    expect(await standing(t, user.auth)).toEqual({
      credit_balance: 5,
      is_member: true,
      membership_type: 'monthly',
      membership_end_date: '2029-04-01T12:00:00',
      owed_amount: 0,
      billing_mode: 'prepaid',
    });
    const after = await walletSnapshot(t, user.auth);
    expect(Object.values(after.memberships)).toEqual(Array(37).fill('paid'));
    expect(after.transactions).toHaveLength(38);
    expect(after.transactions.filter((x) => (x as { type: string }).type === 'membership')).toHaveLength(37);
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('adds every month when many provider-paid memberships are confirmed at once', async () => {
    const user = await registerUser(t);
    const orders = [];
    for (let i = 0; i < 12; i++) orders.push((await buyMembership(t, user.auth, 'monthly', 'alipay')).json().data.order_id as string);
    await Promise.all(orders.map((id) => payOrder(t, id)));
    expect(await standing(t, user.auth)).toMatchObject({ is_member: true, membership_end_date: '2027-03-01T12:00:00' });
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
