import type { Db } from '../../platform/db.ts';
import * as repo from './ledger.repo.ts';
import type { TransferRequest } from './ledger.service.ts';

// Many transfers in one go, for the gateway's group commit: one INSERT for the transfers, one guarded UPDATE for all
// the balances they touch, one INSERT for the postings — whatever the batch size. The invariants are those of a
// single transfer: each sums to zero, each key moves money once, a never-negative account is never below zero.

export interface BatchResult {
  /** Keys that had already been used: nothing moved for them now. */
  replayed: string[];
  /** Balance after the batch per account code touched. */
  balances: Map<string, bigint>;
  /** The accounts' versions after the batch (see ledger.tables.ts), when the batch knows them. */
  versions?: Map<string, number>;
}

/** Thrown (rolling the batch back) when a never-negative account would go below zero; names the accounts. */
export class BatchRefused extends Error {
  constructor(readonly accountCodes: string[]) {
    super(`batch refused: ${accountCodes.join(', ')} would go below zero`);
  }
}

export async function applyBatch(db: Db, reqs: TransferRequest[], ids: Map<string, number>, now: Date, lockInOrder: boolean): Promise<BatchResult> {
  const claimed = await repo.insertTransfers(
    db,
    reqs.map((r) => ({ idempotencyKey: r.idempotencyKey, kind: r.kind, reference: r.reference, description: r.description, metadata: r.metadata, createdAt: now })),
  );
  const fresh = reqs.filter((r) => claimed.has(r.idempotencyKey));
  const replayed = reqs.filter((r) => !claimed.has(r.idempotencyKey)).map((r) => r.idempotencyKey);
  if (fresh.length === 0) return { replayed, balances: new Map() };

  const deltas = new Map<number, bigint>();
  for (const r of fresh) {
    for (const p of r.postings) {
      const id = ids.get(p.account.code) as number;
      deltas.set(id, (deltas.get(id) ?? 0n) + p.amount);
    }
  }
  const moving = [...deltas].filter(([, d]) => d !== 0n);
  const finals = moving.length > 0 ? await repo.applyDeltas(db, moving, now, lockInOrder) : new Map<number, bigint>();
  const codeOf = new Map([...ids].map(([code, id]) => [id, code]));
  const refused = moving.filter(([id]) => !finals.has(id)).map(([id]) => codeOf.get(id) ?? String(id));
  if (refused.length > 0) throw new BatchRefused(refused);

  // balance_after per posting: walk forward from each account's balance before the batch.
  const running = new Map<number, bigint>();
  for (const [id, delta] of deltas) running.set(id, (finals.get(id) ?? 0n) - delta);
  const unmoved = [...deltas].filter(([, d]) => d === 0n).map(([id]) => id);
  if (unmoved.length > 0) {
    // Accounts whose deltas cancel out inside the batch still need their balance for balance_after.
    for (const a of await repo.accountsByIds(db, unmoved)) running.set(a.id, a.balance);
  }
  const postings = fresh.flatMap((r) =>
    r.postings.map((p) => {
      const accountId = ids.get(p.account.code) as number;
      const after = (running.get(accountId) as bigint) + p.amount;
      running.set(accountId, after);
      return { transferId: claimed.get(r.idempotencyKey) as number, accountId, amount: p.amount, balanceAfter: after, createdAt: now };
    }),
  );
  await repo.insertPostings(db, postings);
  const balances = new Map<string, bigint>();
  for (const [id, balance] of running) balances.set(codeOf.get(id) as string, balance);
  return { replayed, balances };
}
