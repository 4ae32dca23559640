import fc from 'fast-check';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime, systemClock, type Clock } from '../../platform/time.ts';
import { createAuditLog } from '../admin/audit.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger, type Ledger } from '../ledger/ledger.service.ts';
import { couponClaims, coupons, orders } from './commerce.tables.ts';
import { createCouponService } from './coupons.service.ts';
import { createMembershipService } from './membership.service.ts';
import { createWalletService } from './wallet.service.ts';
import { createUserService } from '../identity/users.service.ts';
import { createOrderService, ORDER_TTL_MS, type OrderService } from './orders.service.ts';
import { createPaymentRouter } from './payments/router.ts';
import { createSandboxProvider, signSandbox } from './payments/sandbox.ts';

// Random sequences of commerce operations through the HTTP API — recharges with and without coupons, sandbox
// callbacks (some repeated, some late), failures, expiries, memberships, operator adjustments, refunds, and gateway
// overshoots that leave a debt — against a small model of the rules. After each sequence the books must balance and
// every wallet, debt, order and claim match the model.

const RUNS = Number(process.env.COMMERCE_PROPERTY_RUNS ?? 15);
const STEPS = Number(process.env.COMMERCE_PROPERTY_STEPS ?? 15);
const SECRET = 'commerce-property-sandbox-secret';
const ENV = { ADMIN_EMAIL: 'prop.ops@example.com', ADMIN_PASSWORD: 'operator pass 1', PAYMENT_SANDBOX_SECRET: SECRET };
const FEN = 10_000n;
const CREDIT = 100_000n;
const PLAN_FEN = { monthly: 990n, quarterly: 2500n, yearly: 9900n } as const;
const json = { 'content-type': 'application/json' };

type CouponSpec = { type: 'discount' | 'deduction' | 'credit_bonus'; bp: number; fen: number; credits: number; minFen: number; maxUsage: number; upcoming: boolean };
/** `mine`: the k-th coupon the user has claimed (if any); otherwise the k-th coupon of the run. */
type CouponPick = { k: number; mine: boolean };
type Op =
  | { t: 'claim'; u: number; c: number }
  | { t: 'recharge'; u: number; fen: number; c: CouponPick | null }
  | { t: 'membership'; u: number; plan: keyof typeof PLAN_FEN; c: CouponPick | null; balance: boolean }
  | { t: 'pay'; pick: number; failed: boolean; again: boolean }
  | { t: 'expire' }
  | { t: 'adjust'; u: number; credits: number }
  | { t: 'refund'; pick: number }
  | { t: 'overshoot'; u: number; fen: number };

const couponSpec: fc.Arbitrary<CouponSpec> = fc.record({
  type: fc.constantFrom('discount', 'deduction', 'credit_bonus'),
  bp: fc.integer({ min: 1, max: 9999 }), // discount: percent × 100
  fen: fc.integer({ min: 1, max: 3000 }), // deduction
  credits: fc.integer({ min: 1, max: 200 }), // credit_bonus
  minFen: fc.constantFrom(0, 1000, 5000),
  maxUsage: fc.integer({ min: 1, max: 4 }),
  upcoming: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});
const u = fc.nat({ max: 2 });
const c = fc.option(fc.record({ k: fc.nat({ max: 3 }), mine: fc.integer({ min: 0, max: 3 }).map((n) => n > 0) }), { freq: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('claim' as const), u, c: fc.nat({ max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('recharge' as const), u, fen: fc.integer({ min: 1, max: 20_000 }), c }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('membership' as const), u, plan: fc.constantFrom('monthly', 'quarterly', 'yearly'), c, balance: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('pay' as const), pick: fc.nat({ max: 3 }), failed: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), again: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('adjust' as const), u, credits: fc.integer({ min: -1500, max: 1500 }).filter((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('refund' as const), pick: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('overshoot' as const), u, fen: fc.integer({ min: 1, max: 3000 }) }) },
);

interface ModelCoupon extends CouponSpec { id: number; code: string; claimed: number; used: number }
interface ModelClaim { status: 'unused' | 'reserved' | 'used'; order?: number }
interface ModelOrder {
  no: string; u: number; kind: 'recharge' | 'membership'; balance: boolean; pay: bigint; credits: bigint; bonus: bigint;
  status: 'pending' | 'paid' | 'failed' | 'expired' | 'refunded'; claim?: string; txns: string[]; paidTxn?: string;
  /** What its payment credited: to the wallet, and to the debt first. */
  credited?: { wallet: bigint; debt: bigint };
}

