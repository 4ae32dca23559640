import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config.ts';
import { registerApiDocs } from './platform/api-docs.ts';
import { createSecretBox } from './platform/crypto.ts';
import type { Database } from './platform/db.ts';
import { frameworkErrors, registerEdge, requestIdFor } from './platform/http.ts';
import { registerWebConsole } from './platform/web.ts';
import { createLogger, lazyChildLogger, resolveLogFormat } from './platform/logging.ts';
import { registerMetrics } from './platform/metrics.ts';
import { registerStudioRateLimits } from './platform/rate-limit.ts';
import { systemClock, type Clock } from './platform/time.ts';
import { createApiKeyService } from './modules/identity/api-keys.service.ts';
import { apiKeyRoutes } from './modules/identity/api-keys.routes.ts';
import { createAuthHooks } from './modules/identity/auth.hooks.ts';
import { authRoutes } from './modules/identity/auth.routes.ts';
import { operatorSetupRoutes } from './modules/identity/operator-setup.routes.ts';
import { createOperatorSetupService, type OperatorSetupService } from './modules/identity/operator-setup.service.ts';
import { createPasswords } from './modules/identity/passwords.ts';
import { createSessionService } from './modules/identity/sessions.service.ts';
import { createTokenIssuer } from './modules/identity/tokens.ts';
import { createUserService, usernameFromEmail, type UserService } from './modules/identity/users.service.ts';
import { createUsageService } from './modules/metering/usage.service.ts';
import { createChannelService } from './modules/routing/channels.service.ts';
import { createModelCatalog } from './modules/routing/model-catalog.service.ts';
import { createDemoCandidates } from './modules/routing/demo-candidates.ts';
import { modelPriceRoutes } from './modules/routing/model-prices.routes.ts';
import { createPlatformCandidates } from './modules/routing/platform-candidates.ts';
import { gatewayModule } from './modules/gateway/gateway.module.ts';
import { usageRoutes } from './modules/metering/usage.routes.ts';
import { createModelRegistry } from './modules/studio/models.service.ts';
import { registryRoutes } from './modules/studio/models.routes.ts';
import { studioModule } from './modules/studio/studio.module.ts';
import { publishingModule } from './modules/publishing/publishing.module.ts';
import { legacyRoutes } from './modules/admin/legacy.routes.ts';
import { operatorRoutes } from './modules/admin/operator.routes.ts';
import { operatorConsoleRoutes } from './modules/admin/operator-console.routes.ts';
import { channelsAdminRoutes } from './modules/admin/channels-admin.routes.ts';
import { createChannelProbe } from './modules/admin/channels-admin.probe.ts';
import { createAuditLog } from './modules/admin/audit.service.ts';
import { commerceModule } from './modules/commerce/commerce.module.ts';
import { latePromotions } from './modules/commerce/promotions.ts';
import { operationsModule } from './modules/operations/operations.module.ts';
import { supplyModule } from './modules/supply/supply.module.ts';
import { createLedger } from './modules/ledger/ledger.service.ts';
import { ledgerJobs } from './modules/ledger/ledger.jobs.ts';
import { createJobQueue, type JobDefinition, type JobQueue } from './platform/jobs.ts';
import { createIdempotency } from './platform/idempotency.ts';
import { conflict } from './platform/errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Background jobs the modules declare; main.ts runs them (tests call the services directly). */
    tollgateJobs: JobDefinition<object>[];
    tollgateJobQueue: JobQueue;
    /** One-time operator setup links; main.ts issues the first-boot one once the server listens. */
    tollgateOperatorSetup: OperatorSetupService;
  }
}

export interface AppDeps {
  /** A resolved config: `masterKey` and `jwtSecret` must be set (main.ts fills the development fallbacks). */
  config: Config;
  database: Database;
  redis?: Redis;
  clock?: Clock;
  /** Where log lines go (tests capture them to prove no secret is logged). */
  logStream?: DestinationStream;
  /** Prefix for shared Redis counters; tests give each app its own. */
  namespace?: string;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const clock = deps.clock ?? systemClock;
  if (!config.masterKey || !config.jwtSecret) throw new Error('buildApp needs config.masterKey and config.jwtSecret');

