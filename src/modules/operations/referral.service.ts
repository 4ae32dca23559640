import type { Logger } from 'pino';
import type { Database, Db } from '../../platform/db.ts';
import type { Principal } from '../../platform/principal.ts';
import { beijingDay, type Clock } from '../../platform/time.ts';
import type { OrderRow } from '../commerce/commerce.tables.ts';
import { creditsToMicros } from '../commerce/pricing.ts';
import type { WalletService } from '../commerce/wallet.service.ts';
import type { UserRow } from '../identity/identity.tables.ts';
import type { UserService } from '../identity/users.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { InsufficientFunds, type Ledger } from '../ledger/ledger.service.ts';
import type { ActivityService } from './activities.service.ts';
import type { ReferralRow } from './operations.tables.ts';
import * as repo from './referral.repo.ts';

// Referral (DESIGN.md §8): a user's code brings a friend; the friend's first order paid with money pays the referrer
// a reward from promo expense — once, within the referrer's daily limit — and a refund of that order takes it back.

export const REFERRAL_DEFAULTS = {
  /** Whole credits per rewarded referral, unless a live referral_bonus activity says otherwise. */
  rewardCredits: 50,
  /** Rewards per referrer per Beijing day. */
  dailyLimit: 20,
};

export interface ReferralDeps {
  database: Database;
  clock: Clock;
  ledger: Pick<Ledger, 'transfer' | 'balance'>;
  wallet: Pick<WalletService, 'credit'>;
  users: Pick<UserService, 'getLive' | 'findByReferralCode' | 'usernames'>;
  activities: Pick<ActivityService, 'referralBonus'>;
  publicBaseUrl: string;
  log: Pick<Logger, 'info' | 'warn'>;
  rewardCredits?: number;
  dailyLimit?: number;
}

class DailyLimitReached extends Error {}

