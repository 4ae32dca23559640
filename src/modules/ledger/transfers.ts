import { AppError } from '../../platform/errors.ts';
import type { AccountSpec } from './accounts.ts';

// A transfer as the ledger takes it, and the rules it must meet before any SQL runs (DESIGN.md §3: at least two
// postings, bigint amounts, none zero, summing to zero).

export interface Posting {
  account: AccountSpec;
  amount: bigint;
  /** A credit that first pays what this account is owed (its negative balance); see debts.ts. */
  payDebtOf?: AccountSpec;
}

/** Where a credit goes: the account, and the debt it pays first (if any). */
export type CreditTarget = Omit<Posting, 'amount'>;

export interface TransferRequest {
  idempotencyKey: string;
  kind: string;
  reference?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  postings: Posting[];
}

export interface TransferResult {
  transferId: number;
  /** True when the key had already been used and nothing moved now. */
  replayed: boolean;
  /** Balance after this transfer per account code (for a replay: as recorded then). */
  balances: Map<string, bigint>;
  /** What the transfer moved per account code, net (a debt-first credit shows its split here). */
  deltas: Map<string, bigint>;
}

export class InsufficientFunds extends AppError {
  constructor(readonly accountCode: string) {
    super('INSUFFICIENT_CREDITS', 'Insufficient balance');
  }
}

export function validate(req: TransferRequest): void {
  if (req.postings.length < 2) throw new Error(`transfer ${req.idempotencyKey}: needs at least two postings`);
  let sum = 0n;
  for (const p of req.postings) {
    if (typeof p.amount !== 'bigint') throw new Error(`transfer ${req.idempotencyKey}: amounts must be bigint`);
    if (p.amount === 0n) throw new Error(`transfer ${req.idempotencyKey}: zero posting on ${p.account.code}`);
    sum += p.amount;
  }
  if (sum !== 0n) throw new Error(`transfer ${req.idempotencyKey}: postings sum to ${sum}, not 0`);
}

export function netByCode(rows: [string, bigint][]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [code, amount] of rows) out.set(code, (out.get(code) ?? 0n) + amount);
  return out;
}

/** The batch paths write postings as given: a debt-first credit needs the locked read of `transfer`. */
export function validateBatch(reqs: TransferRequest[]): void {
  for (const r of reqs) {
    validate(r);
    if (r.postings.some((p) => p.payDebtOf)) throw new Error(`transfer ${r.idempotencyKey}: debt-first credits go through transfer()`);
  }
}
