import type { Database, Db } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { formatStudioTime } from '../../platform/time.ts';
import type { BillingMode } from '../identity/identity.tables.ts';
import { ACCOUNTS, type AccountSpec } from '../ledger/accounts.ts';
import { InsufficientFunds, type CreditTarget, type Ledger, type Posting, type TransferRequest } from '../ledger/ledger.service.ts';
import { creditsOf } from './pricing.ts';

/** Ledger transfer kinds as the studio's transaction types. */
const TRANSACTION_TYPES: Record<string, string> = {
  recharge: 'recharge',
  membership: 'membership',
  refund: 'refund',
  gift: 'gift',
  bonus: 'bonus',
  adjust: 'adjust',
  consume: 'consume',
  charge: 'consume',
  api_usage: 'consume',
  hold: 'hold',
  hold_release: 'release',
};

/** A transfer to one user's wallet: its postings are derived (the debt first, then the wallet). */
export interface WalletCredit extends Omit<TransferRequest, 'postings'> {
  userId: number;
  /** µ¥, more than 0. */
  amount: bigint;
  /** Who pays it, e.g. the promotions account for a gift. */
  from: AccountSpec;
}

export function createWalletService(deps: {
  database: Database;
  ledger: Ledger;
  audit: AuditLog;
  /** The user's billing mode (identity's users service), read in `db` when given (PGlite has one connection). */
  billingMode: (userId: number, db?: Db) => Promise<BillingMode>;
}) {
  const { database, ledger, audit } = deps;

  /**
   * Where a credit to the user's wallet goes. A prepaid user's receivable below zero is a debt (a gateway overshoot
   * the wallet could not cover): every credit pays it first. A postpaid user's receivable is the running bill,
   * settled by invoice, so credits go to the wallet untouched.
   */
  async function creditTarget(userId: number, db?: Db): Promise<CreditTarget> {
    const wallet = ACCOUNTS.userWallet(userId);
    return (await deps.billingMode(userId, db)) === 'prepaid' ? { account: wallet, payDebtOf: ACCOUNTS.userReceivable(userId) } : { account: wallet };
  }

  /** A credit of `amount` to the user's wallet, as a posting (its debt first). Every path that credits a user uses this. */
  const walletCredit = async (userId: number, amount: bigint, db?: Db): Promise<Posting> => ({ ...(await creditTarget(userId, db)), amount });

  /** One transfer from `c.from` to the user: the debt first, the rest to the wallet. Idempotent by key. */
  async function credit(c: WalletCredit, tx?: Db) {
    if (c.amount <= 0n) throw new Error('a wallet credit must be positive');
    const { from, userId, amount, ...transfer } = c;
    return ledger.transfer({ ...transfer, postings: [{ account: from, amount: -amount }, await walletCredit(userId, amount, tx)] }, tx);
  }

  return {
    creditTarget,
    credit,

    /** What the user owes (µ¥, 0 when nothing): the receivable below zero, and whether credits pay it first. */
    async debt(userId: number): Promise<{ owed: bigint; billingMode: BillingMode }> {
      const [balance, billingMode] = await Promise.all([ledger.balance(ACCOUNTS.userReceivable(userId)), deps.billingMode(userId)]);
      return { owed: balance < 0n ? -balance : 0n, billingMode };
    },

    /**
     * An operator's credit adjustment (µ¥, signed), paid from or returned to the promotions account, audited.
     * Idempotent by key: a retried request does not adjust twice. A positive adjustment is a credit: debt first.
     */
    async adjust(actor: Principal, userId: number, amount: bigint, reason: string, idempotencyKey: string, requestId: string) {
      const wallet = ACCOUNTS.userWallet(userId);
      const transfer = {
        idempotencyKey: `adjust:${userId}:${idempotencyKey}`, kind: 'adjust', reference: `user:${userId}`, description: `运营调整：${reason}`,
        metadata: { operator: actor.userId },
      };
      return database.transaction(async (tx) => {
        let result;
        try {
          result = amount > 0n
            ? await credit({ ...transfer, userId, amount, from: ACCOUNTS.promoExpense }, tx)
            : await ledger.transfer({ ...transfer, postings: [{ account: ACCOUNTS.promoExpense, amount: -amount }, { account: wallet, amount }] }, tx);
        } catch (err) {
          if (err instanceof InsufficientFunds) throw new AppError('INSUFFICIENT_CREDITS', 'The adjustment would take the balance below zero');
          throw err;
        }
        // From the transfer itself: a balance read before it could be stale under concurrent adjustments.
        const moved = result.deltas.get(wallet.code) ?? 0n;
        const after = result.balances.get(wallet.code) ?? (await ledger.balance(wallet, tx));
        if (!result.replayed) {
          const debtPaid = result.deltas.get(ACCOUNTS.userReceivable(userId).code) ?? 0n;
          await audit.record(tx, {
            actorUserId: actor.userId, tenantUserId: userId, action: 'credits.adjust', objectType: 'wallet', objectId: String(userId),
            before: { balance: after - moved }, after: { balance: after, ...(debtPaid > 0n ? { debt_paid: debtPaid } : {}) }, reason, requestId,
          });
        }
        return { balance: after, replayed: result.replayed };
      });
    },

    /** The user's wallet movements, newest first, each with the balance it left. */
    async transactions(userId: number, window: { limit: number; offset: number }) {
      const { rows, total } = await ledger.history(ACCOUNTS.userWallet(userId), window);
      return {
        total,
        rows: rows.map((r) => ({
          id: r.id,
          type: TRANSACTION_TYPES[r.kind] ?? r.kind,
          amount: creditsOf(r.amount),
          balance_after: creditsOf(r.balanceAfter),
          description: r.description ?? '',
          reference: r.reference,
          created_at: formatStudioTime(r.createdAt),
        })),
      };
    },
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
