import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { freshPhone, lastCode, verifiedSupplier, withdraw, withdrawCode, yuan } from '../../../test/helpers/withdrawals.ts';
import { auditEvents } from '../admin/audit.tables.ts';

// The phone is the withdrawals' second factor, so a session alone cannot move it: binding the first phone needs the
// account password, replacing one needs a code sent to it (besides the new phone's own code). Wrong ones count toward
// the lock of five; a replaced phone is audited (masked) and pauses withdrawals for 24 hours.

const PROFILE = '/api/v1/supply/profile';
const SEND = '/api/v1/supply/profile/sms-code';
const CURRENT = '/api/v1/supply/profile/current-phone/sms-code';
const OUTBOX = '/api/v1/admin/sms-outbox';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

describe.each(DB_TIERS)('replacing the supplier phone on $name', (tier) => {
  let h: SupplyHarness;
  const clock = fakeClock();

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
  });
  afterAll(async () => {
    h?.assertOnlyDeclaredStatuses();
    h?.assertNoLeaks();
    await h?.close();
  });

  /** The code of the newest message to `phone`, which must use `template`. */
  async function codeFrom(phone: string, template: string): Promise<string> {
    const res = await h.t.request({ method: 'GET', url: `${OUTBOX}?phone=${phone}&page_size=1`, headers: h.operator });
    expect(res.json().data.items[0]?.template).toBe(template);
    return lastCode(h, phone);
  }

  it('binds the first phone only with the account password, counting a wrong one', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    await h.call(who, 'POST', SEND, { payload: { phone } });
    const code = await lastCode(h, phone);

    const none = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code } });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: 'SUP_ACC_4001', message: expect.stringContaining('password'), details: { field: 'body.password' } });
    const wrong = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code, password: 'not the password' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'SUP_ACC_4001', details: { field: 'body.password', attempts_left: 4 } });

    // The refusal did not spend the new phone's code.
    const bound = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: code, password: who.password } });
    expect(bound.status, bound.raw).toBe(200);
    expect(bound.body.data).toMatchObject({ phone: masked(phone), phone_verified: true, withdraw_paused_until: null });
    const [event] = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.tenantUserId, who.id), eq(auditEvents.action, 'supplier.phone_verified')));
    expect(event).toMatchObject({ before: { phone: null }, after: { phone: masked(phone) }, reason: 'approved with the account password' });
  });

  it('refuses to replace a bound phone without the code sent to it (the password is no substitute), or with a wrong one', async () => {
    const who = await verifiedSupplier(h);
    clock.advance(MINUTE); // new-phone codes go out once a minute
    const next = freshPhone();
    await h.call(who, 'POST', SEND, { payload: { phone: next } });
    const code = await lastCode(h, next);

    for (const extra of [{}, { password: who.password }]) {
      const res = await h.call(who, 'PUT', PROFILE, { payload: { phone: next, sms_code: code, ...extra } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ message: expect.stringContaining(masked(who.phone)), details: { field: 'body.current_phone_code' } });
    }

    const sent = await h.call(who, 'POST', CURRENT);
    expect(sent.status, sent.raw).toBe(200);
    expect(sent.body.data.phone).toBe(masked(who.phone));
    const current = await codeFrom(who.phone, 'phone_change_verification');
    const wrong = await h.call(who, 'PUT', PROFILE, { payload: { phone: next, sms_code: code, current_phone_code: current === '000000' ? '111111' : '000000' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ details: { field: 'body.current_phone_code', attempts_left: 4 } });
    // One guess per code: after a wrong one, even the right one is spent.
    expect((await h.call(who, 'PUT', PROFILE, { payload: { phone: next, sms_code: code, current_phone_code: current } })).status).toBe(400);
    expect((await h.call(who, 'GET', PROFILE)).body.data.phone).toBe(masked(who.phone));
  });

  it('replaces the phone with both codes, audits it masked, and pauses withdrawals for 24 hours (SUP_SET_4002)', async () => {
    let who = await verifiedSupplier(h);
    clock.advance(MINUTE);
    await h.grantAvailable(who.id, yuan(100));
    const old = who.phone;
    const next = freshPhone();
    await h.call(who, 'POST', CURRENT);
    const current = await codeFrom(old, 'phone_change_verification');
    await h.call(who, 'POST', SEND, { payload: { phone: next } });
    const code = await codeFrom(next, 'phone_verification');

    const changedAt = clock.now();
    const until = new Date(changedAt.getTime() + 24 * HOUR).toISOString();
    const saved = await h.call(who, 'PUT', PROFILE, { payload: { phone: next, sms_code: code, current_phone_code: current } });
    expect(saved.status, saved.raw).toBe(200);
    expect(saved.body.data).toMatchObject({ phone: masked(next), phone_verified_at: changedAt.toISOString(), withdraw_paused_until: until });

    const events = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.tenantUserId, who.id), eq(auditEvents.action, 'supplier.phone_changed')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorUserId: who.id, objectType: 'supplier', objectId: String(who.id), before: { phone: masked(old) }, after: { phone: masked(next) },
      reason: expect.stringContaining('24 hours'), requestId: saved.body.request_id,
    });
    expect(JSON.stringify(events[0])).not.toContain(old);
    expect(JSON.stringify(events[0])).not.toContain(next);
    who = { ...who, phone: next };

    const paused = await withdraw(h, who, { withdraw_amount: 10, sms_code: '123456' });
    expect(paused.status).toBe(400);
    expect(paused.body.error).toMatchObject({
      code: 'SUP_SET_4002',
      message: `Withdrawals are paused for 24 hours after the withdrawal phone changes: it changed at ${changedAt.toISOString()}, so withdrawing is possible again at ${until}`,
      details: { limit: 'phone_changed', until, retry_after_seconds: 24 * 3600 },
    });
    const noCode = await h.call(who, 'POST', '/api/v1/supply/settlements/sms-code');
    expect(noCode.body.error).toMatchObject({ code: 'SUP_SET_4002', details: { until } });

    clock.advance(24 * HOUR - 1000);
    who = { ...(await h.relogin(who)), phone: next };
    expect((await withdraw(h, who, { withdraw_amount: 10, sms_code: '123456' })).body.error.code).toBe('SUP_SET_4002');
    clock.advance(1000);
    expect((await h.call(who, 'GET', PROFILE)).body.data.withdraw_paused_until).toBeNull();
    const ok = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who) });
    expect(ok.status, ok.raw).toBe(201);
  });

  it('locks phone changes after five wrong second factors in a row, for 15 minutes', async () => {
    const who = await h.supplier();
    const phone = freshPhone();
    for (let left = 4; left >= 1; left--) {
      const res = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: '123456', password: 'wrong password' } });
      expect(res.body.error.details).toMatchObject({ field: 'body.password', attempts_left: left });
    }
    const lockedUntil = new Date(clock.now().getTime() + 15 * MINUTE).toISOString();
    const fifth = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: '123456', password: 'wrong password' } });
    expect(fifth.body.error).toMatchObject({ code: 'SUP_SET_4003', message: expect.stringContaining('locked'), details: { locked_until: lockedUntil } });
    const right = await h.call(who, 'PUT', PROFILE, { payload: { phone, sms_code: '123456', password: who.password } });
    expect(right.body.error).toMatchObject({ code: 'SUP_SET_4003', details: { locked_until: lockedUntil } });
    expect((await h.call(who, 'GET', PROFILE)).body.data.withdraw_locked_until).toBe(lockedUntil);

    clock.advance(15 * MINUTE);
    const fresh = await h.relogin(who);
    await h.call(fresh, 'POST', SEND, { payload: { phone } });
    const bound = await h.call(fresh, 'PUT', PROFILE, { payload: { phone, sms_code: await lastCode(h, phone), password: who.password } });
    expect(bound.status, bound.raw).toBe(200);
  });

  it('sends the current-phone code only when a phone is bound, once a minute, apart from new-phone codes', async () => {
    const unbound = await h.supplier();
    const refused = await h.call(unbound, 'POST', CURRENT);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('password');

    const who = await verifiedSupplier(h);
    expect((await h.call(who, 'POST', CURRENT)).status).toBe(200);
    expect((await h.call(who, 'POST', CURRENT)).status).toBe(429);
    clock.advance(MINUTE);
    expect((await h.call(who, 'POST', CURRENT)).status).toBe(200);
    // The new phone's codes are counted apart: one went out with the current phone's just now.
    expect((await h.call(who, 'POST', SEND, { payload: { phone: freshPhone() } })).status).toBe(200);
    expect((await h.call(undefined, 'POST', CURRENT)).status).toBe(401);
  });
});
