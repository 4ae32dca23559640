import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import {
  buyMembership, callbackBody, checkoutApiUrl, checkoutPay, createRecharge, ledgerCheck, postCallback, rechargeAndPay, SANDBOX_ENV, SANDBOX_SECRET,
  walletSnapshot,
} from '../../../test/helpers/payments.ts';
import { signSandbox } from './payments/sandbox.ts';

// POST /api/v1/credit/payment/callback: the studio seed's callback, accepted only when X-Signature is the HMAC of
// the raw body under PAYMENT_SANDBOX_SECRET. Idempotent by transaction id; anything it refuses changes nothing.

const STUDIO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
type User = Awaited<ReturnType<typeof registerUser>>;
const OK = (orderId: string, status: string) => ({ code: 200, message: 'success', data: { order_id: orderId, status } });

describe.each(DB_TIERS)('sandbox payment callback on $name', (tier) => {
  let t: TestApp;
  let user: User;
  const clock = fakeClock();

  const expireDue = async () => {
    const job = t.app.tollgateJobs.find((j) => j.name === 'orders.expire');
    return (await job?.handler({})) as { expired: number };
  };
  /** Posts `send` and proves it changed nothing the user can see. */
  async function expectNoChange(send: () => Promise<{ statusCode: number; json(): unknown }>, status: number, code: number) {
    const before = await walletSnapshot(t, user.auth);
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ code, message: expect.any(String), data: null });
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock });
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  it('pays the order once: 100 credits and one recharge movement with its balance_after', async () => {
    const { order_id } = await createRecharge(t, user.auth, 10);
    const res = await postCallback(t, callbackBody(order_id));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(OK(order_id, 'paid'));
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing.credit_balance).toBe(100);
    expect(after.recharges[order_id]).toBe('paid');
    expect(after.transactions).toEqual([
      { id: expect.any(Number), type: 'recharge', amount: 100, balance_after: 100, description: '充值10.00元', reference: order_id, created_at: expect.stringMatching(STUDIO_TIME) },
    ]);
  });

  it('answers the same callback again with 200 and changes nothing', async () => {
    const { order_id } = await createRecharge(t, user.auth, 5);
    await postCallback(t, callbackBody(order_id));
    const before = await walletSnapshot(t, user.auth);
    for (let i = 0; i < 3; i++) {
      const res = await postCallback(t, callbackBody(order_id));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(OK(order_id, 'paid'));
    }
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
    expect(before.standing.credit_balance).toBe(150);
  });

  it('credits once when the same callback arrives many times at once', async () => {
    const { order_id } = await createRecharge(t, user.auth, 1);
    const before = (await walletSnapshot(t, user.auth)).standing.credit_balance;
    const answers = await Promise.all(Array.from({ length: 10 }, () => postCallback(t, callbackBody(order_id))));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing.credit_balance).toBe(before + 10);
    expect(after.transactions.filter((x) => (x as { reference: string }).reference === order_id)).toHaveLength(1);
  });

  it('refuses a second payment of a paid order by another transaction with 40005', async () => {
    const { order_id } = await rechargeAndPay(t, user.auth, 2);
    await expectNoChange(() => postCallback(t, callbackBody(order_id, { transaction_id: 'another-txn' })), 400, 40005);
  });

  it('refuses a transaction id that already paid another order with 40005', async () => {
    const first = await rechargeAndPay(t, user.auth, 3);
    const { order_id } = await createRecharge(t, user.auth, 3);
    await expectNoChange(() => postCallback(t, callbackBody(order_id, { transaction_id: `sbx-${first.order_id}` })), 400, 40005);
  });

  it('pays only one of two orders that one transaction id claims at the same moment', async () => {
    const a = await createRecharge(t, user.auth, 7);
    const b = await createRecharge(t, user.auth, 7);
    const before = (await walletSnapshot(t, user.auth)).standing.credit_balance;
    const answers = await Promise.all([a, b].map((o) => postCallback(t, callbackBody(o.order_id, { transaction_id: 'shared-txn' }))));
    expect(answers.map((r) => r.json().code).sort()).toEqual([200, 40005]);
    const after = await walletSnapshot(t, user.auth);
    expect(after.standing.credit_balance).toBe(before + 70);
    expect([after.recharges[a.order_id], after.recharges[b.order_id]].sort()).toEqual(['paid', 'pending']);
  });

  describe('refuses, and changes nothing, when the callback cannot be trusted', () => {
    let orderId: string;
    beforeAll(async () => {
      orderId = (await createRecharge(t, user.auth, 10)).order_id;
    });

    it('without X-Signature (401)', () => expectNoChange(() => postCallback(t, callbackBody(orderId), { signature: null }), 401, 401));

    it('signed with another secret (401)', () =>
      expectNoChange(() => postCallback(t, callbackBody(orderId), { secret: 'not-the-sandbox-secret' }), 401, 401));

    it('with a signature over a different body (401)', () => {
      const other = signSandbox(SANDBOX_SECRET, JSON.stringify(callbackBody(orderId, { transaction_id: 'other' })));
      return expectNoChange(() => postCallback(t, callbackBody(orderId), { signature: other }), 401, 401);
    });

    it('with the right signature in upper case or with a prefix (401)', async () => {
      const sig = signSandbox(SANDBOX_SECRET, JSON.stringify(callbackBody(orderId)));
      for (const signature of [sig.toUpperCase(), `sha256=${sig}`, sig.slice(0, 63), '']) {
        await expectNoChange(() => postCallback(t, callbackBody(orderId), { signature }), 401, 401);
      }
    });

    it('when the body was changed after signing, even by white space (401)', () => {
      const signed = JSON.stringify(callbackBody(orderId));
      const signature = signSandbox(SANDBOX_SECRET, signed);
      return expectNoChange(() => postCallback(t, JSON.stringify(callbackBody(orderId), null, 1), { signature }), 401, 401);
    });

    it.each([
      ['not JSON', '{"order_id":'],
      ['an unknown field', JSON.stringify({ ...callbackBody('R00000000000000000000'), amount: 10 })],
      ['an unknown status', JSON.stringify(callbackBody('R00000000000000000000', { status: 'refunded' as never }))],
      ['payment_method balance', JSON.stringify(callbackBody('R00000000000000000000', { payment_method: 'balance' as never }))],
    ])('when the signed body is %s (401)', (_what, raw) => expectNoChange(() => postCallback(t, raw), 401, 401));

    it('for an order that does not exist (40004)', () =>
      expectNoChange(() => postCallback(t, callbackBody('R20260301120000999999')), 400, 40004));

    it('for an order the sandbox does not serve: a membership paid from the balance (40004)', async () => {
      await rechargeAndPay(t, user.auth, 9.9);
      const paid = await buyMembership(t, user.auth, 'monthly', 'balance');
      expect(paid.json().data.status).toBe('paid');
      await expectNoChange(() => postCallback(t, callbackBody(paid.json().data.order_id)), 400, 40004);
    });
  });

  it('marks the order failed on status "failed", and moves no money', async () => {
    const { order_id } = await createRecharge(t, user.auth, 10);
    const before = await walletSnapshot(t, user.auth);
    const res = await postCallback(t, callbackBody(order_id, { status: 'failed' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(OK(order_id, 'failed'));
    const after = await walletSnapshot(t, user.auth);
    expect(after.recharges[order_id]).toBe('failed');
    expect(after.standing).toEqual(before.standing);
    expect(after.transactions).toEqual(before.transactions);
  });

  it('still credits the payer when the payment arrives after a failure notice', async () => {
    const { order_id } = await createRecharge(t, user.auth, 4);
    await postCallback(t, callbackBody(order_id, { status: 'failed', transaction_id: 'attempt-1' }));
    const before = (await walletSnapshot(t, user.auth)).standing.credit_balance;
    const res = await postCallback(t, callbackBody(order_id, { transaction_id: 'attempt-2' }));
    expect(res.json()).toEqual(OK(order_id, 'paid'));
    expect((await walletSnapshot(t, user.auth)).standing.credit_balance).toBe(before + 40);
  });

  it('ignores a failure notice for an order already paid', async () => {
    const { order_id } = await rechargeAndPay(t, user.auth, 1);
    const before = await walletSnapshot(t, user.auth);
    const res = await postCallback(t, callbackBody(order_id, { status: 'failed', transaction_id: 'late-failure' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(OK(order_id, 'paid'));
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
  });

  it('expires an unpaid order after 30 minutes, and a late payment still credits the payer', async () => {
    const { order_id } = await createRecharge(t, user.auth, 20);
    clock.advance(29 * 60 * 1000);
    expect((await expireDue()).expired).toBe(0);
    clock.advance(2 * 60 * 1000);
    expect((await expireDue()).expired).toBeGreaterThanOrEqual(1);
    const expired = await walletSnapshot(t, user.auth);
    expect(expired.recharges[order_id]).toBe('expired');

    const res = await postCallback(t, callbackBody(order_id));
    expect(res.json()).toEqual(OK(order_id, 'paid'));
    const paid = await walletSnapshot(t, user.auth);
    expect(paid.recharges[order_id]).toBe('paid');
    expect(paid.standing.credit_balance).toBe(expired.standing.credit_balance + 200);
  });

  it('completes a payment through the sandbox checkout, once', async () => {
    const { order_id, payment_url } = await createRecharge(t, user.auth, 6);
    const before = (await walletSnapshot(t, user.auth)).standing.credit_balance;
    const outcomes = [];
    for (let i = 0; i < 2; i++) {
      const res = await checkoutPay(t, payment_url as string);
      expect(res.statusCode).toBe(200);
      outcomes.push(res.json().data.outcome);
    }
    expect(outcomes).toEqual(['paid', 'unchanged']);
    const after = await walletSnapshot(t, user.auth);
    expect(after.recharges[order_id]).toBe('paid');
    expect(after.standing.credit_balance).toBe(before + 60);
    expect((await t.request({ method: 'GET', url: checkoutApiUrl(payment_url as string) })).json().data.status).toBe('paid');
  });

  it('leaves the books balanced', async () => {
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('never shows the sandbox secret or the master key in a response or a log line', () => {
    const seen = [...t.logs, ...t.responses].join('\n');
    expect(seen).not.toContain(SANDBOX_SECRET);
    expect(seen).not.toContain(t.config.masterKey as string);
    expect(t.logs.some((l) => l.includes('payment notice rejected'))).toBe(true);
    expect(t.logs.some((l) => l.includes('payment notice refused') && l.includes('unknown_order'))).toBe(true);
  });
});

describe.each(DB_TIERS)('sandbox payment callback beside a real provider on $name', (tier) => {
  let t: TestApp;
  let user: User;
  const pem = (k: crypto.KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();

  beforeAll(async () => {
    const app = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const alipay = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    t = await startTestApp(tier, {
      env: {
        ...SANDBOX_ENV,
        PAYMENT_PROVIDERS: 'sandbox,alipay',
        ALIPAY_APP_ID: '2021000000000001',
        ALIPAY_PRIVATE_KEY: pem(app.privateKey, 'pkcs8'),
        ALIPAY_PUBLIC_KEY: pem(alipay.publicKey, 'spki'),
      },
    });
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  it('refuses a signed sandbox callback for an order Alipay serves (40004), and changes nothing', async () => {
    const order = await createRecharge(t, user.auth, 10, 'alipay');
    expect(order.payment_url).toMatch(/^https:\/\/openapi\.alipay\.com\/gateway\.do\?/);
    const before = await walletSnapshot(t, user.auth);
    const res = await postCallback(t, callbackBody(order.order_id));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 40004, message: expect.any(String), data: null });
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
    expect(before.recharges[order.order_id]).toBe('pending');
  });

  it('still pays a wechat order through the sandbox while WeChat Pay is not configured', async () => {
    const order = await createRecharge(t, user.auth, 10, 'wechat');
    expect(order.payment_url?.startsWith(`${t.config.publicBaseUrl}/pay/sandbox/${order.order_id}?payer=`)).toBe(true);
    const res = await postCallback(t, callbackBody(order.order_id, { payment_method: 'wechat' }));
    expect(res.statusCode).toBe(200);
    expect((await walletSnapshot(t, user.auth)).standing.credit_balance).toBe(100);
  });
});