/** `user123` → `us***3`: enough for a referrer to recognise a friend, not enough to find them. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 2) return `${chars[0] ?? ''}***`;
  if (chars.length <= 4) return `${chars[0]}***${chars.at(-1)}`;
  return `${chars[0]}${chars[1]}***${chars.at(-1)}`;
}

export function createReferralService(deps: ReferralDeps) {
  const { database, clock, ledger, wallet, users, activities, log } = deps;
  const defaultReward = creditsToMicros(deps.rewardCredits ?? REFERRAL_DEFAULTS.rewardCredits);
  const dailyLimit = deps.dailyLimit ?? REFERRAL_DEFAULTS.dailyLimit;

  /**
   * Pays the reward and counts it against the referrer's day, together or not at all. The count comes after the
   * credit, in a savepoint: every path then locks promo expense before the counter (a payment with a discount has
   * locked promo expense already), so two friends' payments at once cannot deadlock on them.
   */
  async function payReward(tx: Db, referral: ReferralRow, reward: bigint, day: string): Promise<boolean> {
    try {
      await tx.transaction(async (sp) => {
        await wallet.credit(
          {
            idempotencyKey: `referral:${referral.id}:reward`, kind: 'bonus', reference: `referral:${referral.id}`, description: '推荐奖励：好友首单已支付',
            userId: referral.referrerId, amount: reward, from: ACCOUNTS.promoExpense,
          },
          sp as Db,
        );
        if (!(await repo.countReward(sp as Db, referral.referrerId, day, dailyLimit))) throw new DailyLimitReached();
      });
      return true;
    } catch (err) {
      if (err instanceof DailyLimitReached) return false;
      throw err;
    }
  }

  /**
   * Takes a reward back to promo expense: from the wallet as far as it goes, the rest from the receivable — the
   * ledger's debt, as for a gateway overshoot, which the referrer's next credit pays first (DESIGN.md §5). A spend
   * racing the read is retried; the last try takes it all as debt.
   */
  async function takeBack(tx: Db, referral: ReferralRow): Promise<void> {
    const walletAccount = ACCOUNTS.userWallet(referral.referrerId);
    for (let attempt = 0; ; attempt++) {
      const balance = attempt < 2 ? await ledger.balance(walletAccount, tx) : 0n;
      const fromWallet = balance < referral.reward ? (balance > 0n ? balance : 0n) : referral.reward;
      const owed = referral.reward - fromWallet;
      try {
        await tx.transaction(async (sp) => {
          await ledger.transfer(
            {
              idempotencyKey: `referral:${referral.id}:clawback`, kind: 'clawback', reference: `referral:${referral.id}`, description: '推荐奖励收回：好友首单已退款',
              postings: [
                ...(fromWallet > 0n ? [{ account: walletAccount, amount: -fromWallet }] : []),
                ...(owed > 0n ? [{ account: ACCOUNTS.userReceivable(referral.referrerId), amount: -owed }] : []),
                { account: ACCOUNTS.promoExpense, amount: referral.reward },
              ],
            },
            sp as Db,
          );
        });
        return;
      } catch (err) {
        if (!(err instanceof InsufficientFunds) || attempt >= 2) throw err;
      }
    }
  }

  return {
    /** The user's code (stable: the one they registered with) and the link that carries it. */
    async link(actor: Principal): Promise<{ code: string; url: string }> {
      const user = await users.getLive(actor.userId);
      return { code: user.referralCode, url: `${deps.publicBaseUrl}/register?ref=${encodeURIComponent(user.referralCode)}` };
    },

    /** In the registration's transaction: records the referrer of `ref`. An unknown code, or one's own, is ignored. */
    async onRegistered(tx: Db, user: UserRow, ref: string | undefined): Promise<void> {
      const code = ref?.trim();
      if (!code) return;
      const referrer = await users.findByReferralCode(code, tx);
      if (!referrer || referrer.id === user.id) return;
      await repo.insertReferral(tx, { referrerId: referrer.id, referredId: user.id, createdAt: clock.now() });
    },

    /** The referrer's referrals with the referred users' names masked, and the rewards they keep (µ¥). */
    async records(actor: Principal, window: { limit: number; offset: number }) {
      const page = await repo.pageOfReferrer(database.db, actor.userId, window.limit, window.offset);
      const names = await users.usernames(page.rows.map((r) => r.referredId));
      return { ...page, rows: page.rows.map((r) => ({ ...r, referredName: maskName(names.get(r.referredId) ?? '') })) };
    },

    /** Operators: every referral, newest first, with both users unmasked, and the rewards kept among them (µ¥). */
    all: (filter: repo.ReferralFilter, window: { limit: number; offset: number }) => repo.pageAll(database.db, filter, window.limit, window.offset),

    /**
     * In the transaction that marks `order` paid: the first order the referred user pays with money decides the
     * reward (orders paid with credits bring no money). The locked referral row makes it once, however many orders
     * are paid at once.
     */
    async rewardFirstOrder(tx: Db, order: OrderRow): Promise<void> {
      if (order.provider === 'balance') return;
      const referral = await repo.lockByReferred(tx, order.userId);
      if (!referral || referral.status !== 'pending') return;
      const now = clock.now();
      const bonus = await activities.referralBonus(tx);
      const reward = bonus?.reward ?? defaultReward;
      const decided = { orderNo: order.orderNo, activityId: bonus?.activityId ?? null };
      if (await payReward(tx, referral, reward, beijingDay(now))) {
        await repo.update(tx, referral.id, { ...decided, status: 'completed', reward, rewardedAt: now });
        return;
      }
      await repo.update(tx, referral.id, { ...decided, status: 'not_rewarded', reason: `daily_limit: the referrer had ${dailyLimit} rewards on ${beijingDay(now)}` });
      log.info({ referralId: referral.id, referrerId: referral.referrerId, dailyLimit }, 'referral not rewarded: daily limit reached');
    },

    /** In the transaction that refunds `order`: when it was the rewarded first order, the reward goes back. */
    async clawBack(tx: Db, order: OrderRow): Promise<void> {
      const referral = await repo.lockByReferred(tx, order.userId);
      if (!referral || referral.status !== 'completed' || referral.orderNo !== order.orderNo) return;
      await takeBack(tx, referral);
      await repo.update(tx, referral.id, { status: 'clawed_back', clawedBackAt: clock.now() });
      log.warn({ referralId: referral.id, orderNo: order.orderNo }, 'referral reward clawed back: the first order was refunded');
    },
  };
}

export type ReferralService = ReturnType<typeof createReferralService>;
