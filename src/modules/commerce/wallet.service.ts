import type { Database } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { InsufficientFunds, type Ledger } from '../ledger/ledger.service.ts';
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

export function createWalletService(deps: { database: Database; ledger: Ledger; audit: AuditLog }) {
  const { database, ledger, audit } = deps;
  return {
    /**
     * An operator's credit adjustment (µ¥, signed), paid from or returned to the promotions account, audited.
     * Idempotent by key: a retried request does not adjust twice.
     */
    async adjust(actor: Principal, userId: number, amount: bigint, reason: string, idempotencyKey: string, requestId: string) {
      const wallet = ACCOUNTS.userWallet(userId);
      return database.transaction(async (tx) => {
        let result;
        try {
          result = await ledger.transfer(
            {
              idempotencyKey: `adjust:${userId}:${idempotencyKey}`,
              kind: 'adjust',
              reference: `user:${userId}`,
              description: `运营调整：${reason}`,
              metadata: { operator: actor.userId },
              postings: [{ account: ACCOUNTS.promoExpense, amount: -amount }, { account: wallet, amount }],
            },
            tx,
          );
        } catch (err) {
          if (err instanceof InsufficientFunds) throw new AppError('INSUFFICIENT_CREDITS', 'The adjustment would take the balance below zero');
          throw err;
        }
        const after = result.balances.get(wallet.code) as bigint;
        if (!result.replayed) {
          // From the transfer itself: a balance read before it could be stale under concurrent adjustments.
          const before = after - amount;
          await audit.record(tx, {
            actorUserId: actor.userId, tenantUserId: userId, action: 'credits.adjust', objectType: 'wallet', objectId: String(userId),
            before: { balance: before }, after: { balance: after }, reason, requestId,
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
