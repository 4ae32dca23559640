import type { Logger } from 'pino';
import type { Database, Db } from '../../platform/db.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import type { Clock } from '../../platform/time.ts';
import type { OrderRow } from '../commerce/commerce.tables.ts';
import type { OrderService } from '../commerce/orders.service.ts';
import type { OrderOffer, OrderPromotions } from '../commerce/promotions.ts';
import type { WalletService } from '../commerce/wallet.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import * as repo from './activities.repo.ts';
import { activityCredits, activityStatus, effectValue, giftTrigger, orderEffect, type ActivityStatus } from './activity-effects.ts';
import type { ActivityConfig, ActivityRow, ActivityType } from './operations.tables.ts';

export interface NewActivityInput {
  name: string;
  type: ActivityType;
  description: string;
  config: ActivityConfig;
  startsAt: Date;
  endsAt: Date;
}

export interface ActivityDeps {
  database: Database;
  clock: Clock;
  wallet: Pick<WalletService, 'credit'>;
  /** Whether a pending order can still be paid as priced (a first-purchase offer it holds is not free yet). */
  orders: Pick<OrderService, 'isOpen'>;
  log: Pick<Logger, 'warn'>;
}

const compareBig = (a: bigint, b: bigint) => (a > b ? 1 : a < b ? -1 : 0);
const giftKey = (activityId: number, userId: number) => `activity:${activityId}:user:${userId}`;

