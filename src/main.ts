import { Redis } from 'ioredis';
import pino from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openDatabase } from './platform/db.ts';
import { withDevelopmentSecrets } from './platform/dev-secrets.ts';

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const bootLog = pino({ level: config.logLevel });
  config = withDevelopmentSecrets(config, bootLog);

  const database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false }) : undefined;
  redis?.on('error', (err) => bootLog.warn({ err: err.message }, 'redis error'));
  const app = await buildApp({ config, database, redis });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 20s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await app.close();
      await database.close();
      await redis?.quit();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { database: database.kind, redis: Boolean(redis), bootMs: Math.round(performance.now() + 0 - startedAt) },
    `Tollgate listening on http://localhost:${config.port}`,
  );
}

main().catch((err) => {
  process.stderr.write(`Tollgate failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
