import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import type { Database } from '../../platform/db.ts';
import { systemClock } from '../../platform/time.ts';
import { ACCOUNTS, heldTwin, type AccountSpec } from './accounts.ts';
import { ledgerJobs } from './ledger.jobs.ts';
import { createLedger, InsufficientFunds, type Ledger } from './ledger.service.ts';

const RUNS = Number(process.env.LEDGER_PROPERTY_RUNS ?? 40);

type Op =
  | { t: 'deposit'; user: number; amount: bigint; key: number }
  | { t: 'spend'; user: number; amount: bigint; key: number }
  | { t: 'hold'; user: number; amount: bigint }
  | { t: 'settle'; pick: number; fraction: number }
  | { t: 'release'; pick: number }
  | { t: 'refund'; user: number; amount: bigint; key: number };

const amount = fc.bigInt({ min: 1n, max: 5_000_000n });
const user = fc.integer({ min: 0, max: 2 });
const key = fc.integer({ min: 0, max: 6 }); // small range: keys repeat, exercising idempotency
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('deposit' as const), user, amount, key }),
  fc.record({ t: fc.constant('spend' as const), user, amount, key }),
  fc.record({ t: fc.constant('hold' as const), user, amount }),
  fc.record({ t: fc.constant('settle' as const), pick: fc.nat(), fraction: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ t: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('refund' as const), user, amount, key }),
);

