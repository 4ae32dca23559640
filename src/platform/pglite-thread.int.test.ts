import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPgliteDataDir } from '../../test/helpers/database.ts';
import { usageRecords } from '../modules/metering/usage.tables.ts';
import { isUniqueViolation, openDatabase, sqlState, violatedConstraint, type Database } from './db.ts';

// The on-disk PGlite answers from its own thread (pglite-thread.ts): what the service's code sees must be what it saw
// when PGlite ran on the event loop — transactions, errors with their SQLSTATE, Drizzle's types — and the event loop
// must stay free while a statement runs.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-thread-'));
let database: Database;

beforeAll(async () => {
  database = await openDatabase({ dataDir: seedPgliteDataDir(path.join(root, 'data')), thread: true });
  await database.executeSql('CREATE TABLE probe (id int PRIMARY KEY, note text, at timestamptz)');
}, 60_000);
afterAll(async () => {
  await database?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const count = async () => Number((await database.executeSql('SELECT count(*)::int AS n FROM probe')).rows[0].n);

/** The nice value of each of this process's threads (Linux). */
function threadNices(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('PGlite on its own thread', () => {
  // Meaningful when the run itself is not already niced to 10 or more (then the thread cannot go lower than it is).
  it.runIf(process.platform === 'linux' && os.getPriority() < 10)('runs at a lower priority than the event loop, which keeps its own', () => {
    expect(threadNices()).toContain(10);
    expect(os.getPriority()).toBeLessThan(10); // this thread's own: untouched
  });

  it('commits a transaction whole, and rolls one back whole when its function throws', async () => {
    await database.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO probe (id, note) VALUES (1, 'one')`);
      await tx.execute(sql`INSERT INTO probe (id, note) VALUES (2, 'two')`);
    });
    await expect(
      database.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO probe (id, note) VALUES (3, 'three')`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await count()).toBe(2);
  });

  it('keeps a query from outside out of an open transaction, and a nested savepoint rolls back alone', async () => {
    let outsideDone = false;
    await database.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO probe (id, note) VALUES (10, 'in tx')`);
      // Asked while the transaction is open: answered after it, and never part of it.
      void database.executeSql(`INSERT INTO probe (id, note) VALUES (11, 'outside')`).then(() => (outsideDone = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(outsideDone).toBe(false);
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(sql`INSERT INTO probe (id, note) VALUES (12, 'savepoint')`);
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
    });
    await expect.poll(() => outsideDone).toBe(true);
    const ids = (await database.executeSql('SELECT id FROM probe WHERE id >= 10 ORDER BY id')).rows.map((r) => r.id);
    expect(ids).toEqual([10, 11]);
  });

  it('brings errors across with their SQLSTATE and constraint, never the query parameters', async () => {
    const err = await database.db.execute(sql`INSERT INTO probe (id, note) VALUES (${1}, ${'sk-secret-parameter'})`).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(sqlState(err)).toBe('23505');
    expect(violatedConstraint(err)).toBe('probe_pkey');
    const cause = (err as { cause?: Record<string, unknown> }).cause;
    expect(cause?.params).toBeUndefined();
    expect(JSON.stringify(cause)).not.toContain('sk-secret-parameter');
    // A failed statement inside a transaction fails it, and the database goes on answering.
    await expect(database.transaction((tx) => tx.execute(sql`SELECT 1/0`))).rejects.toSatisfy((e: unknown) => sqlState(e) === '22012');
    expect(await count()).toBeGreaterThan(0);
  });

  it('gives Drizzle the same values as before: times, big integers, nulls', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    await database.db.insert(usageRecords).values({ requestId: 'thread-1', userId: 1, model: 'm', status: 'success', platform: 'api', costMicros: 9_007_199_254_740_993n, createdAt: at, errorMessage: null });
    const [row] = await database.db.select().from(usageRecords).where(sql`${usageRecords.requestId} = 'thread-1'`);
    expect(row).toMatchObject({ requestId: 'thread-1', costMicros: 9_007_199_254_740_993n, createdAt: at, errorMessage: null, tokensIn: 0 });
  });

  it('fails a query whose parameter cannot reach the thread, and goes on answering', async () => {
    await expect(database.executeSql('SELECT $1::text AS v', [() => 'a function'])).rejects.toThrow(/could not be cloned/);
    expect((await database.executeSql('SELECT $1::text AS v', ['fine'])).rows).toEqual([{ v: 'fine' }]);
  });

  it('leaves the event loop free while a statement runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    try {
      // Long enough to span many timer ticks on any host: PGlite on the caller's thread would allow none.
      await database.executeSql('SELECT count(*) FROM generate_series(1, 3000000)');
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('opening on a thread', () => {
  it('a directory PGlite cannot open is refused with its error, and the lock is released', async () => {
    const dir = path.join(root, 'broken');
    fs.mkdirSync(path.join(dir, 'pgdata'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), 'not a version\n');
    await expect(openDatabase({ dataDir: dir, thread: true })).rejects.toThrow();
    expect(fs.existsSync(path.join(dir, 'tollgate.lock'))).toBe(false);
  }, 60_000);
});
