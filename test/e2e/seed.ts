import crypto from 'node:crypto';
import { expect } from 'vitest';
import { formatStudioTime } from '../../src/platform/time.ts';
import { bearer, registerUser } from '../helpers/actors.ts';
import { createRecharge, rechargeAndPay } from '../helpers/payments.ts';
import type { Actor, SupplyHarness } from '../helpers/supply.ts';
import { availableRecord, verifiedSupplier, withdraw, withdrawCode, yuan } from '../helpers/withdrawals.ts';
import { MODEL, operatorSession, PASSWORD, sessionOf, type Session } from './fixtures.ts';

// Rows for every list page of the console, made through the HTTP APIs the way users make them: a supplier with
// accounts (one waiting for review), packages in several states, earnings and a withdrawal; a platform channel; a buyer
// with keys carrying long allow-lists, paid and pending orders, and a usage log that includes a model whose id is one
// long unbroken word and failures with their error text; coupons; activities of each type, and friends the buyer
// referred (one rewarded, one waiting). The server's own requests fill the health page.

/**
 * A long model id (vendor/family-variant-date) with nothing to break it at. Under 100 characters once URL-encoded:
 * Fastify's default maxParamLength (100) answers a longer `/model-prices/:model` with 414.
 */
export const LONG_MODEL = 'layout-check-vendor/an-extremely-long-model-identifier-with-context-size-2025-06-01-preview';

/** Successful requests in the buyer's usage log (with the failures, more than fit on a 768 px high screen). */
const REQUESTS = 14;

export interface ListPageData {
  buyer: Session;
  supplier: Session;
  operator: Session;
}