describe.each(DB_TIERS)('ledger on $name', (tier) => {
  let database: Database;
  let ledger: Ledger;
  beforeAll(async () => {
    database = await tier.open();
    ledger = createLedger({ database, clock: systemClock });
  });
  afterAll(() => database?.close());

  it('keeps every transfer balanced, no never-negative account below zero, and balances equal to their postings', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run++;
        const users = [0, 1, 2].map((i) => 1_000_000 + run * 10 + i);
        const wallet = (u: number) => ACCOUNTS.userWallet(users[u] as number);
        const model = new Map<string, bigint>();
        const add = (a: AccountSpec, d: bigint) => model.set(a.code, (model.get(a.code) ?? 0n) + d);
        const usedKeys = new Map<string, string>();
        const holds: { id: number; user: number; amount: bigint; open: boolean }[] = [];
        const clearing = ACCOUNTS.paymentClearing(`prop${run}`);
        const revenue: AccountSpec = { code: `platform:prop${run}:revenue`, kind: 'platform_revenue', neverNegative: false };

        for (const o of ops) {
          if (o.t === 'deposit' || o.t === 'spend' || o.t === 'refund') {
            const k = `prop${run}:${o.t}:${o.key}`;
            const [from, to] =
              o.t === 'deposit' ? [clearing, wallet(o.user)] : o.t === 'spend' ? [wallet(o.user), revenue] : [revenue, wallet(o.user)];
            const signature = `${from.code}>${to.code}:${o.amount}`;
            const req = { idempotencyKey: k, kind: o.t, postings: [{ account: from, amount: -o.amount }, { account: to, amount: o.amount }] };
            if (usedKeys.has(k)) {
              if (usedKeys.get(k) === signature) {
                const again = await ledger.transfer(req);
                expect(again.replayed).toBe(true);
              } else {
                await expect(ledger.transfer(req)).rejects.toThrow(/already used/);
              }
              continue;
            }
            const fundsOk = !from.neverNegative || (model.get(from.code) ?? 0n) >= o.amount;
            if (!fundsOk) {
              await expect(ledger.transfer(req)).rejects.toBeInstanceOf(InsufficientFunds);
              continue;
            }
            await ledger.transfer(req);
            usedKeys.set(k, signature);
            add(from, -o.amount);
            add(to, o.amount);
          } else if (o.t === 'hold') {
            const w = wallet(o.user);
            const k = `prop${run}:hold:${holds.length}`;
            if ((model.get(w.code) ?? 0n) < o.amount) {
              await expect(ledger.hold({ account: w, amount: o.amount, idempotencyKey: k })).rejects.toBeInstanceOf(InsufficientFunds);
              continue;
            }
            const id = await ledger.hold({ account: w, amount: o.amount, idempotencyKey: k });
            holds.push({ id, user: o.user, amount: o.amount, open: true });
            add(w, -o.amount);
            add(heldTwin(w), o.amount);
          } else if (holds.length > 0) {
            const h = holds[o.pick % holds.length] as (typeof holds)[number];
            const w = wallet(h.user);
            if (!h.open) {
              const closeAgain =
                o.t === 'settle'
                  ? ledger.settle({ holdId: h.id, account: w, kind: 'charge', splits: [{ account: revenue, amount: 1n }] })
                  : ledger.release({ holdId: h.id, account: w });
              await expect(closeAgain).rejects.toThrow(/not active/);
              continue;
            }
            h.open = false;
            add(heldTwin(w), -h.amount);
            if (o.t === 'settle') {
              const captured = (h.amount * BigInt(o.fraction)) / 100n;
              await ledger.settle({ holdId: h.id, account: w, kind: 'charge', splits: captured > 0n ? [{ account: revenue, amount: captured }] : [] });
              add(revenue, captured);
              add(w, h.amount - captured);
            } else {
              await ledger.release({ holdId: h.id, account: w });
              add(w, h.amount);
            }
          }
        }

        for (const [code, expected] of model) {
          expect(await ledger.balance({ code, kind: '', neverNegative: false }), code).toBe(expected);
        }
        const books = await ledger.check();
        expect(books).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
      }),
      { numRuns: RUNS },
    );
  });

  it('lets exactly 37 of 100 concurrent spends through when the wallet covers 37', async () => {
    const w = ACCOUNTS.userWallet(2_000_000);
    const price = 1_000_000n;
    await ledger.transfer({
      idempotencyKey: 'conc:fund',
      kind: 'recharge',
      postings: [{ account: ACCOUNTS.paymentClearing('conc'), amount: -37n * price - 500n }, { account: w, amount: 37n * price + 500n }],
    });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        ledger.transfer({
          idempotencyKey: `conc:spend:${i}`,
          kind: 'consume',
          postings: [{ account: w, amount: -price }, { account: ACCOUNTS.platformRevenue, amount: price }],
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof InsufficientFunds).length;
    expect(ok).toBe(37);
    expect(refused).toBe(63);
    expect(await ledger.balance(w)).toBe(500n);
    expect(await ledger.check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('moves money once for a repeated idempotency key, even concurrently', async () => {
    const w = ACCOUNTS.userWallet(3_000_000);
    const req = {
      idempotencyKey: 'idem:once',
      kind: 'gift',
      postings: [{ account: ACCOUNTS.promoExpense, amount: -700n }, { account: w, amount: 700n }],
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => ledger.transfer(req)));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await ledger.balance(w)).toBe(700n);
  });

  it('refuses unbalanced, single-posting and zero-amount transfers before touching the database', async () => {
    const w = ACCOUNTS.userWallet(4_000_000);
    await expect(ledger.transfer({ idempotencyKey: 'bad:1', kind: 'x', postings: [{ account: w, amount: 5n }] })).rejects.toThrow(/two postings/);
    await expect(
      ledger.transfer({ idempotencyKey: 'bad:2', kind: 'x', postings: [{ account: w, amount: 5n }, { account: ACCOUNTS.promoExpense, amount: -4n }] }),
    ).rejects.toThrow(/sum to 1/);
    await expect(
      ledger.transfer({ idempotencyKey: 'bad:3', kind: 'x', postings: [{ account: w, amount: 0n }, { account: ACCOUNTS.promoExpense, amount: 0n }] }),
    ).rejects.toThrow(/zero posting/);
    expect(await ledger.balance(w)).toBe(0n);
  });

  it('settles at most the held amount and never twice', async () => {
    const w = ACCOUNTS.userWallet(5_000_000);
    await ledger.transfer({ idempotencyKey: 'settle:fund', kind: 'recharge', postings: [{ account: ACCOUNTS.promoExpense, amount: -1000n }, { account: w, amount: 1000n }] });
    const holdId = await ledger.hold({ account: w, amount: 600n, idempotencyKey: 'settle:h1' });
    expect(await ledger.balance(w)).toBe(400n);
    await expect(ledger.settle({ holdId, account: w, kind: 'charge', splits: [{ account: ACCOUNTS.platformRevenue, amount: 601n }] })).rejects.toThrow(/cannot capture/);
    const settled = await Promise.allSettled([1, 2, 3].map(() => ledger.settle({ holdId, account: w, kind: 'charge', splits: [{ account: ACCOUNTS.platformRevenue, amount: 250n }] })));
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await ledger.balance(w)).toBe(750n);
    expect(await ledger.balance(heldTwin(w))).toBe(0n);
    expect((await ledger.getHold(holdId)).status).toBe('settled');
  });
  describe('debt first: a credit marked payDebtOf pays what that account is owed, in the same transfer', () => {
    const YUAN = 1_000_000n;
    let n = 0;
    /** A fresh user owing `owed` µ¥ on their receivable (a gateway overshoot the wallet could not cover). */
    async function debtor(owed: bigint) {
      const userId = 6_000_000 + n++;
      const wallet = ACCOUNTS.userWallet(userId);
      const receivable = ACCOUNTS.userReceivable(userId);
      if (owed > 0n) {
        await ledger.transfer({
          idempotencyKey: `debt:overshoot:${userId}`, kind: 'api_usage',
          postings: [{ account: receivable, amount: -owed }, { account: ACCOUNTS.platformRevenue, amount: owed }],
        });
      }
      const credit = (key: string, amount: bigint) => ({
        idempotencyKey: `debt:${userId}:${key}`, kind: 'recharge',
        postings: [{ account: ACCOUNTS.paymentClearing('debt'), amount: -amount }, { account: wallet, amount, payDebtOf: receivable }],
      });
      return { userId, wallet, receivable, credit };
    }

    it('pays ¥1 owed out of a ¥10 credit: ¥9 in the wallet, nothing owed, one transfer of three postings', async () => {
      const d = await debtor(YUAN);
      const result = await ledger.transfer(d.credit('pay', 10n * YUAN));
      expect(await ledger.balance(d.wallet)).toBe(9n * YUAN);
      expect(await ledger.balance(d.receivable)).toBe(0n);
      expect(result.deltas).toEqual(new Map([['clearing:debt', -10n * YUAN], [d.receivable.code, YUAN], [d.wallet.code, 9n * YUAN]]));
      const history = await ledger.history(d.receivable, { limit: 10, offset: 0 });
      expect(history.rows.map((r) => [r.kind, r.amount])).toEqual([['recharge', YUAN], ['api_usage', -YUAN]]);
      expect(await ledger.check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
    });

    it('puts a credit smaller than the debt wholly on the debt, and leaves the wallet untouched', async () => {
      const d = await debtor(5n * YUAN);
      const result = await ledger.transfer(d.credit('small', 2n * YUAN));
      expect(result.deltas.has(d.wallet.code)).toBe(false);
      expect(await ledger.balance(d.receivable)).toBe(-3n * YUAN);
      expect(await ledger.balance(d.wallet)).toBe(0n);
    });

    it('credits the wallet in full when nothing is owed', async () => {
      const d = await debtor(0n);
      await ledger.transfer(d.credit('none', 3n * YUAN));
      expect(await ledger.balance(d.wallet)).toBe(3n * YUAN);
      expect(await ledger.balance(d.receivable)).toBe(0n);
    });

    it('replays the same credit although the debt has changed since, and still refuses another amount under its key', async () => {
      const d = await debtor(YUAN);
      await ledger.transfer(d.credit('again', 4n * YUAN));
      await ledger.transfer({
        idempotencyKey: `debt:more:${d.userId}`, kind: 'api_usage',
        postings: [{ account: d.receivable, amount: -2n * YUAN }, { account: ACCOUNTS.platformRevenue, amount: 2n * YUAN }],
      });
      expect((await ledger.transfer(d.credit('again', 4n * YUAN))).replayed).toBe(true);
      await expect(ledger.transfer(d.credit('again', 5n * YUAN))).rejects.toThrow(/already used/);
      expect(await ledger.balance(d.wallet)).toBe(3n * YUAN);
      expect(await ledger.balance(d.receivable)).toBe(-2n * YUAN);
    });

    it('never collects more than is owed when credits arrive at once', async () => {
      const d = await debtor(2n * YUAN);
      await Promise.all([0, 1, 2, 3, 4].map((i) => ledger.transfer(d.credit(`conc:${i}`, YUAN))));
      expect(await ledger.balance(d.receivable)).toBe(0n);
      expect(await ledger.balance(d.wallet)).toBe(3n * YUAN);
      expect(await ledger.check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
    });

    it('pays the debt first from what a reversal returns to the account named by creditTo', async () => {
      const d = await debtor(0n);
      await ledger.transfer(d.credit('fund', 10n * YUAN));
      await ledger.transfer({ idempotencyKey: `debt:buy:${d.userId}`, kind: 'membership', postings: [{ account: d.wallet, amount: -6n * YUAN }, { account: ACCOUNTS.platformRevenue, amount: 6n * YUAN }] });
      await ledger.transfer({
        idempotencyKey: `debt:late:${d.userId}`, kind: 'api_usage',
        postings: [{ account: d.receivable, amount: -YUAN }, { account: ACCOUNTS.platformRevenue, amount: YUAN }],
      });
      await ledger.reverse({ originalKey: `debt:buy:${d.userId}`, idempotencyKey: `debt:refund:${d.userId}`, kind: 'refund', creditTo: { account: d.wallet, payDebtOf: d.receivable } });
      expect(await ledger.balance(d.receivable)).toBe(0n);
      expect(await ledger.balance(d.wallet)).toBe(9n * YUAN);
    });

    it('refuses a debt-first posting that is not a credit, and in the batch paths', async () => {
      const d = await debtor(YUAN);
      const debit = { idempotencyKey: `debt:neg:${d.userId}`, kind: 'x', postings: [{ account: d.wallet, amount: -1n, payDebtOf: d.receivable }, { account: ACCOUNTS.platformRevenue, amount: 1n }] };
      await expect(ledger.transfer(debit)).rejects.toThrow(/only a credit can pay a debt first/);
      await expect(database.transaction((tx) => ledger.transferMany([d.credit('batch', YUAN)], tx))).rejects.toThrow(/debt-first credits go through transfer/);
    });

    it('lists every open receivable with its user and what is owed', async () => {
      const a = await debtor(1_234n);
      const b = await debtor(7n * YUAN);
      const paid = await debtor(YUAN);
      await ledger.transfer(paid.credit('all', YUAN));
      const open = await ledger.openReceivables();
      expect(open).toEqual(expect.arrayContaining([
        { userId: a.userId, code: a.receivable.code, owed: 1_234n },
        { userId: b.userId, code: b.receivable.code, owed: 7n * YUAN },
      ]));
      expect(open.find((r) => r.userId === paid.userId)).toBeUndefined();
      const job = ledgerJobs({ ledger, log: { error() {}, warn() {} } })[0];
      const report = (await job?.handler({})) as { receivables: { userId: number; owed: string }[] };
      expect(report.receivables).toEqual(expect.arrayContaining([{ userId: a.userId, owed: '0.001234' }, { userId: b.userId, owed: '7.000000' }]));
    });
  });
});
