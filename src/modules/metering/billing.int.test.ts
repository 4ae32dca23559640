import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { startBillingBench, type BillingBench } from '../../../test/helpers/billing.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { apiKeys } from '../identity/identity.tables.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createAuditLog } from '../admin/audit.service.ts';
import { systemClock } from '../../platform/time.ts';
import { billingDeadLetters } from './dead-letters.tables.ts';
import { createDeadLetterService } from './dead-letters.service.ts';
import type { Payer } from './payers.ts';

// Billing that can never wedge: refused batches, a charge that fails after another of its batch committed, a database
// that goes away mid-batch, a charge that never succeeds — each charge lands exactly once (usage record and transfer),
// is reported to the payer book exactly once, and no payer's trouble holds up another payer's response.

const CLEAN = { balanceMismatches: [], unbalancedTransfers: [] };
const operator = { userId: 1, role: 'admin' as const, via: 'session' as const };

/** Another node (or the studio) spends `amount` of the wallet behind this node's back. */
async function spendElsewhere(b: BillingBench, p: Payer, amount: bigint) {
  await b.ledger.transfer({
    idempotencyKey: `elsewhere:${p.userId}:${amount}:${Math.random()}`, kind: 'consume',
    postings: [{ account: ACCOUNTS.userWallet(p.userId), amount: -amount }, { account: ACCOUNTS.platformRevenue, amount }],
  });
}

const postsTo = (args: unknown[], code: string) =>
  (args[0] as { postings: { account: { code: string } }[] }[]).some((t) => t.postings.some((p) => p.account.code === code));