/** What a coupon does to an order of `listFen`, by the rules as the issue states them; undefined → 40003. */
function effectOf(cp: ModelCoupon, listFen: bigint): { discount: bigint; bonus: bigint } | undefined {
  if (cp.upcoming || listFen < BigInt(cp.minFen)) return undefined;
  if (cp.type === 'discount') {
    const payFen = (listFen * BigInt(10_000 - cp.bp) + 9_999n) / 10_000n; // rounded up to a fen
    return { discount: (listFen - (payFen > 1n ? payFen : 1n)) * FEN, bonus: 0n }; // and never free
  }
  if (cp.type === 'deduction') return { discount: (BigInt(cp.fen) < listFen ? BigInt(cp.fen) : listFen - 1n) * FEN, bonus: 0n };
  return { discount: 0n, bonus: BigInt(cp.credits) * CREDIT };
}

/** What paying the order credits its user (the debt first), and what it takes from the wallet. */
const creditOf = (o: ModelOrder) => (o.kind === 'recharge' ? o.credits + o.bonus : o.bonus);
const debitOf = (o: ModelOrder) => (o.balance ? o.pay : 0n);
const cny = (micros: bigint) => Number(micros) / 1e6;
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** The rules over plain values: what each operation should do to wallets, orders and claims. Claims are keyed `user:coupon`. */
class Rules {
  readonly wallets: bigint[];
  /** What each (prepaid) user owes: every credit pays it first. */
  readonly debts: bigint[];
  readonly claims = new Map<string, ModelClaim>();
  readonly orders: ModelOrder[] = [];

  constructor(userCount: number, readonly coupons: ModelCoupon[]) {
    this.wallets = Array.from({ length: userCount }, () => 0n);
    this.debts = Array.from({ length: userCount }, () => 0n);
  }

  /** A credit of `amount`: the debt first, the rest to the wallet. */
  private collect(u: number, amount: bigint): { wallet: bigint; debt: bigint } {
    const debt = min(this.debts[u]!, amount);
    this.debts[u]! -= debt;
    this.wallets[u]! += amount - debt;
    return { wallet: amount - debt, debt };
  }

  overshoot(u: number, amount: bigint) {
    this.debts[u]! += amount;
  }

  /** Whether a membership paid from the balance goes through: its bonus (debt first) plus the wallet cover the price. */
  canPayFromBalance(u: number, pay: bigint, bonus: bigint): boolean {
    return this.wallets[u]! + bonus - min(this.debts[u]!, bonus) - pay >= 0n;
  }

  claim(u: number, c: number): boolean {
    const cp = this.coupons[c] as ModelCoupon;
    if (cp.upcoming || this.claims.has(`${u}:${c}`) || cp.claimed >= cp.maxUsage) return false;
    this.claims.set(`${u}:${c}`, { status: 'unused' });
    cp.claimed++;
    return true;
  }

  couponFor(u: number, pick: CouponPick | null): number | undefined {
    if (pick === null) return undefined;
    const mine = [...this.claims.keys()].filter((k) => k.startsWith(`${u}:`)).map((k) => Number(k.split(':')[1]));
    return pick.mine && mine.length > 0 ? (mine[pick.k % mine.length] as number) : pick.k % this.coupons.length;
  }

  /** The coupon part of a new order, or undefined when the coupon must be refused. */
  priced(u: number, c: number | undefined, listFen: bigint) {
    if (c === undefined) return { key: undefined, discount: 0n, bonus: 0n };
    const effect = this.claims.get(`${u}:${c}`)?.status === 'unused' ? effectOf(this.coupons[c] as ModelCoupon, listFen) : undefined;
    return effect && { key: `${u}:${c}`, ...effect };
  }

  open(o: Omit<ModelOrder, 'txns' | 'status'>, paidNow: boolean) {
    this.orders.push({ ...o, status: 'pending', txns: [] });
    const i = this.orders.length - 1;
    if (o.claim) Object.assign(this.claims.get(o.claim) as ModelClaim, { status: 'reserved', order: i });
    if (paidNow) this.pay(i, `balance:${o.no}`);
  }

