import { randomUUID } from 'node:crypto';
import type { Database, Db } from '../../platform/db.ts';
import { asOneStatement } from '../../platform/sql-batch.ts';
import type { Clock } from '../../platform/time.ts';
import { ACCOUNTS, type AccountSpec } from '../ledger/accounts.ts';
import { BatchRefused, type BatchResult } from '../ledger/batch.ts';
import type { Ledger, Posting, TransferRequest } from '../ledger/ledger.service.ts';
import type { ChargeEffect, ChargeItem, EffectMode } from './charges.ts';
import { spendAccount, type PayerBalancesAfter } from './payer-balances.ts';
import type { Payer } from './payers.ts';
import type { UsageService } from './usage.service.ts';

// How a batch of gateway charges reaches the database, three ways:
//   fast     — the whole batch (usage records, one ledger transfer per payer, key spend, package effects) as ONE
//              statement; anything wrong and nothing is written.
//   careful  — the same in a transaction that skips request ids already recorded (a retry after a commit whose
//              answer was lost) and names what the guards refused: refused payers and keys are charged one request at
//              a time, and one payer's failure is retried apart from the others' charges.
//   alone    — one request: the wallet pays what it has and the rest becomes the user's receivable (never lost
//              money); its key's spend is recorded even past the limit (the request was served).
// Every way is idempotent per request id: the usage record (unique by request id) commits with the transfer, and a
// request id already recorded is reported as written, not charged again.

export interface Written {
  item: ChargeItem;
  /** The payer's balances after the write, when it knows them. */
  after?: PayerBalancesAfter;
  /** Already durable before this write: nothing was written now. */
  replayed?: boolean;
  /** The key's spend limit was refused for the batch; the charge was recorded past it. */
  keyOverLimit?: boolean;
  /** What the wallet could not cover: now owed (the user's receivable). */
  owed?: bigint;
}

export interface Failed {
  item: ChargeItem;
  err: unknown;
}

/** What the database's guards refused: payer accounts that would go below zero, keys that would pass their limit. */
export interface Refused {
  accounts: string[];
  keys: number[];
}

/** Rounds of the careful path that may each name more refused payers before the rest is treated as failing. */
const MAX_REFUSAL_ROUNDS = 3;

