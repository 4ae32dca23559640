import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import { deriveSecret } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import type { Idempotency } from '../../platform/idempotency.ts';
import type { JobDefinition } from '../../platform/jobs.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { UserService } from '../identity/users.service.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { couponRoutes } from './coupons.routes.ts';
import { createCouponService } from './coupons.service.ts';
import { creditRoutes } from './credit.routes.ts';
import { createMembershipService } from './membership.service.ts';
import { createOrderService } from './orders.service.ts';
import type { OrderPromotions } from './promotions.ts';
import { createNoticeHandler } from './payment-notices.service.ts';
import { createAlipayProvider } from './payments/alipay.ts';
import type { PaymentProvider } from './payments/provider.ts';
import { createPaymentRouter } from './payments/router.ts';
import { createSandboxProvider } from './payments/sandbox.ts';
import { sandboxPageRoutes } from './payments/sandbox-page.routes.ts';
import { createWechatPayProvider } from './payments/wechat.ts';
import { paymentRoutes } from './payments.routes.ts';
import { createWalletService } from './wallet.service.ts';

/** Builds commerce (wallet, orders, payments, membership, coupons), registers its routes, and lists its jobs. */
export async function commerceModule(
  app: FastifyInstance,
  deps: {
    config: Config & { masterKey: string }; database: Database; clock: Clock; ledger: Ledger; audit: AuditLog; auth: AuthHooks;
    idempotency: Idempotency; users: Pick<UserService, 'billingMode'>;
    /** Activities and referrals (the operations module), bound late: see promotions.ts. */
    promotions?: OrderPromotions;
  },
) {
  const { config, database, clock, ledger, audit, auth, idempotency, users } = deps;
  const sandboxSecret = config.payments.sandboxSecret ?? deriveSecret(config.masterKey, 'sandbox-payments');
  const providers: PaymentProvider[] = [];
  if (config.paymentProviders.includes('sandbox')) providers.push(createSandboxProvider({ secret: sandboxSecret, publicBaseUrl: config.publicBaseUrl }));
  if (config.payments.alipay) providers.push(createAlipayProvider({ ...config.payments.alipay, now: () => clock.now() }));
  if (config.payments.wechat) providers.push(createWechatPayProvider({ ...config.payments.wechat, now: () => clock.now() }));
  const payments = createPaymentRouter(providers);

  const coupons = createCouponService({ database, clock });
  const membership = createMembershipService({ database, clock, ledger });
  const wallet = createWalletService({ database, ledger, audit, billingMode: (userId, db) => users.billingMode(userId, db) });
  const orders = createOrderService({
    database, clock, ledger, coupons, membership, wallet, payments, audit, publicBaseUrl: config.publicBaseUrl, log: app.log, promotions: deps.promotions,
  });
  const handleNotice = createNoticeHandler({ database, clock, orders, coupons, payments, log: app.log });

  await app.register(creditRoutes, { orders, membership, wallet, auth, idempotency });
  await app.register(couponRoutes, { coupons, auth, clock });
  await app.register(paymentRoutes, { handleNotice, payments });
  // Sandbox payments never run in production (config.ts refuses to start), so neither does their checkout page.
  if (payments.has('sandbox')) await app.register(sandboxPageRoutes, { orders, handleNotice, sandboxSecret, auth, clock });

  const jobs: JobDefinition<object>[] = [
    { name: 'orders.expire', cron: '* * * * *', handler: async () => ({ expired: await orders.expireDue() }) },
  ];
  return { coupons, membership, wallet, orders, handleNotice, payments, jobs };
}

export type Commerce = Awaited<ReturnType<typeof commerceModule>>;
