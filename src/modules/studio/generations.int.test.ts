import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startStudio, type StudioHarness } from '../../../test/helpers/studio.ts';
import { createMembershipService } from '../commerce/membership.service.ts';
import { createLedger } from '../ledger/ledger.service.ts';
import { createGenerations } from './generations.service.ts';

// What no request finishes: a crash between the hold and the settle leaves a reserved generation whose credits the
// next boot (and the sweep job) returns once its TTL has passed; and the AI rate limit of the studio table.

describe.each(DB_TIERS)('studio holds and limits on $name', (tier) => {
  let s: StudioHarness;

  beforeAll(async () => {
    s = await startStudio(tier, { env: { RATE_LIMIT_AI_NONMEMBER_PER_HOUR: '3' } });
  });
  afterAll(() => s?.close());

  it('returns the credits of a generation a crash left reserved, at the next boot past its TTL', async () => {
    const c = await s.creator(100);
    const clock = fakeClock(new Date());
    const ledger = createLedger({ database: s.t.database, clock });
    const generations = createGenerations({ database: s.t.database, clock, ledger, membership: createMembershipService({ database: s.t.database, clock, ledger }) });
    // The request took its hold and then the process died: nothing will settle or release it.
    const { gen } = await generations.begin({
      userId: c.id, kind: 'writing', toolType: 'wechat_article', input: { title: 'x' }, credits: 10, modelName: 'qwen-plus', ttlMs: 60_000, description: 'crash',
    });
    expect(gen.status).toBe('reserved');
    expect(await s.balance(c)).toBe(90);

    // A boot before the TTL leaves it alone (it may be another node's request in flight)…
    const early = await buildTestApp(s.t.database, { env: { ADMIN_EMAIL: 'studio.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' }, clock });
    await early.app.ready();
    await early.app.close();
    expect(await s.balance(c)).toBe(90);

    // …a boot after it releases the hold.
    clock.advance(61_000);
    const late = await buildTestApp(s.t.database, { env: { ADMIN_EMAIL: 'studio.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' }, clock });
    await late.app.ready();
    await late.app.close();
    expect(await s.balance(c)).toBe(100);
    expect((await generations.get(c.id, gen.id))?.status).toBe('failed');
    // Released once: the sweep job finds nothing more to do.
    expect(await generations.sweep()).toBe(0);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('limits non-members to the hourly AI generations with 429 and Retry-After in the studio envelope', async () => {
    const c = await s.creator(1000);
    const generate = () =>
      s.t.request({ method: 'POST', url: '/api/v1/writing/xiaohongshu_note/generate', headers: { ...c.auth, 'idempotency-key': crypto.randomUUID() }, payload: { title: '周末咖啡馆' } });
    for (let i = 0; i < 3; i++) expect((await generate()).statusCode).toBe(200);
    const limited = await generate();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 429, data: null });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Browsing is another class: not limited by the generations.
    expect((await s.t.request({ method: 'GET', url: '/api/v1/creations', headers: c.auth })).statusCode).toBe(200);
  });

  it('does not limit members', async () => {
    const c = await s.creator(0);
    const ledger = createLedger({ database: s.t.database, clock: { now: () => new Date() } });
    const membership = createMembershipService({ database: s.t.database, clock: { now: () => new Date() }, ledger });
    await s.t.database.transaction((tx) => membership.extend(tx, c.id, 'monthly'));
    for (let i = 0; i < 5; i++) {
      const res = await s.t.request({ method: 'POST', url: '/api/v1/writing/xiaohongshu_note/generate', headers: c.auth, payload: { title: `第${i}篇` } });
      expect(res.json()).toMatchObject({ code: 200, data: { credits_used: 0 } });
    }
  });
});
