import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import type { ApiKeyService } from '../identity/api-keys.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import type { Registry } from 'prom-client';
import type { AuditLog } from '../admin/audit.service.ts';
import { billingModule } from '../metering/billing.module.ts';
import { keySpendOf, type ChargeEffect } from '../metering/charges.ts';
import { feeRatePpm } from '../metering/cost.ts';
import type { UsageService } from '../metering/usage.service.ts';
import type { CandidateSource } from '../routing/candidates.ts';
import { createHealth } from '../routing/health.ts';
import { shareHealth } from '../routing/health-sync.ts';
import { createCandidateLimits } from '../routing/limits.ts';
import { createSharedCandidateLimits } from '../routing/limits-redis.ts';
import type { ModelCatalog } from '../routing/model-catalog.service.ts';
import { createRouter } from '../routing/router.ts';
import { gatewayRoutes } from './gateway.routes.ts';
import { createGateway } from './gateway.service.ts';
import { createRelay } from './relay.ts';
import { createUpstreamClient } from './upstream-client.ts';

// Wires the hot path: candidate sources → router (health, caps) → relay (upstream client) → billing (journal or group commit).

export interface GatewayModuleDeps {
  config: Config;
  database: Database;
  clock: Clock;
  redis?: Redis;
  namespace: string;
  ledger: Ledger;
  usage: UsageService;
  apiKeys: ApiKeyService;
  auth: AuthHooks;
  catalog: ModelCatalog;
  sources: CandidateSource[];
  /** Writes other modules commit with each batch of charges (the supply module's package quota and earnings). */
  chargeEffects: ChargeEffect[];
  secrets: SecretBox;
  audit: AuditLog;
  /** The app's /metrics registry (billing's alerts). */
  metrics?: Registry;
}

export async function gatewayModule(app: FastifyInstance, d: GatewayModuleDeps) {
  const now = () => millisOf(d.clock);
  const sync = d.redis ? await shareHealth({ redis: d.redis, namespace: d.namespace, log: app.log }) : undefined;
  const health = createHealth({ clock: d.clock, ...d.config.gateway.circuit, onOpen: sync?.publish });
  sync?.attach(health);
  // Caps counted by this node alone, or by all nodes together when they share a Redis.
  const limits = d.redis ? createSharedCandidateLimits({ redis: d.redis, namespace: d.namespace, clock: d.clock, log: app.log }) : createCandidateLimits({ clock: d.clock });
  const router = createRouter({ sources: d.sources, health, limits });
  const client = createUpstreamClient({ ...d.config.gateway, allowPrivateUpstreams: d.config.allowPrivateUpstreams });
  const relay = createRelay({ router, client, maxTries: d.config.gateway.maxTries, now });
  const keySpend: ChargeEffect = (items, _now, mode) => {
    const spend = keySpendOf(items);
    return spend.size > 0 ? [{ name: 'key_spend', statement: d.apiKeys.addSpendStatement(spend, { enforceLimits: mode.enforceKeyLimits }) }] : [];
  };
  const { billing, close: closeBilling } = await billingModule(app, {
    database: d.database, clock: d.clock, ledger: d.ledger, usage: d.usage, redis: d.redis, namespace: d.namespace,
    effects: [keySpend, ...d.chargeEffects], keyRefusedBy: (err) => d.apiKeys.keyOverLimitOf(err), auth: d.auth, audit: d.audit, metrics: d.metrics,
    config: d.config.billing,
  });
  const gateway = createGateway({ router, catalog: d.catalog, relay, billing, defaultMaxTokens: d.config.gateway.defaultMaxTokens, feeRatePpm: feeRatePpm(d.config.platformFeeRate), redis: d.redis, namespace: d.namespace, now });
  await app.register(gatewayRoutes, { gateway, router, catalog: d.catalog, auth: d.auth });
  // In-flight charges are made durable before the database closes.
  app.addHook('onClose', async () => {
    await closeBilling();
    await client.close();
    await sync?.close();
  });
  return { router, health, billing, gateway };
}