  /**
   * Money arrived for order `i`: a pending, expired or failed order is honoured, its coupon used once. A claim another
   * pending order reserved meanwhile moves to this order (that order fails); a claim another order used is gone: a
   * recharge is then credited what was paid, a membership is not granted (`coupon_used`, for a refund).
   */
  pay(i: number, txn: string): 'paid' | 'coupon_used' | 'none' {
    const o = this.orders[i] as ModelOrder;
    if (o.status === 'paid' || o.status === 'refunded') return 'none';
    const cl = o.claim ? this.claims.get(o.claim) : undefined;
    if (cl?.status === 'used' && cl.order !== i) {
      if (o.kind === 'membership') return 'coupon_used';
      Object.assign(o, { credits: o.pay, bonus: 0n, claim: undefined });
    } else if (cl) {
      if (cl.status === 'reserved' && cl.order !== i && cl.order !== undefined) {
        const other = this.orders[cl.order] as ModelOrder;
        if (other.status === 'pending') other.status = 'failed';
      }
      Object.assign(cl, { status: 'used', order: i });
      (this.coupons[Number(o.claim?.split(':')[1])] as ModelCoupon).used++;
    }
    this.wallets[o.u]! -= debitOf(o);
    Object.assign(o, { status: 'paid', paidTxn: txn, credited: this.collect(o.u, creditOf(o)) });
    return 'paid';
  }

  /** A pending order fails or expires: its coupon goes back. */
  close(i: number, status: 'failed' | 'expired') {
    const o = this.orders[i] as ModelOrder;
    if (o.status !== 'pending') return;
    o.status = status;
    const cl = o.claim ? this.claims.get(o.claim) : undefined;
    if (cl?.status === 'reserved' && cl.order === i) Object.assign(cl, { status: 'unused', order: undefined });
  }

  /** An operator's adjustment: a credit pays the debt first; a debit is refused below zero. */
  adjust(u: number, delta: bigint): boolean {
    if (delta > 0n) {
      this.collect(u, delta);
      return true;
    }
    if (this.wallets[u]! + delta < 0n) return false;
    this.wallets[u]! += delta;
    return true;
  }

  /**
   * The exact reverse of the payment — what it credited comes back off the wallet and the debt — except that credits
   * it returns (a balance payment) pay the debt first. Refused when the wallet would go below zero.
   */
  refund(i: number): boolean {
    const o = this.orders[i] as ModelOrder;
    if (o.status !== 'paid') return false;
    const credited = o.credited as { wallet: bigint; debt: bigint };
    const owed = this.debts[o.u]! + credited.debt;
    const debtPaid = min(owed, debitOf(o));
    const walletDelta = debitOf(o) - debtPaid - credited.wallet;
    if (this.wallets[o.u]! + walletDelta < 0n) return false;
    this.wallets[o.u]! += walletDelta;
    this.debts[o.u] = owed - debtPaid;
    o.status = 'refunded';
    return true;
  }
}

