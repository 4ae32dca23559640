import type { Db } from '../../platform/db.ts';
import type { OrderKind, OrderRow } from './commerce.tables.ts';

// What operations' activities and referrals do to orders. Commerce calls these inside its own transactions (opening,
// paying, refunding an order); the operations module implements them. Commerce is built first, so app.ts binds the
// implementation once it exists (latePromotions), before any request is served.

/** An activity's effect on one order. */
export interface OrderOffer {
  activityId: number;
  /** µ¥ off the list price; the price left is whole fen and at least MIN_PAYABLE. */
  discount: bigint;
  /** µ¥ of credits added when the order is paid. */
  bonusCredits: bigint;
}

export interface OrderPromotions {
  /**
   * The best activity for an order being opened in `tx`, reserved for it when it is once per user; undefined when none
   * applies. `firstOrder`: the user has never paid an order.
   */
  offer(tx: Db, o: { userId: number; kind: OrderKind; listAmount: bigint; firstOrder: boolean }): Promise<OrderOffer | undefined>;
  /** The order that took `offer` exists now (same transaction). */
  attach(tx: Db, offer: OrderOffer, order: OrderRow): Promise<void>;
  /** Runs in the transaction that marks `order` paid (once per order). */
  paid(tx: Db, order: OrderRow): Promise<void>;
  /** Runs in the transaction that refunds `order` (once per order). */
  refunded(tx: Db, order: OrderRow): Promise<void>;
}

export const NO_PROMOTIONS: OrderPromotions = {
  offer: async () => undefined,
  attach: async () => undefined,
  paid: async () => undefined,
  refunded: async () => undefined,
};

/** Promotions that forward to an implementation bound later; until then, none. */
export function latePromotions(): OrderPromotions & { bind(impl: OrderPromotions): void } {
  let impl = NO_PROMOTIONS;
  return {
    bind: (next) => void (impl = next),
    offer: (tx, o) => impl.offer(tx, o),
    attach: (tx, offer, order) => impl.attach(tx, offer, order),
    paid: (tx, order) => impl.paid(tx, order),
    refunded: (tx, order) => impl.refunded(tx, order),
  };
}
