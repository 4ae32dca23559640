import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../../test/helpers/database.ts';
import { paymentEnv, paymentKeys } from '../../../../test/helpers/payment-providers.ts';
import { checkoutApiUrl, createRecharge, SANDBOX_ENV, walletSnapshot } from '../../../../test/helpers/payments.ts';
import { WEB_DIST } from '../../../../src/platform/web.ts';

// The sandbox checkout's edges: its page is the console's (a browser opening a payment_url gets index.html), bad
// input to its API is a 400/415 in the studio envelope that pays nothing, and without the sandbox provider (as in
// production, where config.ts refuses it) there is no checkout at all.

type User = Awaited<ReturnType<typeof registerUser>>;
const json = { 'content-type': 'application/json' };
const browser = { accept: 'text/html,application/xhtml+xml' };

describe.each(DB_TIERS)('sandbox checkout input on $name', (tier) => {
  let t: TestApp;
  let owner: User;

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV });
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  async function order() {
    const o = await createRecharge(t, owner.auth, 2);
    const api = checkoutApiUrl(o.payment_url as string);
    return { id: o.order_id, paymentUrl: new URL(o.payment_url as string), api, bare: api.split('?')[0] as string, query: api.slice(api.indexOf('?')) };
  }
  const statusOf = async (id: string) => (await walletSnapshot(t, owner.auth)).recharges[id];

  it('opens the console page at the payment_url for a browser, whatever return_to it carries', async () => {
    const o = await order();
    const index = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
    for (const url of [`${o.paymentUrl.pathname}${o.paymentUrl.search}`, `${o.paymentUrl.pathname}${o.paymentUrl.search}&return_to=%2Fbilling`]) {
      const res = await t.request({ method: 'GET', url, headers: browser });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(index);
    }
  });

  it('ignores the page’s own return_to beside the link', async () => {
    const o = await order();
    const res = await t.request({ method: 'GET', url: `${o.api}&return_to=https%3A%2F%2Fevil.com` });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('evil');
  });

  it.each([
    ['a malformed order number', (o: { bare: string; query: string }) => `${o.bare.replace(/\d+$/, '123')}${o.query}`],
    ['an order number of another kind', (o: { bare: string; query: string }) => `${o.bare.replace('/R', '/X')}${o.query}`],
    ['a NUL in the order number', (o: { bare: string; query: string }) => `${o.bare.slice(0, -1)}%00${o.query}`],
    ['a NUL in the signature', (o: { bare: string; query: string }) => `${o.bare}${o.query.replace(/signature=[0-9a-f]/, 'signature=%00')}`],
    ['a NUL in the payer', (o: { bare: string; query: string }) => `${o.bare}${o.query.replace('payer=', 'payer=%00')}`],
    ['an oversized signature', (o: { bare: string; query: string }) => `${o.bare}${o.query.replace('signature=', `signature=${'a'.repeat(200)}`)}`],
  ])('answers 400 to %s, on GET and POST, paying nothing', async (_what, urlOf) => {
    const o = await order();
    const url = urlOf(o);
    const got = await t.request({ method: 'GET', url });
    expect(got.statusCode, url).toBe(400);
    expect(got.json()).toMatchObject({ code: 400, data: null });
    const posted = await t.request({ method: 'POST', url, headers: json, payload: { status: 'success' } });
    expect(posted.statusCode, url).toBe(400);
    expect(await statusOf(o.id)).toBe('pending');
  });

  it.each([
    ['an unknown status', JSON.stringify({ status: 'paid' }), json, 400],
    ['a field beside status', JSON.stringify({ status: 'success', amount: 0.01 }), json, 400],
    ['no status', JSON.stringify({}), json, 400],
    ['a NUL in the status', '{"status":"success\\u0000"}', json, 400],
    ['malformed JSON', '{"status":', json, 400],
    ['no body', undefined, {}, 400],
    ['the old HTML form', 'status=success', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
  ])('answers %s with a clear 4xx in the studio envelope, paying nothing', async (_what, payload, headers, status) => {
    const o = await order();
    for (const url of [o.api, o.bare]) {
      const res = await t.request({ method: 'POST', url, headers: url === o.bare ? { ...headers, ...owner.auth } : headers, payload });
      expect(res.statusCode, `${url} ${res.body}`).toBe(status);
      expect(res.json()).toMatchObject({ code: status, data: null });
    }
    expect(await statusOf(o.id)).toBe('pending');
  });
});

describe.each(DB_TIERS)('with only a real payment provider on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    // The WeChat base URL is never called: no order is made.
    t = await startTestApp(tier, { env: { ...paymentEnv(paymentKeys(), 'https://api.mch.weixin.qq.com'), PAYMENT_PROVIDERS: 'alipay' } });
  });
  afterAll(() => t?.close());

  it('has no checkout API: 404 in the studio envelope, with or without a session', async () => {
    const user = await registerUser(t);
    const url = `/api/v1/payments/sandbox/R${'1'.repeat(20)}`;
    for (const headers of [{}, user.auth]) {
      const got = await t.request({ method: 'GET', url, headers });
      expect(got.statusCode).toBe(404);
      expect(got.json()).toMatchObject({ code: 404, data: null });
      expect((await t.request({ method: 'POST', url, headers: { ...json, ...headers }, payload: { status: 'success' } })).statusCode).toBe(404);
    }
  });
});