describe.each(DB_TIERS)('commerce property on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;
  let ledger: Ledger;
  let expiryJob: OrderService;
  let run = 0;
  let overshoots = 0;

  beforeAll(async () => {
    t = await startTestApp(tier, { env: ENV });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ENV.ADMIN_EMAIL, password: ENV.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
    const { database } = t;
    ledger = createLedger({ database, clock: systemClock });
    // The expiry job as it runs half an hour later: every order pending now is past its deadline.
    const later: Clock = { now: () => new Date(Date.now() + ORDER_TTL_MS + 60_000) };
    expiryJob = createOrderService({
      database, clock: later, ledger, coupons: createCouponService({ database, clock: later }),
      membership: createMembershipService({ database, clock: later, ledger }),
      wallet: createWalletService({ database, ledger, audit: createAuditLog(), billingMode: createUserService({ database, clock: later }).billingMode }),
      payments: createPaymentRouter([createSandboxProvider({ secret: SECRET, publicBaseUrl: t.config.publicBaseUrl })]),
      audit: createAuditLog(), publicBaseUrl: t.config.publicBaseUrl, log: { info() {}, warn() {}, error() {} } as never,
    });
  });
  afterAll(() => t?.close());

  const post = (url: string, headers: Record<string, string>, payload: unknown) =>
    t.request({ method: 'POST', url, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const callback = (order_id: string, transaction_id: string, failed: boolean) => {
    const raw = JSON.stringify({ order_id, payment_method: 'wechat', transaction_id, status: failed ? 'failed' : 'success' });
    return t.request({ method: 'POST', url: '/api/v1/credit/payment/callback', headers: { ...json, 'x-signature': signSandbox(SECRET, raw) }, payload: raw });
  };

  async function createCoupons(specs: CouponSpec[]): Promise<ModelCoupon[]> {
    const now = Date.now();
    const out: ModelCoupon[] = [];
    for (const [k, s] of specs.entries()) {
      const code = `P${run}X${k}`;
      const value = s.type === 'discount' ? (s.bp / 100).toFixed(2) : s.type === 'deduction' ? (s.fen / 100).toFixed(2) : s.credits;
      const from = s.upcoming ? now + 86_400_000 : now - 3_600_000;
      const res = await post('/api/v1/operation/coupons', admin, {
        code, name: `property ${k}`, type: s.type, value, min_amount: (s.minFen / 100).toFixed(2), max_usage: s.maxUsage,
        valid_from: formatStudioTime(new Date(from)), valid_until: formatStudioTime(new Date(from + 2 * 86_400_000)),
      });
      expect(res.statusCode, res.body).toBe(200);
      out.push({ ...s, id: res.json().data.id, code, claimed: 0, used: 0 });
    }
    return out;
  }

  it('keeps the books balanced and every wallet, order and claim as the rules say', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.array(couponSpec, { minLength: 1, maxLength: 4 }),
        // A start most sequences share: some credits (so balance payments and refunds can be refused or not) and claims.
        fc.array(fc.record({ t: fc.constant('adjust' as const), u, credits: fc.integer({ min: 1, max: 1500 }) }), { maxLength: 3 }),
        fc.array(fc.record({ t: fc.constant('claim' as const), u, c: fc.nat({ max: 3 }) }), { maxLength: 6 }),
        fc.array(op, { minLength: 1, maxLength: STEPS, size: 'max' }),
        async (userCount, specs, funding, claimsFirst, steps) => {
          const ops: Op[] = [...funding, ...claimsFirst, ...steps];
          run++;
          const users = await Promise.all(Array.from({ length: userCount }, () => registerUser(t)));
          const cps = await createCoupons(specs);
          const m = new Rules(users.length, cps);

          for (const o of ops) {
            const ui = 'u' in o ? o.u % users.length : 0;
            const user = users[ui] as (typeof users)[number];
            const recent = (pick: number) => m.orders.length - 1 - (pick % m.orders.length); // most likely still pending
            if (o.t === 'claim') {
              const c = o.c % cps.length;
              const res = await post(`/api/v1/operation/coupons/${cps[c]?.id}/claim`, user.auth, {});
              expect(res.json().code, res.body).toBe(m.claim(ui, c) ? 200 : 40003);
            } else if (o.t === 'recharge' || o.t === 'membership') {
              const list = o.t === 'recharge' ? BigInt(o.fen) : PLAN_FEN[o.plan];
              const c = m.couponFor(ui, o.c);
              const coupon_code = c === undefined ? undefined : cps[c]?.code;
              const res = o.t === 'recharge'
                ? await post('/api/v1/credit/recharge', user.auth, { amount: (o.fen / 100).toFixed(2), payment_method: 'wechat', coupon_code })
                : await post('/api/v1/credit/membership', user.auth, { membership_type: o.plan, payment_method: o.balance ? 'balance' : 'alipay', coupon_code });
              const priced = m.priced(ui, c, list);
              if (!priced) {
                expect(res.json().code, res.body).toBe(40003);
                continue;
              }
              const balance = o.t === 'membership' && o.balance;
              const pay = list * FEN - priced.discount;
              if (balance && !m.canPayFromBalance(ui, pay, priced.bonus)) {
                expect(res.json().code, res.body).toBe(40001);
                continue;
              }
              const credits = o.t === 'recharge' ? list * FEN : 0n;
              expect(res.json().data, res.body).toMatchObject({ amount: cny(pay), discount: cny(priced.discount) });
              if (o.t === 'recharge') expect(res.json().data.credits).toBe(Number(credits + priced.bonus) / 1e5);
              m.open({ no: res.json().data.order_id, u: ui, kind: o.t, balance, pay, credits, bonus: priced.bonus, claim: priced.key }, balance);
            } else if (o.t === 'pay') {
              if (m.orders.length === 0) continue;
              const i = recent(o.pick);
              const order = m.orders[i] as ModelOrder;
              const txn = o.again && order.txns.length > 0 ? (order.txns.at(-1) as string) : `T${order.txns.length}-${order.no}`;
              order.txns.push(txn);
              const res = await callback(order.no, txn, o.failed);
              if (order.balance) {
                expect(res.json().code, res.body).toBe(40004); // not a sandbox order
              } else if (order.status === 'paid' || order.status === 'refunded') {
                if (!o.failed) expect(res.json().code, res.body).toBe(txn === order.paidTxn ? 200 : 40005);
              } else if (o.failed) {
                expect(res.statusCode, res.body).toBe(200);
                m.close(i, 'failed');
              } else if (m.pay(i, txn) === 'coupon_used') {
                expect(res.json(), res.body).toMatchObject({ code: 40005, data: null });
              } else {
                expect(res.json(), res.body).toMatchObject({ code: 200, data: { order_id: order.no, status: 'paid' } });
              }
            } else if (o.t === 'expire') {
              await expiryJob.expireDue();
              for (const i of m.orders.keys()) m.close(i, 'expired');
            } else if (o.t === 'adjust') {
              const res = await post(`/api/v1/admin/users/${user.id}/credits`, admin, { credits: o.credits, reason: 'property test' });
              expect(res.json().code, res.body).toBe(m.adjust(ui, BigInt(o.credits) * CREDIT) ? 200 : 40001);
            } else if (o.t === 'overshoot') {
              // What a gateway charge the wallet could not cover leaves: the user's receivable below zero.
              const owed = BigInt(o.fen) * FEN;
              await ledger.transfer({
                idempotencyKey: `gateway:prop-${run}-${++overshoots}`, kind: 'api_usage',
                postings: [{ account: ACCOUNTS.userReceivable(user.id), amount: -owed }, { account: ACCOUNTS.platformRevenue, amount: owed }],
              });
              m.overshoot(ui, owed);
            } else if (m.orders.length > 0) {
              const i = recent(o.pick);
              const res = await post(`/api/v1/admin/orders/${m.orders[i]?.no}/refund`, admin, { reason: 'property test' });
              expect(res.json().code, res.body).toBe(m.refund(i) ? 200 : 409);
            }
          }

          // The books: balanced transfers, balances equal to postings, Σ balances 0, no never-negative account below 0.
          expect(await ledger.check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
          const totals = await t.database.db.execute(sql`SELECT COALESCE(SUM(balance), 0)::text AS total,
            COUNT(*) FILTER (WHERE never_negative AND balance < 0)::int AS negative FROM ledger_accounts`);
          expect((totals as unknown as { rows: unknown[] }).rows[0]).toEqual({ total: '0', negative: 0 });

          // Every wallet, order and claim as the model says.
          for (const [i, usr] of users.entries()) {
            expect(await ledger.balance(ACCOUNTS.userWallet(usr.id)), `wallet of user ${i}`).toBe(m.wallets[i]);
            expect(await ledger.balance(ACCOUNTS.userReceivable(usr.id)), `debt of user ${i}`).toBe(-(m.debts[i] as bigint));
            const shown = await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: usr.auth });
            expect(shown.json().data).toMatchObject({ credit_balance: Number(m.wallets[i]) / 1e5, owed_amount: cny(m.debts[i] as bigint) });
          }
          const ids = users.map((x) => x.id);
          const rows = await t.database.db.select().from(orders).where(inArray(orders.userId, ids));
          expect(new Map(rows.map((r) => [r.orderNo, r.status]))).toEqual(new Map(m.orders.map((x) => [x.no, x.status])));
          const idOf = new Map(rows.map((r) => [r.id, r.orderNo]));
          const claimRows = await t.database.db.select().from(couponClaims).where(inArray(couponClaims.userId, ids));
          const got = new Map(claimRows.map((r) => [`${ids.indexOf(r.userId)}:${cps.findIndex((cp) => cp.id === r.couponId)}`, { status: r.status, order: r.orderId === null ? undefined : idOf.get(r.orderId) }]));
          expect(got).toEqual(new Map([...m.claims].map(([k, cl]) => [k, { status: cl.status, order: cl.order === undefined ? undefined : m.orders[cl.order]?.no }])));
          const couponRows = await t.database.db.select().from(coupons).where(inArray(coupons.id, cps.map((cp) => cp.id)));
          expect(couponRows.map((r) => [r.claimedCount, r.usedCount])).toEqual(
            couponRows.map((r) => cps.find((cp) => cp.id === r.id)).map((cp) => [cp?.claimed, cp?.used]),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
