import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { openPgliteThread, type PgliteThread } from './pglite-thread.ts';

/** A Drizzle handle: the database itself or a transaction (both have the same query API). */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Runs `fn` in one transaction; the only transaction entry point modules use. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  /** Raw SQL for libraries that bring their own (pg-boss): parameterless text may hold several statements. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  close(): Promise<void>;
}

/**
 * Work to run once the transaction `db` belongs to has committed (a cache to drop, a node to tell), in the order it
 * was added; nothing runs if it rolls back. Outside a transaction opened by `Database.transaction` (autocommit: the
 * write is already durable) it runs at once. The commit stands whatever a hook does: one that throws is reported as a
 * process warning, never as the transaction's failure.
 */
export function afterCommit(db: Db, hook: CommitHook): void {
  const hooks = commitHooks.get(db);
  if (hooks) hooks.push(hook);
  else void runHook(hook);
}

type CommitHook = () => void | Promise<void>;
const commitHooks = new WeakMap<object, CommitHook[]>();

async function runHook(hook: CommitHook): Promise<void> {
  try {
    await hook();
  } catch (err) {
    process.emitWarning(`after-commit hook failed: ${(err as Error).message}`);
  }
}

/** `transaction` with the hooks of `afterCommit`: they have run (and been awaited) when it returns. */
function withCommitHooks(db: Db): Database['transaction'] {
  return async (fn) => {
    const hooks: CommitHook[] = [];
    const result = await db.transaction((tx) => {
      commitHooks.set(tx, hooks);
      return fn(tx as unknown as Db);
    });
    for (const hook of hooks) await runHook(hook);
    return result;
  };
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

// Any constant works; it only has to be the same for every Tollgate process migrating one database.
const MIGRATION_LOCK_ID = 7_345_001;

/**
 * `memory` opens a throw-away PGlite; `template` (the bytes of a `dumpPgliteTemplate` image) skips initdb and the
 * migrations already in it, which makes a fresh database several times faster to open (the test suites use it).
 * `thread` runs an on-disk PGlite on a worker thread (pglite-thread.ts): the service does, so that no statement holds
 * up the requests it serves; a command-line tool does not (starting the thread costs ~0.4 s and serves nothing).
 */
export type DatabaseTarget = { databaseUrl: string } | { dataDir: string; thread?: boolean } | { memory: true; template?: Uint8Array };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if ('databaseUrl' in target) return openPostgres(target.databaseUrl);
  if ('dataDir' in target) return openPglite(target.dataDir, undefined, target.thread === true);
  return openPglite(undefined, target.template);
}

// A throw-away database holds a test's few rows: with 16 MB of shared buffers instead of PGlite's 128 MB it opens in
// about half the time (measured on the 2-core host: ~0.45 s instead of ~0.85 s from the template). Nothing outlives
// its process, so it writes no full-page images, flushes nothing and waits for no commit: the supply suites on one
// worker spent 21.5 s instead of 25.2 s in tests (37 instead of 42 s of CPU).
const MEMORY_START_PARAMS = [
  ...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'fsync=off',
];

/**
 * The template as PGlite's `loadDataDir` takes it. PGlite only calls `arrayBuffer()`, which a Node 20 Blob answers by
 * streaming its bytes in 64 KiB chunks (~240 ms for the 42 MB image); this one hands over a copy at once.
 */
class BytesBlob extends Blob {
  constructor(private readonly image: Uint8Array) {
    super([], { type: 'application/x-tar' });
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.image.slice().buffer as ArrayBuffer);
  }
}

/**
 * A migrated, empty database as an image: for `{ memory: true, template }`, or unpacked into a DATA_DIR's `pgdata`.
 * `slim` is for throw-away databases only: 1 MB WAL segments instead of 16 and no template0/template1 (nothing here
 * creates a database), a 17 MB image instead of 42 that opens in ~180 instead of ~340 ms (~290 against ~520 ms of CPU).
 */
