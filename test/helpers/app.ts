import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/platform/db.ts';
import type { Clock } from '../../src/platform/time.ts';
import type { DbTier } from './database.ts';

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  /** Every log line the app wrote, raw. */
  logs: string[];
  /** Every response body the helpers below received, raw. */
  responses: string[];
  request(opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  redis?: Redis;
  /** Shared Redis counters: two apps given the same namespace count together, as two nodes would. */
  namespace?: string;
  /** Wraps the suite's database before the app gets it (e.g. to inject a failure, see commit-failures.ts). */
  wrapDatabase?: (database: Database) => Database;
}

/** Settable clock for expiry tests. */
export function fakeClock(start = new Date('2026-03-01T04:00:00Z')) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    set: (d: Date) => void (now = d.getTime()),
    advance: (ms: number) => void (now += ms),
  };
}

export interface BuiltTestApp {
  app: FastifyInstance;
  config: Config;
  logs: string[];
}

/** Builds the app over `database` without calling ready(), so a suite can still add routes to it. */
export async function buildTestApp(database: Database, options: TestAppOptions = {}): Promise<BuiltTestApp> {
  // A DATA_DIR of its own (the charge journal lives there), removed with the app.
  const dataDir = options.env?.DATA_DIR ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-app-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    LOG_LEVEL: 'info',
    ALLOW_PRIVATE_UPSTREAMS: 'true',
    // High enough that suites other than the rate-limit ones never meet them.
    RATE_LIMIT_AUTH_PER_MIN: '10000',
    RATE_LIMIT_QUERY_PER_MIN: '10000',
    RATE_LIMIT_OTHER_PER_MIN: '10000',
    // Suites read the database right after a response: the charge must be there. The journal's own suites set it.
    BILLING_DURABILITY: 'database',
    // argon2 at 1 MiB instead of 19: registrations and logins are a large share of the suites' CPU at the default.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    ...(dataDir ? { DATA_DIR: dataDir } : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp({
    config,
    database,
    redis: options.redis,
    clock: options.clock,
    logStream,
    namespace: options.namespace ?? `t${crypto.randomBytes(6).toString('hex')}`,
  });
  if (dataDir) app.addHook('onClose', async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  return { app, config, logs };
}

export async function startTestApp(tier: DbTier, options: TestAppOptions = {}): Promise<TestApp> {
  const opened = await tier.open();
  const database = options.wrapDatabase ? options.wrapDatabase(opened) : opened;
  const { app, config, logs } = await buildTestApp(database, options);
  const responses: string[] = [];
  await app.ready();
  return {
    app,
    database,
    config,
    logs,
    responses,
    async request(opts) {
      const res = await app.inject(opts);
      responses.push(JSON.stringify(res.headers), res.body);
      return res;
    },
    async close() {
      // A close that hangs says what holds it, then drops the connections. Seen in full runs only, in the studio's
      // browser suite after every test had passed: its close waited on one connection chromium left open (a request in
      // flight; chromium's pipes were still open too) — dropping it ended the close.
      const slow = setTimeout(() => {
        console.warn(`[tests] the app is still closing after ${SLOW_CLOSE_MS / 1000} s; open: ${openResources()}; dropping its connections`);
        app.server.closeAllConnections();
      }, SLOW_CLOSE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(slow);
      }
      await database.close();
    },
  };
}

const SLOW_CLOSE_MS = 10_000;

/** What keeps the process busy, by kind: `TCPSocketWrap ×3, Timeout ×2`. */
function openResources(): string {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${r} ×${n}`).join(', ');
}

export const redisUrl = process.env.REDIS_URL;

export function connectTestRedis(): Redis | undefined {
  return redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
}
