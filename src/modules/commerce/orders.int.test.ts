import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, createRecharge, ledgerCheck, payOrder, SANDBOX_ENV, walletSnapshot } from '../../../test/helpers/payments.ts';

// Order lifecycle details: order numbers stay unique when the random part collides, and the expiry job closes only
// pending orders past their 30 minutes. The clock starts at 2026-03-01T12:00:00 UTC+8.

type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('orders on $name', (tier) => {
  let t: TestApp;
  let user: User;
  const clock = fakeClock();
  const expireDue = async () => ((await t.app.tollgateJobs.find((j) => j.name === 'orders.expire')?.handler({})) as { expired: number }).expired;

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock });
    user = await registerUser(t);
  });
  afterAll(() => t?.close());
  afterEach(() => vi.restoreAllMocks());

  it('draws another order number when the random digits collide within the same second', async () => {
    const draws = vi.spyOn(crypto, 'randomInt') as unknown as { mockReturnValueOnce(v: number): typeof draws };
    draws.mockReturnValueOnce(424242).mockReturnValueOnce(424242).mockReturnValueOnce(424243);
    const first = await createRecharge(t, user.auth, 1);
    const second = await createRecharge(t, user.auth, 2);
    expect(first.order_id).toBe('R20260301120000424242');
    expect(second.order_id).toBe('R20260301120000424243');
    const orders = (await walletSnapshot(t, user.auth)).recharges;
    expect(orders).toMatchObject({ [first.order_id]: 'pending', [second.order_id]: 'pending' });
  });

  it('lets a recharge and a membership share the random digits: the letter tells them apart', async () => {
    const draws = vi.spyOn(crypto, 'randomInt') as unknown as { mockReturnValue(v: number): void };
    draws.mockReturnValue(777777);
    const recharge = await createRecharge(t, user.auth, 1);
    const membership = (await buyMembership(t, user.auth, 'monthly', 'alipay')).json().data;
    expect([recharge.order_id, membership.order_id]).toEqual(['R20260301120000777777', 'M20260301120000777777']);
  });

  it('expires only pending orders past 30 minutes, once', async () => {
    clock.advance(60 * 60 * 1000);
    await expireDue();
    const paid = await createRecharge(t, user.auth, 3);
    await payOrder(t, paid.order_id);
    const pending = await createRecharge(t, user.auth, 4);
    const membership = (await buyMembership(t, user.auth, 'quarterly', 'wechat')).json().data.order_id as string;

    clock.advance(30 * 60 * 1000);
    expect(await expireDue()).toBe(0);
    clock.advance(1000);
    expect(await expireDue()).toBe(2);
    expect(await expireDue()).toBe(0);
    // The clock moved 90 minutes: the user logs in again.
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: user.password } });
    const auth = { authorization: `Bearer ${login.json().data.access_token}` };
    const after = await walletSnapshot(t, auth);
    expect(after.recharges).toMatchObject({ [paid.order_id]: 'paid', [pending.order_id]: 'expired' });
    expect(after.memberships[membership]).toBe('expired');
    expect(after.standing.credit_balance).toBe(30);
  });

  it('leaves the books balanced', async () => {
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