describe.each(DB_TIERS)('gateway billing faults on $name', (tier) => {
  let b: BillingBench;
  afterEach(async () => {
    await b?.close();
  });

  it('charges each payer of a batch once, in one statement, and reports each charge once', async () => {
    b = await startBillingBench(tier);
    const [p1, p2] = [await b.payer({ credits: 10_000n }), await b.payer({ credits: 10_000n })];
    // Balances read first, so that the three charges are queued within one turn of the event loop.
    for (const p of [p1, p2]) b.billing.release(await b.billing.reserve(p, 1n));
    const settled = await Promise.all([b.settle(p1, 1_000n), b.settle(p1, 2_000n), b.settle(p2, 500n)]);
    await Promise.all(settled.map((s) => s.done));
    expect(await b.walletOf(p1.userId)).toBe(7_000n);
    expect(await b.walletOf(p2.userId)).toBe(9_500n);
    expect(b.calls.commitMany).toBe(1);
    expect(settled.map((s) => b.flushed.get(s.requestId))).toEqual([1, 1, 1]);
  });

  it('charges a refused payer alone — the wallet pays what it has, the rest is owed — and the others together', async () => {
    b = await startBillingBench(tier);
    const [poor, rich] = [await b.payer({ credits: 1_000n }), await b.payer({ credits: 10_000n })];
    const hold = await b.billing.reserve(poor, 800n);
    await spendElsewhere(b, poor, 900n); // 100 left
    b.billing.release(hold);
    const settled = await Promise.all([b.settle(poor, 300n, 300n), b.settle(rich, 700n)]);
    await Promise.all(settled.map((s) => s.done));
    expect(await b.walletOf(poor.userId)).toBe(0n);
    expect(await b.receivableOf(poor.userId)).toBe(-200n);
    expect(await b.walletOf(rich.userId)).toBe(9_300n);
    for (const s of settled) {
      expect(await b.usageOf(s.requestId)).toHaveLength(1);
      expect(b.flushed.get(s.requestId)).toBe(1);
    }
    // The payer now owes ¥0.0002, rounded up to the cent; a prepaid user in debt is refused.
    await expect(b.billing.reserve(poor, 1n)).rejects.toMatchObject({ status: 402, message: expect.stringMatching(/owes ¥0\.01 /) });
    expect(await b.ledger.check()).toEqual(CLEAN);
  });

  it('retries a refused charge that failed after another of its batch committed, without charging that one again', async () => {
    b = await startBillingBench(tier);
    const p = await b.payer({ credits: 1_000n });
    const holds = [await b.billing.reserve(p, 400n), await b.billing.reserve(p, 400n)];
    await spendElsewhere(b, p, 500n); // 500 left for 800 of charges: the batch is refused, both go alone
    for (const h of holds) b.billing.release(h);
    const wallet = `user:${p.userId}:wallet`;
    let walletWrites = 0;
    // The second one-request write for this wallet fails once (the database went away for a moment).
    b.faults.transferMany = (_n, args) => postsTo(args, wallet) && (walletWrites += 1) === 2;
    const settled = await Promise.all([b.settle(p, 400n, 0n), b.settle(p, 400n, 0n)]);
    await Promise.all(settled.map((s) => s.done));
    expect(walletWrites).toBeGreaterThanOrEqual(3);
    expect(await b.walletOf(p.userId)).toBe(0n);
    expect(await b.receivableOf(p.userId)).toBe(-300n);
    for (const s of settled) {
      expect(await b.usageOf(s.requestId)).toHaveLength(1);
      expect(b.flushed.get(s.requestId)).toBe(1);
    }
    expect(b.metrics.flushFailed).toBe(1);
    expect(await b.ledger.check()).toEqual(CLEAN);
  });

  it('survives a database outage mid-batch: every charge lands exactly once when the database answers again', async () => {
    b = await startBillingBench(tier, { deadAfter: 100, baseDelayMs: 20, maxDelayMs: 50 });
    const payers = [await b.payer({ credits: 10_000n }), await b.payer({ credits: 10_000n }), await b.payer({ credits: 10_000n })];
    let down = true;
    b.faults.commitMany = () => down;
    b.faults.transferMany = () => down;
    b.faults.balance = () => down;
    const settled = await Promise.all(payers.flatMap((p) => [b.settle(p, 100n), b.settle(p, 200n)]));
    await new Promise((r) => setTimeout(r, 300));
    expect(b.billing.pending()).toBe(6);
    down = false;
    await Promise.all(settled.map((s) => s.done));
    for (const p of payers) expect(await b.walletOf(p.userId)).toBe(9_700n);
    for (const s of settled) {
      expect(await b.usageOf(s.requestId)).toHaveLength(1);
      expect(b.flushed.get(s.requestId)).toBe(1);
    }
    expect(b.metrics.deadLettered).toBe(0);
    expect(await b.ledger.check()).toEqual(CLEAN);
  });

  it('writes the other payers of a batch when one statement of it fails, each payer in its own transaction', async () => {
    b = await startBillingBench(tier);
    const [p1, p2] = [await b.payer({ credits: 10_000n }), await b.payer({ credits: 10_000n })];
    for (const p of [p1, p2]) b.billing.release(await b.billing.reserve(p, 1n));
    b.faults.commitMany = (n) => n === 1;
    b.faults.transferMany = (n) => n === 1;
    const settled = await Promise.all([b.settle(p1, 100n), b.settle(p2, 200n)]);
    await Promise.all(settled.map((s) => s.done));
    expect([await b.walletOf(p1.userId), await b.walletOf(p2.userId)]).toEqual([9_900n, 9_800n]);
    expect(b.calls.transferMany).toBe(3); // the failed batch, then one per payer
    expect(settled.map((s) => b.flushed.get(s.requestId))).toEqual([1, 1]);
  });

  it("files a charge that keeps failing as a dead letter, answers its request, and never holds up another payer's", async () => {
    b = await startBillingBench(tier, { deadAfter: 3, baseDelayMs: 400, maxDelayMs: 400 });
    const [broken, fine] = [await b.payer({ credits: 10_000n }), await b.payer({ credits: 10_000n })];
    const wallet = `user:${broken.userId}:wallet`;
    b.faults.commitMany = (_n, args) => postsTo(args, wallet);
    b.faults.transferMany = (_n, args) => postsTo(args, wallet);
    const bad = await b.settle(broken, 1_000n);
    let badDone = false;
    void bad.done.then(() => (badDone = true));
    const first = await b.settle(fine, 100n);
    await first.done;
    // While the broken charge waits for its retry, another payer's charge is written at once.
    await new Promise((r) => setTimeout(r, 20));
    const second = await b.settle(fine, 100n);
    await second.done;
    // Written while the broken one still waits for its retries (two of 400 ms), not after it was given up.
    expect(badDone).toBe(false);
    expect(b.metrics.deadLettered).toBe(0);
    await bad.done;
    expect(b.metrics.deadLettered).toBe(1);
    expect(b.dropped.get(bad.requestId)).toBe(1);
    expect(b.flushed.get(bad.requestId)).toBeUndefined();
    const [letter] = await b.database.db.select().from(billingDeadLetters).where(eq(billingDeadLetters.requestId, bad.requestId));
    expect(letter).toMatchObject({ status: 'open', userId: broken.userId, costMicros: 1_000n, attempts: 3 });
    expect(letter?.error).toMatch(/injected/);
    expect(await b.usageOf(bad.requestId)).toHaveLength(0);
    // The book no longer counts the given-up charge: the whole balance can be held again.
    b.billing.release(await b.billing.reserve(broken, 10_000n));

    // An operator charges it again once the cause is gone; it lands once, and cannot be handled twice.
    const letters = createDeadLetterService({ database: b.database, clock: systemClock, writer: b.writer, book: b.book, audit: createAuditLog() });
    delete b.faults.commitMany;
    delete b.faults.transferMany;
    const charged = await letters.retry(operator, letter?.id as number, 'op-req-1');
    expect(charged).toMatchObject({ status: 'charged', handledBy: 1 });
    expect(await b.walletOf(broken.userId)).toBe(9_000n);
    expect(await b.usageOf(bad.requestId)).toHaveLength(1);
    await expect(letters.retry(operator, letter?.id as number, 'op-req-2')).rejects.toMatchObject({ status: 409 });
    await expect(letters.resolve(operator, letter?.id as number, 'written off', 'op-req-3')).rejects.toMatchObject({ status: 409 });
    await expect(letters.retry(operator, 987_654, 'op-req-4')).rejects.toMatchObject({ status: 404 });
    expect(await letters.openCount()).toBe(0);
    expect(await b.ledger.check()).toEqual(CLEAN);
  });

  it('refuses in SQL a key its spend would take past the limit, records the served charge anyway, and stops the key', async () => {
    b = await startBillingBench(tier);
    const p = await b.payer({ credits: 10_000n, keyLimit: 1_000n });
    // Another node spent most of the key's limit; this node has not heard of it yet.
    await b.database.db.update(apiKeys).set({ spentMicros: 900n }).where(eq(apiKeys.id, p.apiKeyId as number));
    const s = await b.settle(p, 300n);
    await s.done;
    const [key] = await b.database.db.select().from(apiKeys).where(eq(apiKeys.id, p.apiKeyId as number));
    expect(key?.spentMicros).toBe(1_200n);
    expect(await b.walletOf(p.userId)).toBe(9_700n);
    expect(await b.usageOf(s.requestId)).toHaveLength(1);
    expect(b.metrics.keyOverLimit).toBe(1);
    await expect(b.billing.reserve(p, 1n)).rejects.toMatchObject({ status: 402, message: expect.stringMatching(/spend limit/) });
  });

  it('charges a request id once on every path, however often it is written', async () => {
    b = await startBillingBench(tier);
    const p = await b.payer({ credits: 10_000n });
    const s = await b.settle(p, 1_000n);
    await s.done;
    const [row] = await b.usageOf(s.requestId);
    const item = {
      payer: p,
      charge: { requestId: s.requestId, cost: 1_000n, description: 'again', usage: { requestId: s.requestId, userId: p.userId, model: 'gpt-test', status: 'success' as const, platform: 'api' as const, costMicros: 1_000n } },
    };
    // A retry of a batch whose commit was not acknowledged, and a second one-request write.
    await expect(b.writer.careful([item], { accounts: [], keys: [] })).resolves.toMatchObject({ written: [{ replayed: true }], failed: [] });
    await expect(b.writer.alone(item)).resolves.toMatchObject({ replayed: true });
    await expect(b.writer.fast([item])).rejects.toThrow();
    expect(await b.walletOf(p.userId)).toBe(9_000n);
    expect(await b.usageOf(s.requestId)).toEqual([row]);
  });
});