export function createChargeWriter(deps: {
  database: Database;
  ledger: Ledger;
  usage: UsageService;
  effects: ChargeEffect[];
  clock: Clock;
  /** The API key whose spend limit refused a write (the key-spend effect's guard), if that is what `err` is. */
  keyRefusedBy?: (err: unknown) => number | undefined;
}) {
  const { database, ledger } = deps;
  const payerAccount = (p: Payer): AccountSpec => spendAccount(p);
  const payerOf = (q: ChargeItem) => `${q.payer.userId}:${q.payer.billingMode}`;

  /** Where a charge's money goes: platform revenue, or the supplier's pending earnings and the platform's fee. */
  function creditsOf(q: ChargeItem): Posting[] {
    const { cost, packageUse: use } = q.charge;
    if (!use) return [{ account: ACCOUNTS.platformRevenue, amount: cost }];
    const fee = cost - use.earning;
    return [
      ...(use.earning > 0n ? [{ account: ACCOUNTS.supplierPending(use.supplierUserId), amount: use.earning }] : []),
      ...(fee > 0n ? [{ account: ACCOUNTS.platformFeeIncome, amount: fee }] : []),
    ];
  }

  async function applyEffects(tx: Db, items: ChargeItem[], mode: EffectMode) {
    const statements = items.length > 0 ? deps.effects.flatMap((effect) => effect(items, deps.clock.now(), mode)) : [];
    if (statements.length > 0) await tx.execute(asOneStatement(statements));
  }

  /**
   * One transfer per payer per batch: the payer's account pays the sum of its requests, each receiving account gets
   * its share. The requests themselves are the usage records, each naming the transfer (`charge_ref`), so
   * Σ usage costs = Σ charges holds per transfer — and a batch costs three rows per payer, not per request.
   */
  function batchTransfers(batchId: string, charged: ChargeItem[]): { transfers: TransferRequest[]; refs: Map<ChargeItem, string> } {
    const byPayer = new Map<string, ChargeItem[]>();
    for (const q of charged) {
      const code = payerAccount(q.payer).code;
      const items = byPayer.get(code);
      if (items) items.push(q);
      else byPayer.set(code, [q]);
    }
    const refs = new Map<ChargeItem, string>();
    const transfers = [...byPayer].map(([code, items]) => {
      const ref = `gateway:${batchId}:${code}`;
      const total = items.reduce((sum, q) => sum + q.charge.cost, 0n);
      const credits = new Map<string, Posting>();
      for (const q of items) {
        refs.set(q, ref);
        for (const p of creditsOf(q)) {
          const acc = credits.get(p.account.code);
          credits.set(p.account.code, { account: p.account, amount: (acc?.amount ?? 0n) + p.amount });
        }
      }
      return {
        idempotencyKey: ref,
        kind: 'api_usage',
        reference: ref,
        description: items.length === 1 ? items[0]?.charge.description : `API usage: ${items.length} requests`,
        metadata: { requests: items.length },
        postings: [{ account: payerAccount(items[0]?.payer as Payer), amount: -total }, ...credits.values()],
      };
    });
    return { transfers, refs };
  }

  /** The payers' balances as this transaction leaves them (its own updates hold their rows until it commits). */
  async function balancesAfter(tx: Db, items: ChargeItem[]): Promise<Map<string, PayerBalancesAfter>> {
    const payers = [...new Map(items.map((q) => [payerOf(q), q.payer])).values()];
    const accounts = payers.flatMap((p) => (p.billingMode === 'prepaid' ? [payerAccount(p), ACCOUNTS.userReceivable(p.userId)] : [payerAccount(p)]));
    if (accounts.length === 0) return new Map();
    const read = await ledger.balanceVersions(accounts, tx);
    return new Map(
      payers.map((p) => [
        `${p.userId}:${p.billingMode}`,
        { spend: read.get(payerAccount(p).code), debt: p.billingMode === 'prepaid' ? read.get(ACCOUNTS.userReceivable(p.userId).code) : undefined },
      ]),
    );
  }

  async function fast(batch: ChargeItem[]): Promise<Written[]> {
    const charged = batch.filter((q) => q.charge.cost > 0n);
    const { transfers, refs } = batchTransfers(randomUUID(), charged);
    await ledger.prepareAccounts(transfers.flatMap((t) => t.postings.map((p) => p.account)));
    const alongside = [
      { name: 'usage_rows', statement: deps.usage.insertStatement(batch.map((q) => q.charge.usage), batch.map((q) => refs.get(q) ?? null)) },
      ...deps.effects.flatMap((effect) => effect(batch, deps.clock.now(), { enforceKeyLimits: true })),
    ];
    const result = await ledger.commitMany(transfers, alongside);
    return batch.map((item) => ({ item, after: spendAfter(result, payerAccount(item.payer).code) }));
  }

  /** The careful path's transaction for `items`, none of them refused (yet). */
  async function commitTogether(items: ChargeItem[]): Promise<Written[]> {
    const batchId = randomUUID();
    const charged = items.filter((q) => q.charge.cost > 0n);
    const { transfers, refs } = batchTransfers(batchId, charged);
    await ledger.prepareAccounts(transfers.flatMap((t) => t.postings.map((p) => p.account)));
    return database.transaction(async (tx) => {
      const fresh = await deps.usage.recordNew(items.map((q) => ({ ...q.charge.usage, chargeRef: refs.get(q) ?? null })), tx);
      const isFresh = (q: ChargeItem) => fresh.has(q.charge.requestId);
      // Refs depend only on the batch and the payer, so the records written above still name the right transfers.
      const due = charged.filter(isFresh);
      const toApply = due.length === charged.length ? transfers : batchTransfers(batchId, due).transfers;
      if (toApply.length > 0) await ledger.transferMany(toApply, tx);
      await applyEffects(tx, items.filter(isFresh), { enforceKeyLimits: true });
      const after = await balancesAfter(tx, items.filter(isFresh));
      return items.map((item) => (isFresh(item) ? { item, after: after.get(payerOf(item)) } : { item, replayed: true }));
    });
  }

  async function alone(q: ChargeItem, opts: { keyRefused?: boolean } = {}): Promise<Written> {
    const { payer, charge } = q;
    const wallet = payerAccount(payer);
    const available = payer.billingMode === 'prepaid' ? await ledger.balance(wallet) : charge.cost;
    const fromWallet = available < charge.cost ? (available > 0n ? available : 0n) : charge.cost;
    const owed = charge.cost - fromWallet;
    const transfer: TransferRequest = {
      idempotencyKey: `gateway:${charge.requestId}`,
      kind: 'api_usage',
      reference: charge.requestId,
      description: charge.description,
      postings: [
        ...(fromWallet > 0n ? [{ account: wallet, amount: -fromWallet }] : []),
        ...(owed > 0n ? [{ account: ACCOUNTS.userReceivable(payer.userId), amount: -owed }] : []),
        ...creditsOf(q),
      ],
    };
    if (charge.cost > 0n) await ledger.prepareAccounts(transfer.postings.map((p) => p.account));
    return database.transaction(async (tx): Promise<Written> => {
      const fresh = await deps.usage.recordNew([{ ...charge.usage, chargeRef: charge.cost > 0n ? transfer.idempotencyKey : null }], tx);
      // Recorded before, so charged before (the record commits with the transfer): a retry must not charge again.
      if (!fresh.has(charge.requestId)) return { item: q, replayed: true };
      if (charge.cost > 0n) await ledger.transferMany([transfer], tx);
      await applyEffects(tx, [q], { enforceKeyLimits: false });
      const after = (await balancesAfter(tx, [q])).get(payerOf(q));
      return { item: q, after, keyOverLimit: opts.keyRefused, owed: owed > 0n ? owed : undefined };
    });
  }

  function refusalOf(err: unknown): Refused | undefined {
    if (err instanceof BatchRefused) return { accounts: err.accountCodes, keys: [] };
    const key = deps.keyRefusedBy?.(err);
    return key === undefined ? undefined : { accounts: [], keys: [key] };
  }

  /**
   * The careful path for `items`, after the fast path failed with `refused` (or nothing named). Never throws: what
   * could not be written comes back as failed, each with its error, for the caller to retry or give up on.
   */
  async function careful(items: ChargeItem[], refused: Refused): Promise<{ written: Written[]; failed: Failed[] }> {
    const accounts = new Set(refused.accounts);
    const keys = new Set(refused.keys);
    const isRefused = (q: ChargeItem) => accounts.has(payerAccount(q.payer).code) || (q.payer.apiKeyId !== undefined && keys.has(q.payer.apiKeyId));
    const written: Written[] = [];
    const failed: Failed[] = [];
    let rest = items.filter((q) => !isRefused(q));
    for (let round = 0; rest.length > 0; round += 1) {
      try {
        written.push(...(await commitTogether(rest)));
        break;
      } catch (err) {
        const more = refusalOf(err);
        const named = more ? rest.filter((q) => more.accounts.includes(payerAccount(q.payer).code) || (q.payer.apiKeyId !== undefined && more.keys.includes(q.payer.apiKeyId))) : [];
        if (more && named.length > 0 && round < MAX_REFUSAL_ROUNDS) {
          for (const a of more.accounts) accounts.add(a);
          for (const k of more.keys) keys.add(k);
          rest = rest.filter((q) => !isRefused(q));
          continue;
        }
        // Not a refusal: each payer's charges apart, so that one payer's failure holds up no one else's.
        const groups = groupBy(rest, payerOf);
        if (groups.length === 1) failed.push(...rest.map((item) => ({ item, err })));
        else {
          for (const group of groups) {
            const r = await careful(group, { accounts: [], keys: [] });
            written.push(...r.written);
            failed.push(...r.failed);
          }
        }
        break;
      }
    }
    for (const q of items.filter(isRefused)) {
      try {
        written.push(await alone(q, { keyRefused: q.payer.apiKeyId !== undefined && keys.has(q.payer.apiKeyId) }));
      } catch (err) {
        failed.push({ item: q, err });
      }
    }
    return { written, failed };
  }

  return { fast, careful, alone, refusalOf };
}

export type ChargeWriter = ReturnType<typeof createChargeWriter>;

function spendAfter(result: BatchResult, code: string): PayerBalancesAfter | undefined {
  const balance = result.balances.get(code);
  const version = result.versions?.get(code);
  return balance === undefined || version === undefined ? undefined : { spend: { balance, version } };
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return [...groups.values()];
}