export async function dumpPgliteTemplate({ slim = false } = {}): Promise<Blob> {
  const client = new PGlite(slim ? { initDbStartParams: ['--wal-segsize=1'] } : {});
  try {
    await client.waitReady;
    await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_DIR });
    if (slim) {
      await client.query(`UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')`);
      for (const name of ['template0', 'template1']) await client.query(`DROP DATABASE ${name}`);
      await client.query('CHECKPOINT');
    }
    return await client.dumpDataDir('none');
  } finally {
    await client.close();
  }
}

async function openPostgres(connectionString: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: 10_000 });
  // An idle connection the server drops (restart, failover, idle timeout) must not crash the process: the pool
  // discards it and the next query opens a fresh one.
  pool.on('error', (err) => process.emitWarning(`postgres pool: idle connection lost (${err.message})`));
  const db = drizzlePg(pool) as unknown as Db;
  const lockClient = await pool.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migratePg(drizzlePg(pool), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    lockClient.release();
  }
  return {
    kind: 'postgres',
    db,
    transaction: withCommitHooks(db),
    ping: async () => void (await pool.query('SELECT 1')),
    executeSql: async (text, values) => ({ rows: (await pool.query(text, values)).rows }),
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined, template: Uint8Array | undefined, thread = false): Promise<Database> {
  const releaseLock = dataDir ? acquireDataDirLock(dataDir) : () => undefined;
  let client: PGlite | PgliteThread;
  try {
    if (dataDir && thread) client = await openPgliteThread(path.join(dataDir, 'pgdata'));
    else {
      const local = dataDir
        ? new PGlite(path.join(dataDir, 'pgdata'))
        : new PGlite({ startParams: MEMORY_START_PARAMS, ...(template ? { loadDataDir: new BytesBlob(template) } : {}) });
      await local.waitReady;
      client = local;
    }
    await migratePglite(drizzlePglite({ client: client as PGlite }), { migrationsFolder: MIGRATIONS_DIR });
  } catch (err) {
    releaseLock();
    throw err;
  }
  const db = drizzlePglite({ client: client as PGlite }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    transaction: withCommitHooks(db),
    ping: async () => void (await client.query('SELECT 1')),
    async executeSql(text, values) {
      if (values && values.length > 0) return { rows: (await client.query(text, values)).rows };
      // PGlite's extended-protocol `query` takes one statement; `exec` takes many and returns each one's result.
      const results = await client.exec(text);
      return { rows: results.at(-1)?.rows ?? [] };
    },
    close: async () => {
      try {
        if (client instanceof PGlite) {
          if (dataDir) await client.exec('CHECKPOINT');
          await client.close();
        } else await client.close({ checkpoint: true });
      } finally {
        releaseLock();
      }
    },
  };
}

/**
 * PGlite serves one process: two openers corrupt the directory. The lock file names the holder's pid;
 * a lock left by a dead process is taken over.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'tollgate.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => releaseDataDirLock(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new Error(`${path.resolve(dataDir)} is in use by another Tollgate process (pid ${holder}); stop it first`);
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${path.resolve(dataDir)}`);
}

// A second close (or a close after another process took over) must not delete a lock that is no longer ours.
function releaseDataDirLock(lockPath: string): void {
  let holder: string;
  try {
    holder = fs.readFileSync(lockPath, 'utf8').trim();
  } catch {
    return;
  }
  if (holder === String(process.pid)) fs.rmSync(lockPath, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Postgres SQLSTATE of a driver error, looking through Drizzle's wrapper. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown) => sqlState(err) === '23505';

/** Name of the violated constraint (or unique index) of a driver error, looking through Drizzle's wrapper. */
export function violatedConstraint(err: unknown): string | undefined {
  for (let e = err as { constraint?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.constraint === 'string') return e.constraint;
  }
  return undefined;
}

/** Serialises concurrent transactions that take the same key (works on PGlite and PostgreSQL). */
export async function lockKey(tx: Db, key: number): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${key})`);
}