export function createActivityService(deps: ActivityDeps) {
  const { database, clock, wallet, orders, log } = deps;

  /** Pays a credit_gift to the user from promo expense, once (the participation row, and the transfer's key). */
  async function giveGift(tx: Db, activity: ActivityRow, userId: number): Promise<bigint | undefined> {
    const reward = activityCredits(activity);
    const now = clock.now();
    const part = await repo.insertParticipation(tx, { activityId: activity.id, userId, status: 'completed', reward, createdAt: now, completedAt: now });
    if (!part) return undefined;
    await wallet.credit(
      { idempotencyKey: giftKey(activity.id, userId), kind: 'gift', reference: `activity:${activity.id}`, description: `活动赠送：${activity.name}`, userId, amount: reward, from: ACCOUNTS.promoExpense },
      tx,
    );
    return reward;
  }

  /**
   * Holds the user's first-purchase offer of `activityId` for the order being opened. None when the user has used a
   * first-purchase offer, or an order that can still be paid holds one; a hold whose order can no longer be paid
   * (expired, failed) is taken over.
   */
  async function reserveFirstPurchase(tx: Db, activityId: number, userId: number): Promise<boolean> {
    const parts = await repo.firstPurchaseParts(tx, userId);
    if (parts.some((p) => p.status === 'completed')) return false;
    for (const p of parts) if (p.orderNo !== null && (await orders.isOpen(p.orderNo, tx))) return false;
    const fresh = await repo.insertParticipation(tx, { activityId, userId, status: 'reserved', createdAt: clock.now() });
    if (fresh) return true;
    const stale = parts.find((p) => p.activityId === activityId && p.status === 'reserved' && p.orderNo !== null);
    return stale !== undefined && repo.takeOverReservation(tx, stale.id, stale.orderNo as string);
  }

  const promotions: Pick<OrderPromotions, 'offer' | 'attach'> & { paid(tx: Db, order: OrderRow): Promise<void> } = {
    /**
     * The activity worth most to this order: a live membership discount for every membership order (it is not once per
     * user), a first-purchase offer only while the user has never paid an order.
     */
    async offer(tx, o): Promise<OrderOffer | undefined> {
      const types: ActivityType[] = [...(o.kind === 'membership' ? ['membership_discount' as const] : []), ...(o.firstOrder ? ['first_purchase' as const] : [])];
      if (types.length === 0) return undefined;
      const ranked = (await repo.activeOfTypes(tx, types, clock.now()))
        .map((activity) => ({ activity, effect: orderEffect(activity, o) }))
        .filter((c) => effectValue(c.effect) > 0n)
        .sort((x, y) => compareBig(effectValue(y.effect), effectValue(x.effect)) || x.activity.id - y.activity.id);
      for (const { activity, effect } of ranked) {
        if (activity.type === 'first_purchase' && !(await reserveFirstPurchase(tx, activity.id, o.userId))) continue;
        return { activityId: activity.id, ...effect };
      }
      return undefined;
    },

    attach: (tx, offer, order) => repo.attachReservation(tx, offer.activityId, order.userId, order.orderNo),

    /**
     * The order's activity is used. A first-purchase hold completes. A membership discount goes on pricing the user's
     * membership orders; its participation row only says the user has taken part, naming the first order paid with it.
     */
    async paid(tx, order) {
      if (order.activityId === null) return;
      const now = clock.now();
      if (await repo.completeReservation(tx, order.activityId, order.userId, order.orderNo, order.bonusCredits, now)) return;
      const activity = await repo.findActivity(tx, order.activityId);
      if (activity?.type === 'membership_discount') {
        await repo.insertParticipation(tx, { activityId: activity.id, userId: order.userId, status: 'completed', orderNo: order.orderNo, createdAt: now, completedAt: now });
        return;
      }
      // Paid after its deadline, when a newer order had taken the offer over: the payer paid this price, so it stands.
      log.warn({ orderNo: order.orderNo, activityId: order.activityId }, 'a late payment used a first-purchase offer another order holds');
    },
  };

  return {
    promotions,

    async create(actor: Principal, input: NewActivityInput): Promise<ActivityRow> {
      if (input.endsAt <= input.startsAt) throw badRequest('end_time must be after start_time', { field: 'body.end_time' });
      return repo.insertActivity(database.db, { ...input, createdBy: actor.userId, createdAt: clock.now() });
    },

    page: (actor: Principal, status: ActivityStatus | undefined, window: { limit: number; offset: number }) =>
      repo.pageActivities(database.db, status, clock.now(), actor.userId, window.limit, window.offset),

    /** Takes part in a credit_gift activity: its credits, once, only inside its window (40010 outside it). */
    async participate(actor: Principal, activityId: number): Promise<{ activity: ActivityRow; reward: bigint }> {
      return database.transaction(async (tx) => {
        const activity = await repo.findActivity(tx, activityId);
        if (!activity) throw notFound('Activity');
        const status = activityStatus(activity, clock.now());
        if (status === 'ended') throw new AppError('ACTIVITY_ENDED', '活动已结束');
        if (status === 'upcoming') throw new AppError('ACTIVITY_ENDED', '活动尚未开始');
        if (activity.type !== 'credit_gift' || giftTrigger(activity) !== 'participate') {
          throw badRequest(`This ${activity.type === 'credit_gift' ? 'gift is given on registration' : 'activity applies by itself'}; there is nothing to join`, {
            field: 'params.activity_id',
          });
        }
        const reward = await giveGift(tx, activity, actor.userId);
        if (reward === undefined) throw conflict('您已参加过该活动');
        return { activity, reward };
      });
    },

    /** In the registration's transaction: every credit_gift given on registration that is live now. */
    async onRegistered(tx: Db, userId: number): Promise<void> {
      for (const activity of await repo.activeOfTypes(tx, ['credit_gift'], clock.now())) {
        if (giftTrigger(activity) === 'register') await giveGift(tx, activity, userId);
      }
    },

    /** The live referral_bonus activity that pays most, if any: it replaces the default referral reward. */
    async referralBonus(tx: Db): Promise<{ activityId: number; reward: bigint } | undefined> {
      let best: { activityId: number; reward: bigint } | undefined;
      for (const a of await repo.activeOfTypes(tx, ['referral_bonus'], clock.now())) {
        if (!best || activityCredits(a) > best.reward) best = { activityId: a.id, reward: activityCredits(a) };
      }
      return best;
    },
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;
