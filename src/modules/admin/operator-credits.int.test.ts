import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { ledgerCheck, SANDBOX_ENV, SANDBOX_SECRET, walletSnapshot } from '../../../test/helpers/payments.ts';
import { auditEvents } from './audit.tables.ts';

// POST /api/v1/admin/users/{id}/credits: an operator adds or takes whole credits with a mandatory reason; every
// adjustment is audited with the balance before and after, and an Idempotency-Key makes a retry a no-op.

type User = Awaited<ReturnType<typeof registerUser>>;
const json = { 'content-type': 'application/json' };
const OPERATOR = { ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };

describe.each(DB_TIERS)('operator credit adjustments on $name', (tier) => {
  let t: TestApp;
  let admin: { id: number; auth: Record<string, string> };

  const adjust = (userId: number | string, payload: unknown, headers: Record<string, string> = admin.auth) =>
    t.request({ method: 'POST', url: `/api/v1/admin/users/${userId}/credits`, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const auditRows = async () => Number((await t.database.db.select({ n: count() }).from(auditEvents))[0]?.n);
  const balanceOf = async (user: User) => (await walletSnapshot(t, user.auth)).standing.credit_balance;
  /** Sends `send` and proves neither the user's wallet nor the audit log changed. */
  async function expectNoChange(user: User, send: () => Promise<{ statusCode: number; json(): unknown }>, status: number, code = status) {
    const [before, audits] = [await walletSnapshot(t, user.auth), await auditRows()];
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ code, message: expect.any(String), data: null });
    expect(await walletSnapshot(t, user.auth)).toEqual(before);
    expect(await auditRows()).toBe(audits);
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ...SANDBOX_ENV, ...OPERATOR } });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
    admin = { id: login.json().data.user.id, auth: bearer(login.json().data.access_token) };
  });
  afterAll(() => t?.close());

  it('adds credits with a reason, shows them as an adjust movement, and audits the balance before and after', async () => {
    const user = await registerUser(t);
    const res = await adjust(user.id, { credits: 50, reason: 'Compensation for outage #42' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 200, message: '积分已调整', data: { user_id: user.id, credit_balance: 50, replayed: false } });
    const { standing, transactions } = await walletSnapshot(t, user.auth);
    expect(standing.credit_balance).toBe(50);
    expect(transactions).toEqual([
      expect.objectContaining({ type: 'adjust', amount: 50, balance_after: 50, description: '运营调整：Compensation for outage #42' }),
    ]);
    const audit = await t.database.db.select().from(auditEvents).where(eq(auditEvents.objectId, String(user.id)));
    expect(audit).toEqual([
      expect.objectContaining({
        actorUserId: admin.id,
        tenantUserId: user.id,
        action: 'credits.adjust',
        objectType: 'wallet',
        before: { balance: '0' },
        after: { balance: '5000000' },
        reason: 'Compensation for outage #42',
        requestId: res.headers['x-request-id'],
      }),
    ]);
  });

  it('takes credits away down to exactly zero', async () => {
    const user = await registerUser(t);
    await adjust(user.id, { credits: 30, reason: 'goodwill' });
    const res = await adjust(user.id, { credits: -30, reason: 'given by mistake' });
    expect(res.json().data).toEqual({ user_id: user.id, credit_balance: 0, replayed: false });
    expect((await walletSnapshot(t, user.auth)).transactions.map((x) => (x as { amount: number }).amount)).toEqual([-30, 30]);
  });

  it('refuses to take more than the balance with 40001, and changes nothing', async () => {
    const user = await registerUser(t);
    await adjust(user.id, { credits: 10, reason: 'goodwill' });
    await expectNoChange(user, () => adjust(user.id, { credits: -11, reason: 'clawback' }), 400, 40001);
    expect(await balanceOf(user)).toBe(10);
  });

  it('makes a retry with the same Idempotency-Key a no-op that answers the first result', async () => {
    const user = await registerUser(t);
    const key = { 'idempotency-key': 'adjust-2026-03-01-0001' };
    const first = await adjust(user.id, { credits: 25, reason: 'promo' }, { ...admin.auth, ...key });
    expect(first.json().data).toEqual({ user_id: user.id, credit_balance: 25, replayed: false });
    const audits = await auditRows();
    for (let i = 0; i < 3; i++) {
      const again = await adjust(user.id, { credits: 25, reason: 'promo' }, { ...admin.auth, ...key });
      expect(again.statusCode).toBe(200);
      expect(again.json().data).toEqual({ user_id: user.id, credit_balance: 25, replayed: true });
    }
    expect(await balanceOf(user)).toBe(25);
    expect(await auditRows()).toBe(audits);
  });

  it('moves the credits once when the same Idempotency-Key arrives many times at once', async () => {
    const user = await registerUser(t);
    const headers = { ...admin.auth, 'idempotency-key': 'adjust-concurrent-0001' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => adjust(user.id, { credits: 7, reason: 'promo' }, headers)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(answers.filter((r) => r.json().data.replayed === false)).toHaveLength(1);
    expect(await balanceOf(user)).toBe(7);
  });

  it('refuses an Idempotency-Key reused with another amount with 409', async () => {
    const user = await registerUser(t);
    const headers = { ...admin.auth, 'idempotency-key': 'adjust-reused-0001' };
    await adjust(user.id, { credits: 5, reason: 'promo' }, headers);
    await expectNoChange(user, () => adjust(user.id, { credits: 500, reason: 'promo' }, headers), 409);
  });

  it('lets exactly as many parallel deductions through as the balance covers', async () => {
    const user = await registerUser(t);
    await adjust(user.id, { credits: 100, reason: 'float' });
    const answers = await Promise.all(Array.from({ length: 25 }, () => adjust(user.id, { credits: -10, reason: 'usage correction' })));
    const codes = answers.map((r) => r.json().code);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    expect(codes.filter((c) => c === 40001)).toHaveLength(15);
    expect(await balanceOf(user)).toBe(0);
    const audit = await t.database.db.select().from(auditEvents).where(eq(auditEvents.objectId, String(user.id)));
    const steps = audit
      .filter((a) => a.reason === 'usage correction')
      .map((a) => [Number((a.before as { balance: string }).balance), Number((a.after as { balance: string }).balance)])
      .sort((x, y) => (y[0] as number) - (x[0] as number));
    expect(steps).toEqual(Array.from({ length: 10 }, (_, i) => [(10 - i) * 1_000_000, (9 - i) * 1_000_000]));
  });

  describe('refuses, and changes nothing', () => {
    let user: User;
    beforeAll(async () => {
      user = await registerUser(t);
    });

    it.each([
      ['a missing reason', { credits: 10 }],
      ['a one-character reason', { credits: 10, reason: 'x' }],
      ['a blank reason', { credits: 10, reason: '     ' }],
      ['a reason over 500 characters', { credits: 10, reason: 'r'.repeat(501) }],
      ['zero credits', { credits: 0, reason: 'nothing' }],
      ['fractional credits', { credits: 1.5, reason: 'half' }],
      ['credits as a string', { credits: '10', reason: 'text' }],
      ['an unknown field', { credits: 10, reason: 'promo', user_id: 1 }],
    ])('%s (400)', (_what, payload) => expectNoChange(user, () => adjust(user.id, payload), 400));

    it('an Idempotency-Key shorter than 8 characters (400)', () =>
      expectNoChange(user, () => adjust(user.id, { credits: 10, reason: 'promo' }, { ...admin.auth, 'idempotency-key': 'short' }), 400));

    it('a caller who is not an operator (403)', async () => {
      await expectNoChange(user, () => adjust(user.id, { credits: 10, reason: 'self-service' }, user.auth), 403);
    });

    it('a caller without a token (401)', () => expectNoChange(user, () => adjust(user.id, { credits: 10, reason: 'promo' }, {}), 401));

    it('an unknown user (404)', async () => {
      const audits = await auditRows();
      const res = await adjust(999_999, { credits: 10, reason: 'promo' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 404, message: 'User not found', data: null });
      expect(await auditRows()).toBe(audits);
    });

    it.each(['abc', '0', '-1', '1.5', '1e3', '0x10', '007', '99999999999999999'])('a user id of %j (400)', async (id) => {
      const res = await adjust(id, { credits: 10, reason: 'promo' });
      expect(res.statusCode).toBe(400);
    });
  });

  it('leaves the books balanced', async () => {
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('never shows the operator password, the sandbox secret or the master key in a response or a log line', () => {
    const seen = [...t.logs, ...t.responses].join('\n');
    for (const secret of [OPERATOR.ADMIN_PASSWORD, SANDBOX_SECRET, t.config.masterKey as string]) expect(seen).not.toContain(secret);
  });
});
