import { afterCommit, type Database, type Db } from '../../platform/db.ts';
import type { NamedStatement } from '../../platform/sql-batch.ts';
import { conflict, notFound } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { heldTwin, type AccountSpec } from './accounts.ts';
import { applyBatch } from './batch.ts';
import { commitInOneStatement } from './batch-statement.ts';
import { accountsOf, payDebtsFirst, replayShape } from './debts.ts';
import * as repo from './ledger.repo.ts';
import { InsufficientFunds, netByCode, validate, validateBatch, type CreditTarget, type Posting, type TransferRequest, type TransferResult } from './transfers.ts';

export { InsufficientFunds, type CreditTarget, type Posting, type TransferRequest, type TransferResult } from './transfers.ts';

// The only code that changes balances (DESIGN.md §3). Invariants, each covered by the property tests:
//   1. every transfer has ≥ 2 postings summing to zero;
//   2. a never-negative account is never below zero, under any concurrency (guarded UPDATE + CHECK);
//   3. every balance equals the sum of its postings;
//   4. an idempotency key moves money at most once.

/** Told, after commit, whose wallet or receivable a transfer moved (the gateway's cached balances must drop them). */
export type UserBalancesListener = (userIds: number[]) => void | Promise<void>;

/** Accounts whose balance the gateway keeps in memory for its payers (metering/payers.ts). */
const PAYER_KINDS = new Set(['wallet', 'receivable']);

