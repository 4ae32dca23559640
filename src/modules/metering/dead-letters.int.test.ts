import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { file } from './dead-letters.repo.ts';

// The operator's dead-letter view: list the gateway charges billing gave up on, charge one again, write one off —
// operators only — and the open count on /metrics for alerting.

const URL = '/api/v1/admin/billing/dead-letters';

describe.each(DB_TIERS)('billing dead letters on $name', (tier) => {
  let g: GatewayHarness;
  let buyer: Buyer;

  beforeAll(async () => {
    g = await startGateway(tier);
    buyer = await g.buyer(10); // ¥1
  });
  afterAll(() => g?.close());

  /** A charge of `cost` µ¥ for the buyer, filed as billing files one. */
  async function letter(cost: bigint): Promise<{ id: number; requestId: string }> {
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    const payer = { userId: buyer.id, billingMode: 'prepaid' as const, creditLimitMicros: null, apiKeyId: buyer.keyId };
    const usage = { requestId, userId: buyer.id, apiKeyId: buyer.keyId, model: 'gpt-4o-mini', status: 'success' as const, platform: 'api' as const, costMicros: cost, tokensOut: 12 };
    await file(g.t.database.db, { payer, charge: { requestId, cost, description: 'gpt-4o-mini: 0 in + 12 out tokens', usage } }, 'connection terminated', 6, new Date());
    const list = await g.t.request({ method: 'GET', url: `${URL}?status=open&page_size=100`, headers: g.operator });
    const found = (list.json().data.items as { id: number; request_id: string }[]).find((i) => i.request_id === requestId);
    return { id: found?.id as number, requestId };
  }

  const metric = async () => {
    const res = await g.t.request({ method: 'GET', url: '/metrics' });
    return Number(/^tollgate_billing_dead_letters_open (\S+)$/m.exec(res.body)?.[1]);
  };

  it('lists open letters for operators, with the charge in CNY and the last error', async () => {
    const { requestId } = await letter(12_000n);
    const res = await g.t.request({ method: 'GET', url: `${URL}?status=open`, headers: g.operator });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: 200, data: { total: expect.any(Number), page: 1 } });
    expect(res.json().data.items.find((i: { request_id: string }) => i.request_id === requestId)).toMatchObject({
      user_id: buyer.id, key_id: buyer.keyId, cost: 0.012, model: 'gpt-4o-mini', status: 'open', error: 'connection terminated', attempts: 6, handled_by: null,
    });
  });

  it('charges a letter again on retry (once), and counts it on /metrics until then', async () => {
    const { id, requestId } = await letter(12_000n);
    const open = await metric();
    expect(open).toBeGreaterThanOrEqual(1);
    const before = await g.walletMicros(buyer.id);
    const res = await g.t.request({ method: 'POST', url: `${URL}/${id}/retry`, headers: g.operator });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ id, status: 'charged', handled_at: expect.any(String) });
    expect(before - (await g.walletMicros(buyer.id))).toBe(12_000n);
    expect((await g.usageRows()).filter((r) => r.requestId === requestId)).toHaveLength(1);
    expect(await metric()).toBe(open - 1);
    const again = await g.t.request({ method: 'POST', url: `${URL}/${id}/retry`, headers: g.operator });
    expect(again.statusCode).toBe(409);
    expect(before - (await g.walletMicros(buyer.id))).toBe(12_000n);
  });

  it('writes a letter off with a note, charging nothing', async () => {
    const { id } = await letter(24_000n);
    const before = await g.walletMicros(buyer.id);
    const res = await g.t.request({ method: 'POST', url: `${URL}/${id}/resolve`, headers: g.operator, payload: { note: 'upstream refunded us' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'resolved', note: 'upstream refunded us' });
    expect(await g.walletMicros(buyer.id)).toBe(before);
    const listed = await g.t.request({ method: 'GET', url: `${URL}?status=resolved`, headers: g.operator });
    expect(listed.json().data.items.map((i: { id: number }) => i.id)).toContain(id);
  });

  it('answers 404 for an unknown letter, 409 for one already handled, 400 for a resolve without a note', async () => {
    expect((await g.t.request({ method: 'POST', url: `${URL}/999999/retry`, headers: g.operator })).statusCode).toBe(404);
    const { id } = await letter(1_000n);
    expect((await g.t.request({ method: 'POST', url: `${URL}/${id}/resolve`, headers: g.operator, payload: {} })).statusCode).toBe(400);
    expect((await g.t.request({ method: 'POST', url: `${URL}/${id}/resolve`, headers: g.operator, payload: { note: 'waived' } })).statusCode).toBe(200);
    expect((await g.t.request({ method: 'POST', url: `${URL}/${id}/resolve`, headers: g.operator, payload: { note: 'waived' } })).statusCode).toBe(409);
  });

  it('is for operators only: 401 without a session, 403 for a user', async () => {
    expect((await g.t.request({ method: 'GET', url: URL })).statusCode).toBe(401);
    expect((await g.t.request({ method: 'GET', url: URL, headers: buyer.auth })).statusCode).toBe(403);
    expect((await g.t.request({ method: 'POST', url: `${URL}/1/retry`, headers: buyer.auth })).statusCode).toBe(403);
  });
});
