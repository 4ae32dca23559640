import type { Db } from '../../platform/db.ts';
import type { AccountSpec } from './accounts.ts';
import * as repo from './ledger.repo.ts';
import type { Posting } from './ledger.service.ts';

// Debt first (DESIGN.md §5): a credit marked `payDebtOf` pays what that account is owed — its negative balance —
// before the rest reaches the credited account, inside the same transfer. A gateway overshoot that a prepaid wallet
// could not cover sits in the user's receivable; the next payment, gift, refund or bonus settles it this way.

/** The accounts a transfer touches, debt accounts included. */
export const accountsOf = (postings: Posting[]): AccountSpec[] =>
  postings.flatMap((p) => (p.payDebtOf ? [p.account, p.payDebtOf] : [p.account]));

/**
 * Splits every debt-first credit into what pays the debt and what remains. The transfer's accounts are locked in id
 * order first — the order every balance update takes — so the debt read here cannot change before the transfer
 * applies, and two credits at once cannot both pay the same debt.
 */
export async function payDebtsFirst(db: Db, postings: Posting[], ids: Map<string, number>): Promise<Posting[]> {
  if (!postings.some((p) => p.payDebtOf)) return postings;
  const balances = await repo.lockBalances(db, [...new Set(ids.values())]);
  const plain = postings.filter((p) => !p.payDebtOf);
  // What the debt account will hold after the transfer's other postings to it (a reversal may re-open a debt).
  const pending = new Map<string, bigint>();
  for (const p of plain) pending.set(p.account.code, (pending.get(p.account.code) ?? 0n) + p.amount);
  const out: Posting[] = [...plain];
  for (const p of postings.filter((x) => x.payDebtOf)) {
    const debt = p.payDebtOf as AccountSpec;
    if (p.amount <= 0n) throw new Error(`posting on ${p.account.code}: only a credit can pay a debt first`);
    const balance = (balances.get(ids.get(debt.code) as number) ?? 0n) + (pending.get(debt.code) ?? 0n);
    const owed = balance < 0n ? -balance : 0n;
    const paid = owed < p.amount ? owed : p.amount;
    if (paid > 0n) {
      out.push({ account: debt, amount: paid });
      pending.set(debt.code, (pending.get(debt.code) ?? 0n) + paid);
    }
    if (p.amount - paid > 0n) out.push({ account: p.account, amount: p.amount - paid });
  }
  return out;
}

/**
 * The per-account sums a replayed key is compared by, with the debt account counted as the account its credit went
 * to (on both sides): the same request asked again splits differently once the debt has changed, and is still the same.
 */
export function replayShape(asked: Posting[], ids: Map<string, number>, stored: { accountId: number; amount: bigint }[]) {
  const debtToCredited = new Map<number, number>();
  for (const p of asked) if (p.payDebtOf) debtToCredited.set(ids.get(p.payDebtOf.code) as number, ids.get(p.account.code) as number);
  const shape = (rows: [number, bigint][]) => {
    const sums = new Map<number, bigint>();
    for (const [raw, amount] of rows) {
      const id = debtToCredited.get(raw) ?? raw;
      sums.set(id, (sums.get(id) ?? 0n) + amount);
    }
    return [...sums].filter(([, v]) => v !== 0n).map(([id, v]) => `${id}:${v}`).sort().join(',');
  };
  return {
    asked: shape(asked.map((p) => [ids.get(p.account.code) as number, p.amount])),
    stored: shape(stored.map((p) => [p.accountId, p.amount])),
  };
}