export function createLedger(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;
  const balanceListeners = new Set<UserBalancesListener>();

  /** A credit must be spendable on the gateway at once: its listeners hear of it when it commits, not seconds later. */
  function announceUserBalances(db: Db, postings: Posting[]) {
    if (balanceListeners.size === 0) return;
    const userIds = [...new Set(postings.filter((p) => PAYER_KINDS.has(p.account.kind) && p.account.ownerUserId !== undefined).map((p) => p.account.ownerUserId as number))];
    if (userIds.length === 0) return;
    afterCommit(db, async () => {
      for (const listener of balanceListeners) await listener(userIds);
    });
  }
  const inTx = <T>(tx: Db | undefined, fn: (db: Db) => Promise<T>) => (tx ? fn(tx) : database.transaction(fn));
  // Account ids never change once committed; only `prepareAccounts` (autocommit, outside any transaction that could
  // roll an account back) fills this cache.
  const accountIds = new Map<string, number>();

  async function transferIn(db: Db, req: TransferRequest): Promise<TransferResult> {
    validate(req);
    const ids = await repo.ensureAccounts(db, accountsOf(req.postings));
    // Times come from the injected clock, like every other timestamp the service writes.
    const now = clock.now();
    const transferId = await repo.insertTransfer(db, {
      idempotencyKey: req.idempotencyKey, kind: req.kind, reference: req.reference, description: req.description, metadata: req.metadata, createdAt: now,
    });
    if (transferId === undefined) return replay(db, req, ids);
    const postings = await payDebtsFirst(db, req.postings, ids);

    // Apply per account in id order, so concurrent transfers over the same accounts cannot deadlock.
    const deltas = new Map<number, bigint>();
    for (const p of postings) {
      const id = ids.get(p.account.code) as number;
      deltas.set(id, (deltas.get(id) ?? 0n) + p.amount);
    }
    const finalBalance = new Map<number, bigint>();
    for (const id of [...deltas.keys()].sort((a, b) => a - b)) {
      const delta = deltas.get(id) as bigint;
      const balance = await repo.applyDelta(db, id, delta, now);
      if (balance === undefined) {
        const code = [...ids].find(([, v]) => v === id)?.[0] ?? String(id);
        throw new InsufficientFunds(code);
      }
      finalBalance.set(id, balance);
    }
    // balance_after per posting: walk back from each account's final balance.
    const running = new Map([...finalBalance].map(([id, b]) => [id, b - (deltas.get(id) as bigint)]));
    const rows = postings.map((p) => {
      const accountId = ids.get(p.account.code) as number;
      const after = (running.get(accountId) as bigint) + p.amount;
      running.set(accountId, after);
      return { transferId, accountId, amount: p.amount, balanceAfter: after, createdAt: now };
    });
    await repo.insertPostings(db, rows);
    announceUserBalances(db, postings);
    return {
      transferId,
      replayed: false,
      balances: new Map(postings.map((p) => [p.account.code, finalBalance.get(ids.get(p.account.code) as number) as bigint])),
      deltas: netByCode(postings.map((p) => [p.account.code, p.amount])),
    };
  }

  async function replay(db: Db, req: TransferRequest, ids: Map<string, number>): Promise<TransferResult> {
    const found = await repo.transferByKey(db, req.idempotencyKey);
    if (!found) throw new Error(`transfer ${req.idempotencyKey} vanished`);
    const { asked, stored } = replayShape(req.postings, ids, found.postings);
    const sameText = (found.transfer.description ?? undefined) === req.description;
    if (found.transfer.kind !== req.kind || asked !== stored || !sameText) {
      throw conflict(`Idempotency key ${req.idempotencyKey} was already used for a different transfer`);
    }
    const codeOf = new Map([...ids].map(([code, id]) => [id, code]));
    return {
      transferId: found.transfer.id,
      replayed: true,
      balances: new Map(found.postings.map((p) => [codeOf.get(p.accountId) as string, p.balanceAfter])),
      deltas: netByCode(found.postings.map((p) => [codeOf.get(p.accountId) as string, p.amount])),
    };
  }

  return {
    transfer: (req: TransferRequest, tx?: Db) => inTx(tx, (db) => transferIn(db, req)),

    /** Creates (and caches the ids of) the accounts a `transferMany` will touch. Call it outside the transaction. */
    async prepareAccounts(specs: AccountSpec[]): Promise<void> {
      const missing = specs.filter((s) => !accountIds.has(s.code));
      if (missing.length === 0) return;
      for (const [code, id] of await repo.ensureAccounts(database.db, missing)) accountIds.set(code, id);
    },

    /**
     * Many transfers, and the caller's `alongside` writes, as one atomic statement (group commit's fast path). Throws
     * BatchRefused — nothing written — when a never-negative account would go below zero or a unique key repeats.
     * Accounts must be prepared first.
     */
    async commitMany(reqs: TransferRequest[], alongside: NamedStatement[]) {
      validateBatch(reqs);
      const unknown = reqs.flatMap((r) => r.postings).find((p) => !accountIds.has(p.account.code));
      if (unknown) throw new Error(`commitMany: account ${unknown.account.code} was not prepared`);
      return commitInOneStatement(database, reqs, accountIds, clock.now(), alongside);
    },

    /**
     * Many transfers in three statements (group commit). All or nothing: a never-negative account that would go
     * below zero throws BatchRefused and the caller's transaction rolls back. Accounts must be prepared first.
     */
    async transferMany(reqs: TransferRequest[], tx: Db) {
      validateBatch(reqs);
      const unknown = reqs.flatMap((r) => r.postings).find((p) => !accountIds.has(p.account.code));
      if (unknown) throw new Error(`transferMany: account ${unknown.account.code} was not prepared`);
      return applyBatch(tx, reqs, accountIds, clock.now(), database.kind === 'postgres');
    },

    /**
     * Undoes a transfer with its exact opposite (same accounts, negated amounts). The never-negative guards still
     * hold, so reversing money that has since been spent is refused with InsufficientFunds. A credit the reversal
     * makes to `creditTo.account` (money returned to a wallet) goes where `creditTo` says: its debt first.
     */
    reverse: (
      r: { originalKey: string; idempotencyKey: string; kind: string; reference?: string; description?: string; creditTo?: CreditTarget },
      tx?: Db,
    ) =>
      inTx(tx, async (db) => {
        const original = await repo.transferByKey(db, r.originalKey);
        if (!original) throw notFound('Transfer');
        const accounts = new Map((await repo.accountsByIds(db, original.postings.map((p) => p.accountId))).map((a) => [a.id, a]));
        const postings = original.postings.map((p) => {
          const a = accounts.get(p.accountId);
          if (!a) throw new Error(`account ${p.accountId} vanished`);
          const account = { code: a.code, kind: a.kind, ownerUserId: a.ownerUserId ?? undefined, neverNegative: a.neverNegative };
          const credit = r.creditTo && a.code === r.creditTo.account.code && p.amount < 0n;
          return { ...(credit ? r.creditTo : {}), account, amount: -p.amount };
        });
        return transferIn(db, { idempotencyKey: r.idempotencyKey, kind: r.kind, reference: r.reference, description: r.description, postings });
      }),

    /** Reserves `amount` of `account` (moved into its held twin). Idempotent by key. */
    hold: (h: { account: AccountSpec; amount: bigint; idempotencyKey: string; reference?: string }, tx?: Db) =>
      inTx(tx, async (db) => {
        if (h.amount <= 0n) throw new Error('hold amount must be positive');
        const held = heldTwin(h.account);
        const ids = await repo.ensureAccounts(db, [h.account, held]);
        const holdId = await repo.insertHold(db, {
          idempotencyKey: h.idempotencyKey,
          accountId: ids.get(h.account.code) as number,
          heldAccountId: ids.get(held.code) as number,
          amount: h.amount,
          reference: h.reference,
        });
        if (holdId === undefined) {
          const existing = await repo.holdByKey(db, h.idempotencyKey);
          if (!existing || existing.amount !== h.amount) throw conflict(`Hold key ${h.idempotencyKey} was already used`);
          return existing.id;
        }
        await transferIn(db, {
          idempotencyKey: `hold:${holdId}:reserve`,
          kind: 'hold',
          reference: h.reference,
          postings: [
            { account: h.account, amount: -h.amount },
            { account: held, amount: h.amount },
          ],
        });
        return holdId;
      }),

    /**
     * Captures `splits` (summing to at most the held amount) and returns the rest to the account.
     * Settling a closed hold is refused, so a charge cannot land twice.
     */
    settle: (s: { holdId: number; account: AccountSpec; splits: Posting[]; kind: string; description?: string }, tx?: Db) =>
      inTx(tx, async (db) => {
        const hold = await repo.lockActiveHold(db, s.holdId);
        if (!hold) throw conflict(`Hold ${s.holdId} is not active`);
        const captured = s.splits.reduce((sum, p) => sum + p.amount, 0n);
        if (captured < 0n || captured > hold.amount || s.splits.some((p) => p.amount < 0n)) {
          throw new Error(`hold ${s.holdId}: cannot capture ${captured} of ${hold.amount}`);
        }
        const held = heldTwin(s.account);
        const rest = hold.amount - captured;
        const postings = [
          { account: held, amount: -hold.amount },
          ...s.splits.filter((p) => p.amount > 0n),
          ...(rest > 0n ? [{ account: s.account, amount: rest }] : []),
        ];
        await transferIn(db, { idempotencyKey: `hold:${hold.id}:settle`, kind: s.kind, reference: hold.reference ?? undefined, description: s.description, postings });
        await repo.closeHold(db, hold.id, 'settled', captured, clock.now());
        return captured;
      }),

    release: (r: { holdId: number; account: AccountSpec }, tx?: Db) =>
      inTx(tx, async (db) => {
        const hold = await repo.lockActiveHold(db, r.holdId);
        if (!hold) throw conflict(`Hold ${r.holdId} is not active`);
        await transferIn(db, {
          idempotencyKey: `hold:${hold.id}:release`,
          kind: 'hold_release',
          reference: hold.reference ?? undefined,
          postings: [
            { account: heldTwin(r.account), amount: -hold.amount },
            { account: r.account, amount: hold.amount },
          ],
        });
        await repo.closeHold(db, hold.id, 'released', 0n, clock.now());
      }),

    async balance(account: AccountSpec, db: Db = database.db): Promise<bigint> {
      return (await repo.findAccount(db, account.code))?.balance ?? 0n;
    },

    /** Balances and versions of many accounts in one read, by code (an account not yet created is 0 at version 0). */
    async balanceVersions(accounts: AccountSpec[], db: Db = database.db): Promise<Map<string, { balance: bigint; version: number }>> {
      const rows = new Map((await repo.findAccounts(db, [...new Set(accounts.map((a) => a.code))])).map((r) => [r.code, r]));
      return new Map(accounts.map((a) => [a.code, { balance: rows.get(a.code)?.balance ?? 0n, version: rows.get(a.code)?.version ?? 0 }]));
    },

    /** Balance and version read together (an account not yet created is 0 at version 0). */
    async balanceVersion(account: AccountSpec, db: Db = database.db): Promise<{ balance: bigint; version: number }> {
      const row = await repo.findAccount(db, account.code);
      return { balance: row?.balance ?? 0n, version: row?.version ?? 0 };
    },

    async history(account: AccountSpec, page: { limit: number; offset: number }, db: Db = database.db) {
      const found = await repo.findAccount(db, account.code);
      if (!found) return { rows: [], total: 0 };
      return repo.pagePostings(db, found.id, page.limit, page.offset);
    },

    /**
     * Listens for transfers that move a user's wallet or receivable outside the gateway's own charges (recharges,
     * gifts, refunds, coupons, adjustments, studio spending), after they commit. Returns the unsubscribe.
     */
    onUserBalances(listener: UserBalancesListener): () => void {
      balanceListeners.add(listener);
      return () => balanceListeners.delete(listener);
    },

    async getHold(holdId: number) {
      const row = await repo.holdById(database.db, holdId);
      if (!row) throw notFound('Hold');
      return row;
    },

    /** Every user's receivable below zero: who owes how much (µ¥). Postpaid bills and prepaid debts alike. */
    openReceivables: (db: Db = database.db) => repo.openReceivables(db),

    /** Recomputes every balance from postings; empty lists mean the books are sound. */
    async check(db: Db = database.db) {
      const [balances, transfers] = await Promise.all([repo.balanceMismatches(db), repo.unbalancedTransfers(db)]);
      return { balanceMismatches: balances, unbalancedTransfers: transfers };
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
