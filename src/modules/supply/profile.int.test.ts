import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { freshPhone, lastCode } from '../../../test/helpers/withdrawals.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { smsCodes, suppliers } from './supply.tables.ts';

// The supplier profile: a display name, and a phone that is stored only once the code sent to it comes back.
// Codes are six digits, hashed, five minutes, one use, one send a minute; the sandbox outbox is operators' only.

const PROFILE = '/api/v1/supply/profile';
const SEND = '/api/v1/supply/profile/sms-code';
const OUTBOX = '/api/v1/admin/sms-outbox';

describe.each(DB_TIERS)('supplier profile and phone codes on $name', (tier) => {
  let h: SupplyHarness;
  const clock = fakeClock();

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
  });
  afterAll(async () => {
    // None of these routes is a contract operation.
    expect([...(h?.undeclared ?? [])]).toEqual([]);
    h?.assertNoLeaks();
    await h?.close();
  });

  it('shows a new supplier without a phone', async () => {
    const who = await h.supplier();
    const res = await h.call(who, 'GET', PROFILE);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      request_id: expect.any(String),
      data: { user_id: who.id, display_name: null, phone: null, phone_verified: false, phone_verified_at: null, withdraw_locked_until: null },
    });
  });

  it('refuses every profile route without a token (401 in the supply envelope)', async () => {
    for (const [method, url, payload] of [['GET', PROFILE], ['PUT', PROFILE, { display_name: 'x' }], ['POST', SEND, { phone: freshPhone() }]] as const) {
      const res = await h.call(undefined, method, url, { payload });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(res.body.error.code).toMatch(/^SUP_[A-Z]+_4011$/);
    }
  });

  it('verifies a phone with the code sent to it and shows it masked', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    const sent = await h.call(who, 'POST', SEND, { payload: { phone: `+86${phone}` } });
    expect(sent.status, sent.raw).toBe(200);
    expect(sent.body.data).toEqual({
      phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`,
      expires_at: new Date(clock.now().getTime() + 5 * 60_000).toISOString(),
      resend_at: new Date(clock.now().getTime() + 60_000).toISOString(),
    });
    const code = await lastCode(h, phone);
    expect(code).toMatch(/^\d{6}$/);

    const saved = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code, display_name: '  Acme Compute ', password: who.password } });
    expect(saved.status, saved.raw).toBe(200);
    expect(saved.body.data).toMatchObject({
      display_name: 'Acme Compute', phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`, phone_verified: true, phone_verified_at: clock.now().toISOString(),
    });
    expect(saved.raw).not.toContain(phone);
    expect((await h.call(who, 'GET', PROFILE)).body.data.phone_verified).toBe(true);

    const [stored] = await h.t.database.db.select().from(suppliers).where(eq(suppliers.userId, who.id));
    expect(stored?.phone).toBe(phone);
    const [event] = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.tenantUserId, who.id), eq(auditEvents.action, 'supplier.phone_verified')));
    expect(event).toMatchObject({ actorUserId: who.id, requestId: saved.body.request_id, after: { phone: `${phone.slice(0, 3)}****${phone.slice(-4)}` } });

    // One use: the same code cannot verify the number again.
    const again = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code } });
    expect(again.status).toBe(400);
  });

  it('stores only a keyed hash of the code', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    expect((await h.call(who, 'POST', SEND, { payload: { phone } })).status).toBe(200);
    const code = await lastCode(h, phone);
    const [row] = await h.t.database.db.select().from(smsCodes).where(eq(smsCodes.userId, who.id));
    expect(row).toMatchObject({ purpose: 'phone', phone, consumedAt: null, createdAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 5 * 60_000) });
    expect(row?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.codeHash).not.toContain(code);
  });

  it('sends at most one code a minute per supplier (429 with Retry-After), then another', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    expect((await h.call(who, 'POST', SEND, { payload: { phone } })).status).toBe(200);
    clock.advance(30_000);
    const tooSoon = await h.call(who, 'POST', SEND, { payload: { phone } });
    expect(tooSoon.status, tooSoon.raw).toBe(429);
    expect(tooSoon.headers['retry-after']).toBe('30');
    expect(tooSoon.body.error).toMatchObject({ message: expect.stringContaining('30 s'), details: { retry_after_seconds: 30 } });
    clock.advance(30_000);
    expect((await h.call(who, 'POST', SEND, { payload: { phone } })).status).toBe(200);
  });

  it('refuses a phone that is not a mainland mobile number', async () => {
    const who = await h.supplier();
    for (const phone of ['12812345678', '1381234567', '+1 2025550123', 'abc']) {
      const res = await h.call(who, 'POST', SEND, { payload: { phone } });
      expect(res.status, phone).toBe(400);
      expect(res.body.error).toMatchObject({ message: expect.stringContaining('mainland'), details: { field: 'body.phone' } });
    }
    const put = await h.call(who, 'PUT', PROFILE, { payload: { phone: '12345', sms_code: '123456' } });
    expect(put.body.error.details.field).toBe('body.phone');
  });

  it('needs the code for a new phone', async () => {
    const who = await h.supplier();
    const res = await h.call(who, 'PUT', PROFILE, { payload: { phone: freshPhone() } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('body.sms_code');
  });

  it('gives a code one guess: after a wrong one even the right code is refused', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    await h.call(who, 'POST', SEND, { payload: { phone } });
    const code = await lastCode(h, phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const refused = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: wrong, password: who.password } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ message: expect.stringContaining('wrong or has expired'), details: { field: 'body.sms_code' } });
    expect((await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code, password: who.password } })).status).toBe(400);
    expect((await h.call(who, 'GET', PROFILE)).body.data.phone).toBeNull();
  });

  it('refuses a code after five minutes', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    await h.call(who, 'POST', SEND, { payload: { phone } });
    const code = await lastCode(h, phone);
    clock.advance(5 * 60_000);
    expect((await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code, password: who.password } })).status).toBe(400);
  });

  it('refuses a code sent to another number', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    await h.call(who, 'POST', SEND, { payload: { phone } });
    const res = await h.call(who, 'PUT', PROFILE, { payload: { phone: freshPhone(), sms_code: await lastCode(h, phone), password: who.password } });
    expect(res.status).toBe(400);
  });

  it('honours only the newest code', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    await h.call(who, 'POST', SEND, { payload: { phone } });
    const first = await lastCode(h, phone);
    clock.advance(60_000);
    await h.call(who, 'POST', SEND, { payload: { phone } });
    const second = await lastCode(h, phone);
    if (first !== second) expect((await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: first, password: who.password } })).status).toBe(400);
    clock.advance(60_000);
    await h.call(who, 'POST', SEND, { payload: { phone } });
    expect((await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: await lastCode(h, phone), password: who.password } })).status).toBe(200);
  });

  it('changes and clears the display name without touching the phone', async () => {
    const who = await h.supplier();
    const named = await h.call(who, 'PUT', PROFILE, { payload: { display_name: '算力小铺' } });
    expect(named.status, named.raw).toBe(200);
    expect(named.body.data.display_name).toBe('算力小铺');
    const cleared = await h.call(who, 'PUT', PROFILE, { payload: { display_name: null } });
    expect(cleared.body.data.display_name).toBeNull();
    expect((await h.call(who, 'PUT', PROFILE, { payload: { display_name: '' } })).status).toBe(400);
    expect((await h.call(who, 'PUT', PROFILE, { payload: { nickname: 'x' } })).status).toBe(400);
  });

  describe('the sandbox outbox', () => {
    it('lists what was sent, newest first, for operators only', async () => {
      const who = await h.supplier();
      const phone = freshPhone();
      await h.call(who, 'POST', SEND, { payload: { phone } });
      const res = await h.t.request({ method: 'GET', url: `${OUTBOX}?phone=%2B86${phone}`, headers: h.operator });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        code: 200, message: expect.any(String),
        data: { total: 1, page: 1, page_size: 20, items: [{ phone, template: 'phone_verification', content: expect.stringMatching(/验证码 \d{6}/), created_at: clock.now().toISOString() }] },
      });
      const all = (await h.t.request({ method: 'GET', url: OUTBOX, headers: h.operator })).json().data;
      expect(all.total).toBeGreaterThan(1);
      expect(all.items[0].id).toBeGreaterThan(all.items[1].id);
    });

    it('is refused to non-operators (403) and without a token (401), in the studio envelope', async () => {
      const user = await registerUser(h.t);
      const forbidden = await h.t.request({ method: 'GET', url: OUTBOX, headers: user.auth });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toMatchObject({ code: 403, data: null });
      const anonymous = await h.t.request({ method: 'GET', url: OUTBOX });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ code: 401, data: null });
    });
  });
});
