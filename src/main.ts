import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { ConfigError, loadConfig, startupWarnings, type Config } from './config.ts';
import type { Database } from './platform/db.ts';
import { withDevelopmentSecrets } from './platform/dev-secrets.ts';
import type { JobRunner } from './platform/jobs.ts';
import { createLogger, resolveLogFormat } from './platform/logging.ts';

// EX_CONFIG from sysexits.h: supervisors can tell "fix the environment" from a crash.
const EXIT_BAD_CONFIG = 78;
const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw err;
  }
  // Same format and redaction as the app's logger: boot lines sit among its lines.
  const bootLog = createLogger({ level: config.logLevel, format: resolveLogFormat(config.logFormat, config.nodeEnv) });
  for (const warning of startupWarnings(config)) bootLog.warn(warning);
  config = withDevelopmentSecrets(config, bootLog);

  // The application's modules load once the environment is known to be good: a bad setting is refused in a fraction
  // of a second instead of after loading every route.
  // The database opens while the rest loads (module loading waits on the loader thread, PGlite starts on its own);
  // ioredis is loaded only when Redis is configured.
  const { openDatabase } = await import('./platform/db.ts');
  const opening = openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir, thread: true });
  opening.catch(() => undefined); // awaited below, after the imports
  const [{ buildApp }, { startJobs }, ioredis] = await Promise.all([
    import('./app.ts'), import('./platform/jobs.ts'), config.redisUrl ? import('ioredis') : undefined,
  ]);
  const database = await opening;
  const redis = ioredis && config.redisUrl ? new ioredis.Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false }) : undefined;
  redis?.on('error', (err) => bootLog.warn({ err: err.message }, 'redis error'));

  let app: FastifyInstance | undefined;
  let jobs: JobRunner | undefined;
  let running: Running | undefined;
  try {
    app = await buildApp({ config, database, redis });
    running = { app, stopping: false };
    handleSignals(running, database, redis);
    // Issued before the port opens: a request that creates the first operator can never come before it.
    const firstOperator = await firstOperatorLink(app, config);
    await app.listen({ port: config.port, host: config.host });
    firstOperator?.();
    if (config.jobsEnabled) {
      running.jobsStarting = startJobs({ database, log: app.log }, app.tollgateJobs);
      running.jobs = jobs = await running.jobsStarting;
      app.tollgateJobQueue.attach(jobs);
    }
  } catch (err) {
    // A signal during the boot: its shutdown closes what is open and exits (what failed here is what it closed).
    if (running?.stopping) return;
    // Still checkpoint PGlite and drop the data-dir lock, so the next start finds a clean directory.
    await jobs?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    redis?.disconnect();
    throw err;
  }
  app.log.info(
    { database: database.kind, redis: Boolean(redis), bootMs: Math.round(performance.now() - startedAt) },
    `Tollgate listening on ${config.publicBaseUrl}`,
  );
}

/**
 * A fresh install has no operator, and nothing else would tell the newcomer how to become one: a one-time link that
 * creates the first operator, issued here and printed (by the function returned) once the service listens. One per
 * start; links printed by earlier starts stay valid until they expire.
 */
async function firstOperatorLink(app: FastifyInstance, config: Config): Promise<(() => void) | undefined> {
  // With ADMIN_EMAIL the seed made the operator (or found one) and said so.
  if (config.admin) return undefined;
  try {
    const link = await app.tollgateOperatorSetup.firstOperatorLink();
    if (!link) return undefined;
    return () =>
      app.log.info(
        { setup_url: link.url, expires_at: link.expiresAt.toISOString() },
        `No operator yet: open ${link.url} within 24 hours to create the first operator account ` +
          '(or stop the service and run: npm run operator -- --email you@example.com)',
      );
  } catch (err) {
    // The service starts anyway; only the shortcut is missing (`npm run operator` still works).
    app.log.error({ err }, 'could not issue the first-operator setup link');
    return undefined;
  }
}

interface Running {
  app: FastifyInstance;
  jobs?: JobRunner;
  /** The job runner while it starts (after the port opened): a shutdown then waits for it, and stops it. */
  jobsStarting?: Promise<JobRunner>;
  /** Set by the first SIGTERM or SIGINT. */
  stopping: boolean;
}

function handleSignals(running: Running, database: Database, redis: Redis | undefined): void {
  const { app } = running;
  const shutdown = async (signal: string) => {
    if (running.stopping) return;
    running.stopping = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS / 1000}s; exiting`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    let code = 0;
    for (const [what, close] of [
      ['http server', () => app.close()],
      // Started or starting: a job runner left running would poll a closed database (an unhandled rejection).
      ['job runner', async () => (running.jobs ?? (await running.jobsStarting?.catch(() => undefined)))?.stop()],
      ['database', () => database.close()],
      // Redis holds only counters: an unreachable one is dropped, not waited for.
      ['redis', async () => void (await redis?.quit().catch(() => redis.disconnect()))],
    ] as const) {
      try {
        await close();
      } catch (err) {
        code = 1;
        app.log.error({ err }, `closing the ${what} failed`);
      }
    }
    app.log.info({ code }, 'stopped');
    process.exit(code);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`Tollgate failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