  // A pino instance types the app with pino's Logger; modules take the base FastifyInstance.
  const app = Fastify({
    loggerInstance: createLogger({ level: config.logLevel, stream: deps.logStream, format: resolveLogFormat(config.logFormat, config.nodeEnv) }),
    genReqId: requestIdFor,
    // One line per request, written by platform/http.ts, instead of Fastify's "incoming request" + "request completed".
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings, opts) => lazyChildLogger(logger as Logger, bindings, opts) as never,
    // Fastify accepts a hop count too, though its types do not say so.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: 1024 * 1024,
    frameworkErrors,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerEdge(app, { consolePages: await registerWebConsole(app) });

  await registerApiDocs(app);

  const metrics = registerMetrics(app);
  // Registered before the module that knows who is a member: bound once commerce exists (no request is served before).
  let isMember = async (_userId: number) => false;
  registerStudioRateLimits(app, { redis: deps.redis, namespace: deps.namespace ?? 'tollgate', limits: config.rateLimits, isMember: (userId) => isMember(userId) });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await database.ping();
      return { status: 'ready', database: database.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: database.kind });
    }
  });

  const secrets = createSecretBox([config.masterKey]);
  const tokens = createTokenIssuer({ secret: config.jwtSecret, clock });
  const users = createUserService({ database, clock, passwords: createPasswords({ memoryKib: config.passwordHashMemoryKib }) });
  const operatorSetup = createOperatorSetupService({ database, clock, users, publicBaseUrl: config.publicBaseUrl });
  const sessions = createSessionService({ database, clock, tokens, rotation: config.refreshTokenRotation });
  const apiKeys = createApiKeyService({ database, clock });
  const auth = createAuthHooks({ sessions, apiKeys });
  const usage = createUsageService({ database, clock });
  const catalog = createModelCatalog({ database, clock, demoUpstream: config.gateway.demoUpstream });
  // Channels and registry entries change the router's candidates: each write invalidates its snapshot.
  const platformCandidates = createPlatformCandidates({
    upstreams: async () => (await Promise.all([channels.routable(), registry.routable()])).flat(),
    catalog, secrets, providerBaseUrls: config.providerBaseUrls, clock,
  });
  const onUpstreamChange = () => platformCandidates.invalidate();
  const audit = createAuditLog({ database });
  const channels = createChannelService({ database, clock, secrets, allowPrivateUpstreams: config.allowPrivateUpstreams, catalog, audit, onChange: onUpstreamChange });
  const registry = createModelRegistry({ database, clock, secrets, allowPrivateUpstreams: config.allowPrivateUpstreams, onChange: onUpstreamChange });

  const ledger = createLedger({ database, clock });
  const idempotency = createIdempotency({ database, clock });
  // Operations prices and rewards commerce's orders, and is built from commerce's wallet: bound once it exists.
  const promotions = latePromotions();
  const commerce = await commerceModule(app, { config: { ...config, masterKey: config.masterKey }, database, clock, ledger, audit, auth, idempotency, users, promotions });
  isMember = commerce.membership.isMember;
  const operations = await operationsModule(app, { database, clock, ledger, auth, users, wallet: commerce.wallet, orders: commerce.orders, publicBaseUrl: config.publicBaseUrl });
  promotions.bind(operations.promotions);

  const supply = await supplyModule(app, {
    config, database, clock, ledger, audit, auth, idempotency, secrets, usage, catalog, redis: deps.redis, namespace: deps.namespace ?? 'tollgate',
    passwordMatches: (userId, password) => users.passwordMatches(userId, password),
  });

  await app.register(authRoutes, { users, sessions, standing: commerce.membership.standing, auth, onRegistered: operations.onRegistered });
  await app.register(operatorSetupRoutes, { setup: operatorSetup, sessions, standing: commerce.membership.standing });
  await app.register(apiKeyRoutes, { apiKeys, auth });
  await app.register(legacyRoutes, { users, apiKeys, channels, usage, auth, operatorSetup });
  await app.register(operatorRoutes, { users, wallet: commerce.wallet, orders: commerce.orders, auth, idempotency, apiKeys });
  const gateway = await gatewayModule(app, {
    config, database, clock, redis: deps.redis, namespace: deps.namespace ?? 'tollgate',
    ledger, usage, apiKeys, auth, catalog, sources: [platformCandidates, supply.candidates, ...(config.gateway.demoUpstream ? [createDemoCandidates()] : [])], chargeEffects: supply.chargeEffects, secrets, audit, metrics,
  });
  await app.register(operatorConsoleRoutes, { users, orders: commerce.orders, health: gateway.health, audit, auth, apiKeys });
  const probe = createChannelProbe({
    channels, catalog, secrets, providerBaseUrls: config.providerBaseUrls, client: { ...config.gateway, allowPrivateUpstreams: config.allowPrivateUpstreams },
    now: () => clock.now().getTime(),
  });
  await app.register(channelsAdminRoutes, { channels, probe, health: gateway.health, auth });
  await app.register(registryRoutes, { registry, auth });
  await app.register(modelPriceRoutes, { catalog, auth, onChange: onUpstreamChange });
  await app.register(usageRoutes, { usage, auth });
  const jobQueue = createJobQueue();
  const studio = await studioModule(app, {
    config: { ...config, masterKey: config.masterKey }, database, clock, ledger, membership: commerce.membership, registry, gateway: gateway.gateway, users, auth, jobs: jobQueue,
  });
  const publishing = await publishingModule(app, { config, database, clock, secrets, studio, auth, jobs: jobQueue });
  app.decorate('tollgateJobQueue', jobQueue);
  app.decorate('tollgateOperatorSetup', operatorSetup);
  app.decorate('tollgateJobs', [
    ...commerce.jobs,
    ...ledgerJobs({ ledger, log: app.log }),
    ...supply.jobs,
    ...studio.jobs,
    ...publishing.jobs,
    { name: 'idempotency.purge', cron: '41 * * * *', handler: async () => ({ purged: await idempotency.purge() }) },
  ]);

  if (config.admin) await seedAdmin(app, users, config.admin);
  return app;
}

