import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../../test/helpers/database.ts';
import { createRecharge, SANDBOX_ENV, walletSnapshot } from '../../../../test/helpers/payments.ts';
import { ORDER_TTL_MS } from '../orders.service.ts';

// GET/POST /pay/sandbox/{order}: the sandbox checkout marks an order paid without money, so it serves only the
// order's owner — through the payment_url signed for them (what the console opens), or their session. No credential
// → 401, another user's order → 404, an altered or expired link → 401; a refused POST pays nothing.

type User = Awaited<ReturnType<typeof registerUser>>;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(DB_TIERS)('sandbox checkout page on $name', (tier) => {
  let t: TestApp;
  let owner: User;
  let other: User;
  const clock = fakeClock(new Date());

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock });
    owner = await registerUser(t);
    other = await registerUser(t);
  });
  afterAll(() => t?.close());

  /** A new pending order of the owner: its page path, and the signed link's path and query. */
  async function order() {
    const o = await createRecharge(t, owner.auth, 3);
    const link = new URL(o.payment_url as string);
    return { id: o.order_id, path: link.pathname, link: `${link.pathname}${link.search}`, query: link.searchParams };
  }
  const pay = (url: string, headers: Record<string, string> = {}) => t.request({ method: 'POST', url, headers: { ...form, ...headers }, payload: 'status=success' });
  const statusOf = async (id: string) => (await walletSnapshot(t, owner.auth)).recharges[id];

  it('serves the owner through the signed payment_url, and pays once through it, keeping the link on the way back', async () => {
    const o = await order();
    const page = await t.request({ method: 'GET', url: o.link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(o.id);
    const paid = await pay(o.link);
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(o.link);
    expect(await statusOf(o.id)).toBe('paid');
    expect((await t.request({ method: 'GET', url: o.link })).body).toContain('状态：paid');
  });

  it('serves the owner’s session too (Authorization: Bearer)', async () => {
    const o = await order();
    expect((await t.request({ method: 'GET', url: o.path, headers: owner.auth })).statusCode).toBe(200);
    expect((await pay(o.path, owner.auth)).statusCode).toBe(303);
    expect(await statusOf(o.id)).toBe('paid');
  });

  it('refuses a caller with no link and no session (401), paying nothing', async () => {
    const o = await order();
    expect((await t.request({ method: 'GET', url: o.path })).statusCode).toBe(401);
    expect((await pay(o.path)).statusCode).toBe(401);
    expect(await statusOf(o.id)).toBe('pending');
  });

  it('answers 404 to another user’s session, paying nothing', async () => {
    const o = await order();
    expect((await t.request({ method: 'GET', url: o.path, headers: other.auth })).statusCode).toBe(404);
    expect((await pay(o.path, other.auth)).statusCode).toBe(404);
    expect(await statusOf(o.id)).toBe('pending');
  });

  it('refuses a link altered to another payer or another order, or signed with garbage (401)', async () => {
    const o = await order();
    const mine = await createRecharge(t, other.auth, 1);
    const otherLink = new URL(mine.payment_url as string);
    const tampered = [
      `${o.path}?${new URLSearchParams({ ...Object.fromEntries(o.query), payer: String(other.id) })}`,
      `${o.path}${otherLink.search}`,
      `${o.path}?${new URLSearchParams({ ...Object.fromEntries(o.query), signature: 'f'.repeat(64) })}`,
      `${o.path}?${new URLSearchParams({ ...Object.fromEntries(o.query), expires: String(Number(o.query.get('expires')) + 3600) })}`,
    ];
    for (const url of tampered) {
      expect((await t.request({ method: 'GET', url })).statusCode, url).toBe(401);
      expect((await pay(url)).statusCode, url).toBe(401);
    }
    expect(await statusOf(o.id)).toBe('pending');
  });

  it('refuses a link once its order’s payment window has passed (401)', async () => {
    const o = await order();
    clock.advance(ORDER_TTL_MS + 60_000);
    expect((await t.request({ method: 'GET', url: o.link })).statusCode).toBe(401);
    expect((await pay(o.link)).statusCode).toBe(401);
    expect(await statusOf(o.id)).toBe('pending');
  });
});
