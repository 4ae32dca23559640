import { count } from 'drizzle-orm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLog, startBillingBench, type BillingBench, type BillingBenchOptions } from '../../../test/helpers/billing.ts';
import { DB_TIERS, type DbTier } from '../../../test/helpers/database.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { ledgerTransfers } from '../ledger/ledger.tables.ts';
import { listSegments, readJournal } from './journal.ts';
import { applyLeftoverJournal } from './journal-replay.ts';
import type { Payer } from './payers.ts';
import { usageRecords } from './usage.tables.ts';

// Billing with the charge journal (DESIGN.md §5): a settled charge is durable once journaled and counted against its
// payer at once, the database follows behind; after a kill -9 the next boot charges every journaled charge exactly
// once — a stream cut by the crash its opening — however often it boots over the same journal.

const CLEAN = { balanceMismatches: [], unbalancedTransfers: [] };
/** Longer than any test: the database is written only by drain() or a replay. */
const BEHIND = 5_000;

describe.each(DB_TIERS)('gateway billing with a charge journal on $name', (tier: DbTier) => {
  let dir: string;
  const benches: BillingBench[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-billing-journal-'));
  });
  afterEach(async () => {
    // The newest first: the first bench owns the database the restarted ones share.
    for (const b of benches.splice(0).reverse()) await b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(opts: BillingBenchOptions = {}) {
    const b = await startBillingBench(tier, {}, { journalDir: dir, writeBehindMs: BEHIND, ...opts });
    benches.push(b);
    return b;
  }

  /** Boots over the dead bench's database and journal as billing.module.ts does: the leftover read, then applied. */
  async function restartAfter(dead: BillingBench) {
    const leftover = readJournal(dir);
    const b = await start({ database: dead.database });
    await applyLeftoverJournal(b.billing, leftover, silentLog);
    return { b, leftover };
  }

  /** Each request charged exactly once: one usage record of its cost, and the wallet down by their sum in transfers. */
  async function expectChargedOnce(b: BillingBench, p: Payer, credits: bigint, charges: Record<string, bigint>) {
    for (const [requestId, cost] of Object.entries(charges)) expect((await b.usageOf(requestId)).map((u) => u.costMicros)).toEqual([cost]);
    const total = Object.values(charges).reduce((a, c) => a + c, 0n);
    expect(await b.walletOf(p.userId)).toBe(credits - total);
    const { rows } = await b.ledger.history(ACCOUNTS.userWallet(p.userId), { limit: 100, offset: 0 });
    expect(rows.filter((r) => r.kind === 'api_usage').reduce((a, r) => a + r.amount, 0n)).toBe(-total);
  }

  async function snapshot(b: BillingBench, payers: Payer[]) {
    const [usage] = await b.database.db.select({ n: count() }).from(usageRecords);
    const [transfers] = await b.database.db.select({ n: count() }).from(ledgerTransfers);
    return { usage: usage?.n, transfers: transfers?.n, wallets: await Promise.all(payers.map((p) => b.walletOf(p.userId))) };
  }

  it('answers a settle once the charge is journaled, counts it against the payer before the database has it, and writes it on drain', async () => {
    const b = await start();
    const p = await b.payer({ credits: 10_000n });
    const s = await b.settle(p, 3_000n);
    await s.done;
    expect(readJournal(dir).records).toMatchObject([{ kind: 'charge', item: { charge: { requestId: s.requestId, cost: 3_000n } } }]);
    expect(await b.usageOf(s.requestId)).toEqual([]);
    expect(await b.walletOf(p.userId)).toBe(10_000n);
    await expect(b.billing.reserve(p, 7_001n)).rejects.toMatchObject({ status: 402 });
    b.billing.release(await b.billing.reserve(p, 7_000n));

    await b.billing.drain();
    await expectChargedOnce(b, p, 10_000n, { [s.requestId]: 3_000n });
    expect(b.flushed.get(s.requestId)).toBe(1);
    expect(b.journal?.unapplied()).toBe(0);
    b.journal?.close();
    expect(listSegments(dir)).toEqual([]);
  });

  it('charges every journaled charge exactly once after a kill -9, and a second boot over the same journal changes nothing', async () => {
    const dead = await start();
    const [p1, p2] = [await dead.payer({ credits: 10_000n }), await dead.payer({ credits: 10_000n })];
    const settled = await Promise.all([
      ...[100n, 200n, 300n].map(async (cost) => ({ p: p1, cost, ...(await dead.settle(p1, cost)) })),
      ...[400n, 500n].map(async (cost) => ({ p: p2, cost, ...(await dead.settle(p2, cost)) })),
    ]);
    await Promise.all(settled.map((s) => s.done));
    dead.kill();
    for (const s of settled) expect(await dead.usageOf(s.requestId)).toEqual([]);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-billing-journal-copy-'));
    fs.cpSync(dir, copy, { recursive: true });

    const { b, leftover } = await restartAfter(dead);
    expect(leftover.records).toHaveLength(5);
    for (const p of [p1, p2]) await expectChargedOnce(b, p, 10_000n, Object.fromEntries(settled.filter((s) => s.p === p).map((s) => [s.requestId, s.cost])));
    expect(await b.ledger.check()).toEqual(CLEAN);
    for (const file of leftover.files) expect(fs.existsSync(file)).toBe(false);
    const before = await snapshot(b, [p1, p2]);

    // Killed again after the database had the charges but before the segments were removed.
    b.kill();
    fs.cpSync(copy, dir, { recursive: true });
    fs.rmSync(copy, { recursive: true, force: true });
    const again = await restartAfter(b);
    expect(again.leftover.records).toHaveLength(5);
    expect(await snapshot(again.b, [p1, p2])).toEqual(before);
    expect(await again.b.ledger.check()).toEqual(CLEAN);
  });

  it('charges a stream cut by the crash its opening, and a stream that was settled only its settled cost', async () => {
    const dead = await start();
    const p = await dead.payer({ credits: 10_000n });
    const cut = dead.chargeOf(p, 150n);
    await dead.billing.open(await dead.billing.reserve(p, 2_000n), p, cut);
    const finished = await dead.billing.reserve(p, 2_000n);
    const opening = dead.chargeOf(p, 150n);
    await dead.billing.open(finished, p, opening);
    await dead.billing.settle(finished, p, dead.chargeOf(p, 1_200n, opening.requestId));
    dead.kill();

    const { b } = await restartAfter(dead);
    await expectChargedOnce(b, p, 10_000n, { [cut.requestId]: 150n, [opening.requestId]: 1_200n });
    expect(await b.ledger.check()).toEqual(CLEAN);
  });

  it('charges nothing again for a journal whose charges the database already has, an opening that outlived its charge included', async () => {
    const dead = await start();
    const p = await dead.payer({ credits: 10_000n });
    const stream = await dead.billing.reserve(p, 2_000n);
    const opening = dead.chargeOf(p, 150n);
    await dead.billing.open(stream, p, opening);
    await dead.billing.settle(stream, p, dead.chargeOf(p, 1_200n, opening.requestId));
    const s = await dead.settle(p, 300n);
    await s.done;
    await dead.billing.drain();
    dead.kill();

    const leftover = readJournal(dir);
    expect(leftover.records.map((r) => r.kind)).toEqual(['open', 'charge', 'charge']);
    const b = await start({ database: dead.database });
    // As if the segment with the settled charge had been removed and the older one with the opening had not.
    await applyLeftoverJournal(b.billing, { ...leftover, records: leftover.records.filter((r) => r.kind === 'open') }, silentLog);
    await applyLeftoverJournal(b.billing, leftover, silentLog);
    await expectChargedOnce(b, p, 10_000n, { [opening.requestId]: 1_200n, [s.requestId]: 300n });
    expect(await b.ledger.check()).toEqual(CLEAN);
  });

  it('charges the opening of a stream released without a settled charge, and returns its hold', async () => {
    const b = await start();
    const p = await b.payer({ credits: 10_000n });
    const stream = await b.billing.reserve(p, 2_000n);
    const opening = b.chargeOf(p, 150n);
    await b.billing.open(stream, p, opening);
    b.billing.release(stream);
    // The opening is counted at once; the hold is not.
    await expect(b.billing.reserve(p, 9_851n)).rejects.toMatchObject({ status: 402 });
    b.billing.release(await b.billing.reserve(p, 9_850n));

    await b.billing.drain();
    await expectChargedOnce(b, p, 10_000n, { [opening.requestId]: 150n });
    expect(b.journal?.unapplied()).toBe(0);
    b.journal?.close();
    expect(listSegments(dir)).toEqual([]);
  });
});
