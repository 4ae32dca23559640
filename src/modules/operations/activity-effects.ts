import { parseCny } from '../../platform/money.ts';
import { creditsToMicros, MICROS_PER_FEN, MIN_PAYABLE } from '../commerce/pricing.ts';
import type { ActivityRow } from './operations.tables.ts';

// What an activity does, as pure functions of its row: where it stands in its window, what it gives an order, and
// the credits it pays. Times are instants; the window is inclusive at both ends (like coupons' validity).

export const ACTIVITY_STATUSES = ['upcoming', 'active', 'ended'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

export function activityStatus(a: Pick<ActivityRow, 'startsAt' | 'endsAt'>, now: Date): ActivityStatus {
  if (now < a.startsAt) return 'upcoming';
  return now > a.endsAt ? 'ended' : 'active';
}

export interface OrderEffect {
  /** µ¥ off the list price. */
  discount: bigint;
  /** µ¥ of credits added on payment. */
  bonusCredits: bigint;
}

const NONE: OrderEffect = { discount: 0n, bonusCredits: 0n };

/** `percent` off, the price left rounded up to a whole fen and never below MIN_PAYABLE (as discount coupons do). */
function percentOff(listAmount: bigint, percent: number): bigint {
  const raw = (listAmount * BigInt(100 - percent)) / 100n;
  const payable = ((raw + MICROS_PER_FEN - 1n) / MICROS_PER_FEN) * MICROS_PER_FEN;
  return listAmount - (payable > MIN_PAYABLE ? payable : MIN_PAYABLE);
}

/** A fixed amount off, leaving at least MIN_PAYABLE to pay. */
function amountOff(listAmount: bigint, amount: bigint): bigint {
  const most = listAmount - MIN_PAYABLE;
  if (most <= 0n) return 0n;
  return amount < most ? amount : most;
}

/** What an activity gives an order of `listAmount` (membership discounts: membership orders only). */
export function orderEffect(a: Pick<ActivityRow, 'type' | 'config'>, order: { kind: 'recharge' | 'membership'; listAmount: bigint }): OrderEffect {
  const c = a.config;
  switch (a.type) {
    case 'membership_discount':
      if (order.kind !== 'membership') return NONE;
      if (c.percent !== undefined) return { discount: percentOff(order.listAmount, c.percent), bonusCredits: 0n };
      return { discount: amountOff(order.listAmount, parseCny(c.amount ?? 0, 2) ?? 0n), bonusCredits: 0n };
    case 'first_purchase':
      if (c.percent !== undefined) return { discount: percentOff(order.listAmount, c.percent), bonusCredits: 0n };
      return { discount: 0n, bonusCredits: creditsToMicros(c.credits ?? 0) };
    default:
      return NONE;
  }
}

/** µ¥ an order effect is worth to the buyer: offers are compared by it. */
export const effectValue = (e: OrderEffect) => e.discount + e.bonusCredits;

/** µ¥ of credits a credit_gift or referral_bonus activity pays. */
export const activityCredits = (a: Pick<ActivityRow, 'config'>): bigint => creditsToMicros(a.config.credits ?? 0);

/** How a credit_gift is given: by participating (the default), or on registration. */
export const giftTrigger = (a: Pick<ActivityRow, 'config'>): 'participate' | 'register' => a.config.on ?? 'participate';

