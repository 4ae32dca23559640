import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { systemClock } from '../../platform/time.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger } from '../ledger/ledger.service.ts';
import { supplyEarnings, supplyPackages } from './supply.tables.ts';

// Published packages as the gateway's candidates: an OpenAI SDK request is served by the supplier's account at the
// package's price; the supplier earns price × (1 − fee) as pending earnings; the package's quota goes down with each
// charge and flips to sold_out exactly once; caps and account state decide whether it is tried at all.

const MODEL = 'gpt-4o-mini';
// The fake answers "hi" with 1 prompt token and 12 completion tokens.
const TOKENS_PER_REQUEST = 13;

describe.each(DB_TIERS)('packages routed by the gateway on $name', (tier) => {
  let h: SupplyHarness;
  let supplier: Actor;
  const ledger = () => createLedger({ database: h.t.database, clock: systemClock });

  async function publish(extra: Record<string, unknown> = {}, who = supplier): Promise<{ id: number; account: number }> {
    const account = await h.activeAccount(who);
    const draft = await h.call(who, 'POST', '/api/v1/supply/packages/draft', {
      payload: { supply_account_id: account, model: MODEL, total_quota: 1_000_000, price_per_1m_input: 2, price_per_1m_output: 4, valid_days: 30, ...extra },
    });
    expect(draft.status, draft.raw).toBe(201);
    const id = draft.body.data.package_id as number;
    expect((await h.call(who, 'POST', `/api/v1/supply/packages/${id}/publish`)).status).toBe(200);
    return { id, account };
  }
  const pkg = async (id: number) => (await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.id, id)))[0];
  const chat = (key: string, content = 'hi') =>
    h.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, payload: { model: MODEL, max_tokens: 12, messages: [{ role: 'user', content }] } });
  const unlistAll = async () => {
    for (const p of await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.status, 'active'))) {
      await h.call({ id: p.supplierUserId, auth: p.supplierUserId === supplier.id ? supplier.auth : {} }, 'POST', `/api/v1/supply/packages/${p.id}/unlist`);
    }
  };

  beforeAll(async () => {
    h = await startSupply(tier);
    supplier = await h.supplier();
    // Packages here sell at ¥2 / ¥4 per 1M tokens: the buyers' price for the model must allow that (its list price is
    // ¥1.08 / ¥4.32).
    const priced = await h.t.request({ method: 'PUT', url: `/api/v1/admin/model-prices/${MODEL}`, headers: h.operator, payload: { provider: 'openai', input_price: 2, output_price: 4 } });
    expect(priced.statusCode, priced.body).toBe(200);
  });
  afterAll(async () => {
    h?.assertNoLeaks();
    h?.assertOnlyDeclaredStatuses();
    await h?.close();
  });

  it('serves an OpenAI SDK request through the package, at its price, paying the supplier', async () => {
    const { id } = await publish();
    const buyer = await h.buyer(100);
    const walletBefore = await h.walletMicros(buyer.id);
    const models = await buyer.openai.models.list();
    expect(models.data.map((m) => m.id)).toContain(MODEL);
    const before = h.provider.requests.length;
    const completion = await buyer.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 12 });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    expect(completion.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 12 });
    // The upstream call carried the supplier's credential (decrypted only for it).
    const upstream = h.provider.requests.slice(before).find((r) => r.path.endsWith('/chat/completions'));
    expect(upstream?.headers.authorization).toMatch(/^Bearer [!#$%&*+=?^|~]{40}$/);

    // ceil((1 × 2 000 000 + 12 × 4 000 000) / 1e6) = 50 µ¥; the supplier earns floor(50 × 0.9) = 45, the platform 5.
    const row = (await h.usageRows()).find((r) => r.userId === buyer.id);
    expect(row).toMatchObject({ upstreamKind: 'package', upstreamId: id, supplierUserId: supplier.id, costMicros: 50n, supplierEarningMicros: 45n, platform: 'api' });
    expect(walletBefore - (await h.walletMicros(buyer.id))).toBe(50n);
    expect(await ledger().balance(ACCOUNTS.supplierPending(supplier.id))).toBe(45n);
    expect((await pkg(id))?.availableQuota).toBe(1_000_000 - TOKENS_PER_REQUEST);
    const [earning] = await h.t.database.db.select().from(supplyEarnings).where(eq(supplyEarnings.packageId, id));
    expect(earning).toMatchObject({ earningsType: 'usage', status: 'pending', amountMicros: 45n, requests: 1, tokens: TOKENS_PER_REQUEST });

    // A streamed request rolls up on the same day's record.
    const stream = await buyer.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 12, stream: true });
    for await (const _chunk of stream) void _chunk;
    const [rolled] = await h.t.database.db.select().from(supplyEarnings).where(eq(supplyEarnings.packageId, id));
    expect(rolled).toMatchObject({ amountMicros: 90n, requests: 2, tokens: 2 * TOKENS_PER_REQUEST });
    expect((await pkg(id))?.availableQuota).toBe(1_000_000 - 2 * TOKENS_PER_REQUEST);
    expect(await ledger().check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
    await unlistAll();
  });

  it('serves no more than the quota under 50 parallel requests and flips to sold_out exactly once', async () => {
    const { id } = await publish({ total_quota: 10 * TOKENS_PER_REQUEST });
    const buyer = await h.buyer(100);
    const walletBefore = await h.walletMicros(buyer.id);
    let served = 0;
    for (let round = 0; round < 6 && (await pkg(id))?.status === 'active'; round += 1) {
      const results = await Promise.all(Array.from({ length: 50 }, () => chat(buyer.key)));
      served += results.filter((r) => r.statusCode === 200).length;
      for (const r of results) expect([200, 429, 503]).toContain(r.statusCode);
    }
    const after = await pkg(id);
    expect(after).toMatchObject({ status: 'sold_out', availableQuota: 0 });
    // Each reservation holds the request's worst case, so no request overshot here: exactly ten were sold.
    expect(served).toBe(10);
    const rows = (await h.usageRows()).filter((r) => r.upstreamId === id && r.upstreamKind === 'package' && r.status === 'success');
    expect(rows).toHaveLength(10);
    expect(rows.reduce((s, r) => s + r.tokensIn + r.tokensOut, 0)).toBe(10 * TOKENS_PER_REQUEST);
    expect(walletBefore - (await h.walletMicros(buyer.id))).toBe(rows.reduce((s, r) => s + r.costMicros, 0n));
    const flips = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, String(id)), eq(auditEvents.action, 'sold_out')));
    expect(flips).toHaveLength(1);
    // Sold out: no longer a candidate.
    const more = await chat(buyer.key);
    expect(more.statusCode).toBe(503);
    expect(await ledger().check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('lets the last request overshoot by at most itself, charged for what it used', async () => {
    // 20 tokens left; the request reserves its worst case (> 20), is admitted for the rest, and uses 13 → then 7
    // are left, and the next request (13) takes the package past zero: sold out, charged in full.
    const { id } = await publish({ total_quota: 20 });
    const buyer = await h.buyer(100);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    expect((await pkg(id))?.availableQuota).toBe(7);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    expect(await pkg(id)).toMatchObject({ status: 'sold_out', availableQuota: 0 });
    const rows = (await h.usageRows()).filter((r) => r.upstreamId === id && r.upstreamKind === 'package');
    expect(rows.map((r) => r.tokensIn + r.tokensOut)).toEqual([13, 13]);
    expect(rows.every((r) => r.costMicros === 50n)).toBe(true);
    expect((await chat(buyer.key)).statusCode).toBe(503);
  });

  it('stops routing to a package whose account is suspended, and resumes when it is active again', async () => {
    const { id, account } = await publish();
    const buyer = await h.buyer(100);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    await h.call(supplier, 'POST', `/api/v1/supply/accounts/${account}/suspend`);
    const refused = await chat(buyer.key);
    expect(refused.statusCode).toBe(503);
    await h.call(supplier, 'POST', `/api/v1/supply/accounts/${account}/activate`);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    // Paused packages are not candidates either.
    await h.call(supplier, 'POST', `/api/v1/supply/packages/${id}/pause`);
    expect((await chat(buyer.key)).statusCode).toBe(503);
    await unlistAll();
  });

  it("honours the package's RPM cap", async () => {
    await publish({ rate_limit_rpm: 2 });
    const buyer = await h.buyer(100);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    const third = await chat(buyer.key);
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBeDefined();
    await unlistAll();
  });

  it('takes an account whose key is refused out of rotation for all its packages (one circuit per account)', async () => {
    const { account } = await publish();
    const draft = await h.call(supplier, 'POST', '/api/v1/supply/packages/draft', {
      payload: { supply_account_id: account, model: 'gpt-4o', total_quota: 1_000_000, price_per_1m_input: 2, price_per_1m_output: 4, valid_days: 30 },
    });
    await h.call(supplier, 'POST', `/api/v1/supply/packages/${draft.body.data.package_id}/publish`);
    const buyer = await h.buyer(100);
    // The upstream refuses the account's key (a 5xx would count against that model only): five open its circuit.
    for (let i = 0; i < 5; i += 1) expect((await chat(buyer.key, 'hi [[status:401]]')).statusCode).toBe(503);
    const before = h.provider.requests.length;
    const other = await h.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
      payload: { model: 'gpt-4o', max_tokens: 12, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(other.statusCode).toBe(503);
    expect(h.provider.requests.length).toBe(before);
    await unlistAll();
  });

  /** An API key of `who`'s own, funded: a supplier buying through the gateway. */
  async function keyOf(who: Actor): Promise<string> {
    await h.fund(who.id, 100);
    const res = await h.t.request({ method: 'POST', url: '/api/v1/keys', headers: who.auth, payload: { name: 'own key' } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data.key;
  }
  const unlist = (who: Actor, id: number) => h.call(who, 'POST', `/api/v1/supply/packages/${id}/unlist`);

  it("never serves a supplier's own request from its own package: another candidate does, and with none 503", async () => {
    const own = await publish();
    const ownKey = await keyOf(supplier);
    const before = h.provider.requests.length;
    const alone = await chat(ownKey);
    expect(alone.statusCode).toBe(503);
    expect(alone.json().error.message).toContain(MODEL);
    expect(h.provider.requests.length).toBe(before);

    const other = await h.supplier();
    const theirs = await publish({}, other);
    for (let i = 0; i < 6; i += 1) expect((await chat(ownKey)).statusCode).toBe(200);
    const mine = (await h.usageRows()).filter((r) => r.userId === supplier.id && r.status === 'success');
    expect(mine).toHaveLength(6);
    expect(mine.every((r) => r.upstreamId === theirs.id && r.supplierUserId === other.id)).toBe(true);
    // Anyone else's request may still go to the supplier's package.
    const buyer = await h.buyer(100);
    await unlist(other, theirs.id);
    expect((await chat(buyer.key)).statusCode).toBe(200);
    expect((await h.usageRows()).filter((r) => r.userId === buyer.id).at(-1)).toMatchObject({ upstreamId: own.id, supplierUserId: supplier.id });
    await unlistAll();
  });

  it("skips a package dearer than the buyer's price for the model, so it can neither fail nor overcharge others", async () => {
    // The buyers' price is ¥2 / ¥4 (beforeAll); the ceiling is ¥3 / ¥6, so this package may be published…
    const pricey = await publish({ price_per_1m_input: 3, price_per_1m_output: 6 });
    const buyer = await h.buyer(0);
    await h.fund(buyer.id, 1);
    const models = (await h.t.request({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${buyer.key}` } })).json().data;
    expect(models.find((m: { id: string }) => m.id === MODEL)).toMatchObject({
      pricing: { currency: 'CNY', input_per_1m_tokens: 2, output_per_1m_tokens: 4 },
    });
    // …but it is never tried at a price above the one shown.
    const before = h.provider.requests.length;
    expect((await chat(buyer.key)).statusCode).toBe(503);
    expect(h.provider.requests.length).toBe(before);

    // With a package at the shown price beside it, a buyer whose ¥0.1 covers the hold at ¥4 (20 000 output tokens:
    // ¥0.08) but not at ¥6 (¥0.12) is served: the dear package does not raise the hold.
    const other = await h.supplier();
    const fair = await publish({}, other);
    const big = await h.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
      payload: { model: MODEL, max_tokens: 20_000, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(big.statusCode, big.body).toBe(200);
    expect((await h.usageRows()).filter((r) => r.userId === buyer.id && r.status === 'success')).toEqual([
      expect.objectContaining({ upstreamId: fair.id, costMicros: 50n }),
    ]);

    // Once the operators raise the shown price, the package serves at its own.
    await unlist(other, fair.id);
    const raise = (input: number, output: number) =>
      h.t.request({ method: 'PUT', url: `/api/v1/admin/model-prices/${MODEL}`, headers: h.operator, payload: { provider: 'openai', input_price: input, output_price: output } });
    expect((await raise(3, 6)).statusCode).toBe(200);
    const rich = await h.buyer(100);
    expect((await chat(rich.key)).statusCode).toBe(200);
    // 1 × ¥3 + 12 × ¥6 per 1M tokens = 75 µ¥.
    expect((await h.usageRows()).filter((r) => r.userId === rich.id).at(-1)).toMatchObject({ upstreamId: pricey.id, costMicros: 75n });
    expect((await raise(2, 4)).statusCode).toBe(200);
    await unlistAll();
  });
});
