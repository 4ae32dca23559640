import type { FastifyInstance } from 'fastify';
import type { Database, Db } from '../../platform/db.ts';
import type { Clock } from '../../platform/time.ts';
import type { OrderService } from '../commerce/orders.service.ts';
import type { OrderPromotions } from '../commerce/promotions.ts';
import type { WalletService } from '../commerce/wallet.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { UserRow } from '../identity/identity.tables.ts';
import type { UserService } from '../identity/users.service.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { activityRoutes } from './activities.routes.ts';
import { createActivityService } from './activities.service.ts';
import { referralAdminRoutes } from './referral-admin.routes.ts';
import { referralRoutes } from './referral.routes.ts';
import { createReferralService } from './referral.service.ts';
import { statisticsRoutes } from './statistics.routes.ts';
import { createStatisticsService } from './statistics.service.ts';

export interface OperationsModuleDeps {
  database: Database;
  clock: Clock;
  ledger: Ledger;
  auth: AuthHooks;
  users: Pick<UserService, 'getLive' | 'findByReferralCode' | 'usernames'>;
  wallet: Pick<WalletService, 'credit'>;
  orders: Pick<OrderService, 'isOpen'>;
  publicBaseUrl: string;
}

/**
 * Builds operations (activities, referral, statistics; DESIGN.md §8) and registers its routes. Returns what the other modules
 * call: `promotions` for commerce's orders, `onRegistered` for identity's registration.
 */
export async function operationsModule(app: FastifyInstance, d: OperationsModuleDeps) {
  const { database, clock, ledger, wallet } = d;
  const activities = createActivityService({ database, clock, wallet, orders: d.orders, log: app.log });
  const referral = createReferralService({
    database, clock, ledger, wallet, users: d.users, activities, publicBaseUrl: d.publicBaseUrl, log: app.log,
  });

  await app.register(activityRoutes, { activities, auth: d.auth, clock });
  await app.register(referralRoutes, { referral, auth: d.auth });
  await app.register(referralAdminRoutes, { referral, auth: d.auth });
  await app.register(statisticsRoutes, { statistics: createStatisticsService({ database, clock }), auth: d.auth });

  const promotions: OrderPromotions = {
    offer: activities.promotions.offer,
    attach: activities.promotions.attach,
    async paid(tx, order) {
      await activities.promotions.paid(tx, order);
      await referral.rewardFirstOrder(tx, order);
    },
    refunded: (tx, order) => referral.clawBack(tx, order),
  };

  /** In the registration's transaction: who referred the user, and the gifts given on registration. */
  async function onRegistered(tx: Db, user: UserRow, context: { ref?: string }): Promise<void> {
    await referral.onRegistered(tx, user, context.ref);
    await activities.onRegistered(tx, user.id);
  }

  return { activities, referral, promotions, onRegistered };
}

export type OperationsModule = Awaited<ReturnType<typeof operationsModule>>;