async function seedAdmin(app: FastifyInstance, users: UserService, admin: { email: string; password: string }) {
  let created;
  try {
    created = await users.createFirstAdmin({ username: usernameFromEmail(admin.email), email: admin.email, password: admin.password }, async () => undefined);
  } catch (err) {
    if ((err as { code?: string }).code === 'CONFLICT') {
      throw conflict(`ADMIN_EMAIL ${admin.email} already belongs to a user who is not an operator; choose another ADMIN_EMAIL`);
    }
    throw err;
  }
  if (created) {
    app.log.info({ userId: created.admin.id }, 'seeded the first operator from ADMIN_EMAIL');
    return;
  }
  // ADMIN_EMAIL/ADMIN_PASSWORD only seed a service without operators. Said at every start, because otherwise a
  // changed ADMIN_PASSWORD (or an ADMIN_EMAIL set after /1/users/init) looks like it worked and nobody can sign in.
  const fix = `npm run operator -- --email ${admin.email}`;
  if (await users.isOperatorEmail(admin.email)) {
    app.log.info(`ADMIN_EMAIL ${admin.email} is already an operator; ADMIN_PASSWORD is not applied again (to change the password: ${fix})`);
  } else {
    app.log.warn(
      { adminEmail: admin.email },
      `ADMIN_EMAIL ${admin.email} was ignored: an operator already exists, and ADMIN_EMAIL only seeds the first one. ` +
        `To make ${admin.email} an operator, run: ${fix} (stop the service first when it keeps its data in DATA_DIR)`,
    );
  }
}