export async function seedListPages(h: SupplyHarness): Promise<ListPageData> {
  const ok = (res: { status: number; raw: string }, status = 200) => expect(res.status, res.raw).toBe(status);

  // A supplier: two active accounts (one named), one flagged for review (the low-balance marker), packages.
  const supplier = await verifiedSupplier(h);
  const account = await h.activeAccount(supplier);
  const named = await h.call(supplier, 'POST', '/api/v1/supply/accounts', {
    payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential(), account_alias: 'Team OpenAI account for the East China region', risk_ack: true },
    headers: { 'idempotency-key': `seed-${crypto.randomUUID()}` },
  });
  ok(named, 201);
  ok(await h.call(supplier, 'POST', `/api/v1/supply/accounts/${named.body.data.account_id}/activate`));
  const flagged = await h.call(supplier, 'POST', '/api/v1/supply/accounts', {
    payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential('))))'), min_quota_threshold: 10, risk_ack: true },
    headers: { 'idempotency-key': `seed-${crypto.randomUUID()}` },
  });
  ok(flagged, 201);
  // Prices within each model's ceiling: the fixtures' price for MODEL, below the list price for gpt-4o.
  const draft = async (model: string, quota: number, [input, output] = model === MODEL ? [200_000, 400_000] : [20, 80]) => {
    const res = await h.call(supplier, 'POST', '/api/v1/supply/packages/draft', {
      payload: { supply_account_id: account, model, total_quota: quota, price_per_1m_input: input, price_per_1m_output: output, valid_days: 30 },
    });
    ok(res, 201);
    return res.body.data.package_id as number;
  };
  ok(await h.call(supplier, 'POST', `/api/v1/supply/packages/${await draft(MODEL, 5_000_000)}/publish`));
  const paused = await draft('gpt-4o', 2_000_000);
  ok(await h.call(supplier, 'POST', `/api/v1/supply/packages/${paused}/publish`));
  ok(await h.call(supplier, 'POST', `/api/v1/supply/packages/${paused}/pause`));
  await draft('gpt-4o', 750_000);

  // A platform channel on the fake provider serves every openai model on the price list, the long one included.
  await h.addChannel({ name: 'layout-check-east-china-primary-platform-channel', endpoint: h.provider.url });
  await h.setPrice(encodeURIComponent(LONG_MODEL), { provider: 'openai', input_price: 1, output_price: 2 });

  // A buyer with keys, orders and a usage log.
  const user = await registerUser(h.t);
  const buyer: Actor = { id: user.id, auth: user.auth };
  await h.fund(user.id, 1000);
  await rechargeAndPay(h.t, user.auth, 100);
  await createRecharge(h.t, user.auth, 50, 'wechat');
  const key = async (payload: Record<string, unknown>) => {
    const res = await h.call(buyer, 'POST', '/api/v1/keys', { payload });
    ok(res);
    return res.body.data.key as string;
  };
  const keyValue = await key({
    name: 'production backend (Shanghai cluster)',
    allowed_models: [MODEL, 'gpt-4o', LONG_MODEL],
    allowed_ips: ['127.0.0.1', '203.0.113.0/24', '2001:db8::/32'],
    spend_limit: 5000,
    rate_limit_rpm: 600,
    expires_at: formatStudioTime(new Date(Date.now() + 90 * 86_400_000)),
  });
  await key({ name: 'notebook experiments' });
  await key({ name: 'nightly batch jobs', spend_limit: 120.5, rate_limit_rpm: 30 });

  const chat = (model: string, content: string) =>
    h.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${keyValue}` }, payload: { model, max_tokens: 12, messages: [{ role: 'user', content }] } });
  for (let i = 0; i < REQUESTS; i += 1) expect((await chat(MODEL, `hello number ${i}`)).statusCode).toBe(200);
  expect((await chat(LONG_MODEL, 'hello long model')).statusCode).toBe(200);
  // Failures last: they count against the channel's health.
  expect((await chat(LONG_MODEL, 'refuse this [[status:400]]')).statusCode).toBe(400);
  expect((await chat(LONG_MODEL, 'fail this [[status:503]]')).statusCode).toBe(503);
  const usageRows = REQUESTS + 3;
  await waitFor(async () => (await h.usageRows()).filter((r) => r.userId === user.id).length >= usageRows, 'the usage log to hold every request');

  // Earnings to withdraw from, and a withdrawal waiting for an operator.
  await availableRecord(h, supplier.id, yuan(320), new Date(Date.now() - 2 * 86_400_000));
  await h.grantAvailable(supplier.id, yuan(12.5), { description: 'Launch bonus for suppliers who mounted an account in the first week' });
  ok(await withdraw(h, supplier, { withdraw_amount: 150, sms_code: await withdrawCode(h, supplier) }), 201);

  // Coupons: one of each kind.
  for (const [code, type, value] of [['LAYOUT-SPRING-DISCOUNT', 'discount', 15], ['LAYOUT-WELCOME-5', 'deduction', 5], ['LAYOUT-BONUS-CREDITS', 'credit_bonus', 50]] as const) {
    const res = await h.t.request({
      method: 'POST', url: '/api/v1/operation/coupons', headers: h.operator,
      payload: {
        code, name: `Layout check ${type} coupon for returning customers`, type, value, min_amount: 20, max_usage: 500,
        valid_from: formatStudioTime(new Date(Date.now() - 3_600_000)), valid_until: formatStudioTime(new Date(Date.now() + 30 * 86_400_000)),
      },
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  await seedOperations(h, user.auth);

  return {
    buyer: await sessionOf(h, user.username, user.password),
    supplier: await sessionOf(h, supplier.username as string, supplier.password as string),
    operator: await operatorSession(h),
  };
}

/**
 * Operations rows: an activity of each type (long names and descriptions), and two friends who registered with the
 * buyer's referral link — one has paid a first order (the buyer's reward), the other has not yet.
 */
async function seedOperations(h: SupplyHarness, buyerAuth: Record<string, string>): Promise<void> {
  const at = (days: number) => formatStudioTime(new Date(Date.now() + days * 86_400_000));
  const activities = [
    ['Spring credit gift for every new and returning customer', 'credit_gift', { credits: 50, on: 'participate' }, -1, 30],
    ['Membership discount for the whole summer season', 'membership_discount', { percent: 20 }, 2, 40],
    ['Double referral rewards week (ended)', 'referral_bonus', { credits: 80 }, -10, -3],
    ['First purchase bonus credits for new buyers', 'first_purchase', { credits: 100 }, -1, 60],
  ] as const;
  for (const [name, type, config, from, until] of activities) {
    const res = await h.t.request({
      method: 'POST', url: '/api/v1/operation/activities', headers: h.operator,
      payload: { name, type, config, description: `${name}: shown to buyers on the rewards page while it runs, in their own language`, start_time: at(from), end_time: at(until) },
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  const link = await h.t.request({ method: 'POST', url: '/api/v1/operation/referral/generate', headers: buyerAuth });
  expect(link.statusCode, link.body).toBe(200);
  for (const [i, pays] of [[0, true], [1, false]] as const) {
    const username = `layout_friend_${i}_${Date.now().toString(36)}`;
    const reg = await h.t.request({
      method: 'POST', url: '/api/v1/auth/register',
      payload: { username, email: `${username}@example.com`, password: PASSWORD, ref: link.json().data.referral_code },
    });
    expect(reg.statusCode, reg.body).toBe(200);
    if (pays) await rechargeAndPay(h.t, bearer((await sessionOf(h, username, PASSWORD)).access), 10);
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
