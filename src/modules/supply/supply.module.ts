import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createBroadcast } from '../../platform/broadcast.ts';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import type { Idempotency } from '../../platform/idempotency.ts';
import type { JobDefinition } from '../../platform/jobs.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import type { UsageService } from '../metering/usage.service.ts';
import { earningsAdminRoutes } from './earnings-admin.routes.ts';
import { earningsRoutes } from './earnings.routes.ts';
import { createEarningsService } from './earnings.service.ts';
import { supplierBillingRoutes } from './supplier-billing.routes.ts';
import { createSupplyAuth } from './supply.auth.ts';
import type { ModelCatalog } from '../routing/model-catalog.service.ts';
import { accountAdminRoutes } from './accounts-admin.routes.ts';
import { accountRoutes } from './accounts.routes.ts';
import { createAccountService, type AccountService } from './accounts.service.ts';
import { createPackageCandidates } from './package-candidates.ts';
import { packageChargeEffect } from './package-charges.ts';
import { createQuotaBook } from './package-quota.ts';
import { createSharedQuotaBook } from './package-quota-redis.ts';
import { packageRoutes } from './packages.routes.ts';
import { createPackageService } from './packages.service.ts';
import { createVerifier } from './verify.ts';
import { deriveSecret } from '../../platform/crypto.ts';
import { createUrlSigner } from '../../platform/signed-urls.ts';
import { createSandboxSms } from '../../platform/sms.ts';
import { smsOutboxRoutes } from '../admin/sms-outbox.routes.ts';
import { createPayoutProviders } from './payouts.ts';
import { createProfileService } from './profile.service.ts';
import { profileRoutes } from './profile.routes.ts';
import { settlementAdminRoutes } from './settlements-admin.routes.ts';
import { settlementJobs } from './settlements.jobs.ts';
import { settlementRoutes } from './settlements.routes.ts';
import { createSettlementService } from './settlements.service.ts';
import { createSmsCodes } from './sms-codes.ts';

// The supply console (DESIGN.md §6): accounts, packages (the router's supplier candidates), earnings, settlements,
// supplier billing. Routes answer in the supply envelope `{request_id, data}` / `{request_id, error}`.

export interface SupplyModuleDeps {
  config: Config;
  database: Database;
  clock: Clock;
  ledger: Ledger;
  audit: AuditLog;
  auth: AuthHooks;
  idempotency: Idempotency;
  secrets: SecretBox;
  usage: UsageService;
  catalog: ModelCatalog;
  redis?: Redis;
  /** Prefix of shared Redis keys. */
  namespace: string;
  /** Whether `password` is the user's account password (identity's check, the second factor for binding a phone). */
  passwordMatches: (userId: number, password: string) => Promise<boolean>;
}

export async function supplyModule(app: FastifyInstance, d: SupplyModuleDeps) {
  const supplyAuth = createSupplyAuth({ auth: d.auth, database: d.database });
  const jobs: JobDefinition<object>[] = [];
  // ---- accounts & packages (accounts.*, packages.*) ----
  // One node counts quotas in memory; nodes sharing a Redis count them there together.
  const book = d.redis ? createSharedQuotaBook({ redis: d.redis, namespace: d.namespace, log: app.log }) : createQuotaBook();
  const candidates = createPackageCandidates({
    routable: () => packages.routable(), catalog: d.catalog, secrets: d.secrets, providerBaseUrls: d.config.providerBaseUrls, book, clock: d.clock,
  });
  // A change here reaches this node's router at once, and the other nodes' through Redis (else within 5 s).
  const changes = d.redis
    ? await createBroadcast<'candidates'>({ redis: d.redis, channel: `${d.namespace}:supply:changed`, log: app.log, onMessage: () => candidates.invalidate() })
    : undefined;
  if (changes) app.addHook('onClose', () => changes.close());
  const onChange = () => {
    candidates.invalidate();
    changes?.publish('candidates');
  };
  const packages = createPackageService({ database: d.database, clock: d.clock, audit: d.audit, catalog: d.catalog, onChange });
  const accounts: AccountService = createAccountService({
    database: d.database, clock: d.clock, secrets: d.secrets, audit: d.audit, onChange,
    verify: (input) => verifier.verify(input),
    retirePackages: (tx, accountId, actor) => packages.retireForAccount(tx, accountId, actor),
  });
  const verifier = createVerifier({
    secrets: d.secrets, providerBaseUrls: d.config.providerBaseUrls, allowPrivateUpstreams: d.config.allowPrivateUpstreams,
    isMounted: (fingerprint) => accounts.isMounted(fingerprint),
  });
  await app.register(accountRoutes, { accounts, audit: d.audit, supplyAuth, idempotency: d.idempotency });
  await app.register(accountAdminRoutes, { accounts, supplyAuth });
  await app.register(packageRoutes, { packages, supplyAuth, idempotency: d.idempotency });
  jobs.push({ name: 'supply.packages-expire', cron: '* * * * *', handler: () => packages.expireDue() });
  const chargeEffects = [packageChargeEffect({ audit: d.audit, holdHours: d.config.earningsHoldHours })];
  // ---- earnings & supplier billing (earnings.*, supplier-billing.*) ----
  const earnings = createEarningsService({ database: d.database, clock: d.clock, ledger: d.ledger, audit: d.audit });
  await app.register(earningsRoutes, { earnings, supplyAuth });
  await app.register(earningsAdminRoutes, { earnings, supplyAuth, idempotency: d.idempotency });
  await app.register(supplierBillingRoutes, { usage: d.usage, supplyAuth });
  jobs.push({ name: 'supply.earnings-mature', cron: '*/5 * * * *', handler: () => earnings.mature() });
  // ---- profile, SMS codes, settlements (profile.*, sms-codes.*, settlements.*) ----
  const masterKey = d.config.masterKey as string;
  const sms = createSandboxSms({ database: d.database, clock: d.clock });
  const codes = createSmsCodes({ database: d.database, clock: d.clock, sms, secret: deriveSecret(masterKey, 'sms-codes') });
  const profile = createProfileService({ database: d.database, clock: d.clock, codes, audit: d.audit, passwordMatches: d.passwordMatches });
  const settlements = createSettlementService({ database: d.database, clock: d.clock, ledger: d.ledger, audit: d.audit, codes, profile, payouts: createPayoutProviders() });
  const signer = createUrlSigner(deriveSecret(masterKey, 'signed-urls'));
  await app.register(profileRoutes, { profile, supplyAuth, now: () => d.clock.now() });
  await app.register(settlementRoutes, { settlements, supplyAuth, idempotency: d.idempotency, signer, publicBaseUrl: d.config.publicBaseUrl, clock: d.clock });
  await app.register(settlementAdminRoutes, { settlements, supplyAuth });
  if (d.config.smsProvider === 'sandbox') await app.register(smsOutboxRoutes, { sms, auth: d.auth });
  jobs.push(...settlementJobs({ settlements }));
  return { jobs, candidates, chargeEffects, accounts, packages };
}
