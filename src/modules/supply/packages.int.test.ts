import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { supplyPackages } from './supply.tables.ts';

// Supply packages through the HTTP API: draft validation, publish ↔ pause, unlist, expiry after valid_days, clone,
// batch prices with per-item failures, tenancy. Every contract response is validated against the YAML.

const DAY = 24 * 3600_000;

describe.each(DB_TIERS)('supply packages on $name', (tier) => {
  let h: SupplyHarness;
  let alice: Actor;
  let bob: Actor;
  let account: number;
  const clock = fakeClock(new Date());
  const body = (extra: Record<string, unknown> = {}) => ({
    supply_account_id: account, model: 'gpt-4o-mini', total_quota: 1_000_000, price_per_1m_input: 1.5, price_per_1m_output: 3.25, valid_days: 30, ...extra,
  });
  const draft = (who: Actor, extra: Record<string, unknown> = {}) => h.call(who, 'POST', '/api/v1/supply/packages/draft', { payload: body(extra) });
  const act = (who: Actor, id: number, action: string) => h.call(who, 'POST', `/api/v1/supply/packages/${id}/${action}`);
  const expireJob = () => h.t.app.tollgateJobs.find((j) => j.name === 'supply.packages-expire')?.handler({});

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
    alice = await h.supplier();
    bob = await h.supplier();
    account = await h.activeAccount(alice);
  });
  afterAll(async () => {
    h?.assertNoLeaks();
    h?.assertOnlyDeclaredStatuses();
    await h?.close();
  });

  it('saves a draft with the defaults and the prices as given', async () => {
    const res = await draft(alice);
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      supply_account_id: account, model: 'gpt-4o-mini', total_quota: 1_000_000, available_quota: 1_000_000,
      price_per_1m_input: 1.5, price_per_1m_output: 3.25, valid_days: 30, status: 'draft', max_concurrent: 10, rate_limit_rpm: 60,
    });
  });

  it.each([
    [{ valid_days: 0 }, 'valid_days'], [{ valid_days: 366 }, 'valid_days'], [{ max_concurrent: 1001 }, 'max_concurrent'],
    [{ rate_limit_rpm: 0 }, 'rate_limit_rpm'], [{ price_per_1m_input: -1 }, 'price_per_1m_input'], [{ total_quota: 0 }, 'total_quota'],
    [{ total_quota: 10.5 }, 'total_quota'], [{ price_per_1m_output: 0.00001 }, 'price_per_1m_output'], [{ model: '' }, 'model'],
  ])('refuses %o with 400 naming %s', async (extra, field) => {
    const before = await h.t.database.db.select().from(supplyPackages);
    const res = await draft(alice, extra);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('SUP_PKG_4001');
    expect(JSON.stringify(res.body.error.details)).toContain(field);
    expect(await h.t.database.db.select().from(supplyPackages)).toHaveLength(before.length);
  });

  it("refuses another supplier's account, an inactive account and a model the account does not serve (422)", async () => {
    const others = await draft(bob);
    expect(others.status).toBe(422);
    expect(others.body.error.code).toBe('SUP_PKG_4221');
    const pendingAccount = (await h.call(alice, 'POST', '/api/v1/supply/accounts', {
      payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential(), risk_ack: true }, headers: { 'idempotency-key': `pk-${Date.now()}-pending` },
    })).body.data.account_id;
    expect((await draft(alice, { supply_account_id: pendingAccount })).status).toBe(422);
    const model = await draft(alice, { model: 'claude-3-opus' });
    expect(model.status).toBe(422);
    expect(model.body.error.details.field).toBe('body.model');
  });

  it('publishes, pauses, resumes and unlists; wrong transitions answer 409 with the contract codes', async () => {
    const id = (await draft(alice)).body.data.package_id;
    expect((await act(alice, id, 'pause')).body.error.code).toBe('SUP_PKG_4092');
    const published = await act(alice, id, 'publish');
    expect(published.status).toBe(200);
    expect(published.body.data).toMatchObject({ package_id: id, status: 'active' });
    expect((await act(alice, id, 'publish')).body.error.code).toBe('SUP_PKG_4092');
    expect((await act(alice, id, 'pause')).body.data.status).toBe('paused');
    expect((await act(alice, id, 'publish')).body.data.status).toBe('active');
    expect((await act(alice, id, 'unlist')).body.data.status).toBe('expired');
    for (const action of ['publish', 'pause', 'unlist']) {
      const res = await act(alice, id, action);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('SUP_PKG_4093');
    }
    const detail = await h.call(alice, 'GET', `/api/v1/supply/packages/${id}`);
    expect(detail.body.data.expires_at).toBe(new Date(clock.now().getTime() + 30 * DAY).toISOString());
  });

  it('clones a package in any state into a new draft (201; the contract declares no 409 here)', async () => {
    const id = (await draft(alice, { total_quota: 7000, price_per_1m_input: 1.5 })).body.data.package_id;
    const fromDraft = await h.call(alice, 'POST', `/api/v1/supply/packages/${id}/clone`);
    expect(fromDraft.status).toBe(201);
    expect(fromDraft.body.data).toMatchObject({ status: 'draft', total_quota: 7000, available_quota: 7000, price_per_1m_input: 1.5, cloned_from: id });
    await act(alice, id, 'publish');
    await h.t.database.db.update(supplyPackages).set({ availableQuota: 10 }).where(eq(supplyPackages.id, id));
    expect((await h.call(alice, 'POST', `/api/v1/supply/packages/${id}/clone`)).body.data).toMatchObject({ status: 'draft', available_quota: 7000 });
    await act(alice, id, 'pause');
    expect((await h.call(alice, 'POST', `/api/v1/supply/packages/${id}/clone`)).status).toBe(201);
    await h.t.database.db.update(supplyPackages).set({ status: 'sold_out', availableQuota: 0 }).where(eq(supplyPackages.id, id));
    const fromSoldOut = await h.call(alice, 'POST', `/api/v1/supply/packages/${id}/clone`);
    expect(fromSoldOut.status).toBe(201);
    expect(fromSoldOut.body.data).toMatchObject({ status: 'draft', available_quota: 7000, cloned_from: id });
    // The source is untouched.
    expect((await h.call(alice, 'GET', `/api/v1/supply/packages/${id}`)).body.data.status).toBe('sold_out');
  });

  it('clones an expired package into a new draft with its whole quota', async () => {
    const id = (await draft(alice, { total_quota: 5000 })).body.data.package_id;
    await act(alice, id, 'publish');
    await h.t.database.db.update(supplyPackages).set({ availableQuota: 120 }).where(eq(supplyPackages.id, id));
    await act(alice, id, 'unlist');
    const clone = await h.call(alice, 'POST', `/api/v1/supply/packages/${id}/clone`);
    expect(clone.status).toBe(201);
    expect(clone.body.data).toMatchObject({ status: 'draft', total_quota: 5000, available_quota: 5000, cloned_from: id, published_at: null });
    expect(clone.body.data.package_id).not.toBe(id);
    expect((await h.call(bob, 'POST', `/api/v1/supply/packages/${id}/clone`)).status).toBe(404);
  });

  it('changes prices in a batch with per-item failures', async () => {
    const a = (await draft(alice)).body.data.package_id;
    const b = (await draft(alice)).body.data.package_id;
    await act(alice, b, 'publish');
    const expired = (await draft(alice)).body.data.package_id;
    await act(alice, expired, 'publish');
    await act(alice, expired, 'unlist');
    const bobs = (await draft(bob, { supply_account_id: await h.activeAccount(bob) })).body.data.package_id;
    const res = await h.call(alice, 'POST', '/api/v1/supply/packages/batch-price', {
      payload: {
        items: [
          { package_id: a, price_per_1m_input: 1.6, price_per_1m_output: 4.1234 },
          { package_id: b, price_per_1m_input: 0, price_per_1m_output: 0.5 },
          { package_id: expired, price_per_1m_input: 1, price_per_1m_output: 1 },
          { package_id: bobs, price_per_1m_input: 1, price_per_1m_output: 1 },
          { package_id: a, price_per_1m_input: -1, price_per_1m_output: 1 },
          { package_id: b, price_per_1m_input: '3', price_per_1m_output: 1.00001 },
          { package_id: 987654, price_per_1m_input: 1, price_per_1m_output: 1 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ total: 7, success_count: 2, failed_count: 5 });
    expect(res.body.data.failures).toEqual([
      { package_id: expired, error_code: 'SUP_PKG_4093', message: expect.any(String) },
      { package_id: bobs, error_code: 'SUP_PKG_4041', message: expect.any(String) },
      { package_id: a, error_code: 'SUP_PKG_4004', message: expect.any(String) },
      { package_id: b, error_code: 'SUP_PKG_4004', message: expect.any(String) },
      { package_id: 987654, error_code: 'SUP_PKG_4041', message: expect.any(String) },
    ]);
    expect((await h.call(alice, 'GET', `/api/v1/supply/packages/${a}`)).body.data).toMatchObject({ price_per_1m_input: 1.6, price_per_1m_output: 4.1234 });
    expect((await h.call(bob, 'GET', `/api/v1/supply/packages/${bobs}`)).body.data.price_per_1m_input).toBe(1.5);
    const tooMany = await h.call(alice, 'POST', '/api/v1/supply/packages/batch-price', {
      payload: { items: Array.from({ length: 201 }, () => ({ package_id: a, price_per_1m_input: 1, price_per_1m_output: 1 })) },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('SUP_PKG_4001');
  });

  it("answers another supplier's package with 404 and lists only your own", async () => {
    const id = (await draft(alice)).body.data.package_id;
    for (const action of ['publish', 'pause', 'unlist', 'clone']) {
      const res = await act(bob, id, action);
      expect(res.status, action).toBe(404);
      expect(res.body.error.code).toBe('SUP_PKG_4041');
    }
    expect((await h.call(bob, 'GET', `/api/v1/supply/packages/${id}`)).status).toBe(404);
    const list = await h.call(alice, 'GET', '/api/v1/supply/packages?status=draft&page_size=200');
    expect(list.body.data.every((p: { status: string }) => p.status === 'draft')).toBe(true);
    expect(list.body.data.map((p: { package_id: number }) => p.package_id)).toContain(id);
    expect((await h.call(bob, 'GET', '/api/v1/supply/packages?page_size=200')).body.data.map((p: { package_id: number }) => p.package_id)).not.toContain(id);
    expect((await h.call(undefined, 'POST', `/api/v1/supply/packages/${id}/publish`)).status).toBe(401);
  });

  it('does not publish a package whose account is no longer active', async () => {
    const acc = await h.activeAccount(alice);
    const id = (await draft(alice, { supply_account_id: acc })).body.data.package_id;
    await h.call(alice, 'POST', `/api/v1/supply/accounts/${acc}/suspend`);
    const res = await act(alice, id, 'publish');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SUP_PKG_4092');
  });

  // Last: it moves the clock past the access tokens' lifetime.
  it('expires a published package valid_days after its first publication (job), not before', async () => {
    const id = (await draft(alice, { valid_days: 2 })).body.data.package_id;
    await act(alice, id, 'publish');
    await act(alice, id, 'pause');
    await act(alice, id, 'publish');
    const statusOf = async () => (await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.id, id)))[0]?.status;
    clock.advance(DAY);
    await expireJob();
    expect(await statusOf()).toBe('active');
    clock.advance(DAY + 1000);
    expect(await expireJob()).toMatchObject({ expired: expect.any(Number) });
    expect(await statusOf()).toBe('expired');
    await expireJob();
    const events = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'supply_package'), eq(auditEvents.objectId, String(id))));
    expect(events.filter((e) => e.action === 'package.expire')).toHaveLength(1);
  });
});
