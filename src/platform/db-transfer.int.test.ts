import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count, sql, sum } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPgliteDataDir } from '../../test/helpers/database.ts';
import { startFakeOpenAi } from '../../test/fakes/openai-upstream.ts';
import { startGateway } from '../../test/helpers/gateway.ts';
import { rechargeAndPay, SANDBOX_ENV } from '../../test/helpers/payments.ts';
import { childEnv, ROOT } from '../../test/helpers/server-process.ts';
import { ACCOUNTS } from '../modules/ledger/accounts.ts';
import { createLedger } from '../modules/ledger/ledger.service.ts';
import { ledgerAccounts, ledgerTransfers } from '../modules/ledger/ledger.tables.ts';
import type { ChargeItem } from '../modules/metering/charges.ts';
import { encodeRecord } from '../modules/metering/journal-records.ts';
import { usageRecords } from '../modules/metering/usage.tables.ts';
import { openDatabase, type Database, type DatabaseTarget } from './db.ts';
import { readCatalog, tablesWithRows } from './db-transfer.catalog.ts';
import { run } from './db-transfer.cli.ts';
import { readDump, readDumpHeader } from './db-transfer.file.ts';
import { systemClock } from './time.ts';

// Moving from the embedded database to PostgreSQL, and backups (issue 17): a PGlite DATA_DIR with real money in it
// (an operator's gift, a sandbox recharge, metered gateway requests, amounts past 2^53) goes through the commands as an
// operator runs them, and the books on the other side must be the same, account by account.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-db-transfer-'));
const serverUrl = process.env.DATABASE_URL;

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: a float on the way would round it
const PRICE = { provider: 'openai', input_price: 0, output_price: 1000 }; // 1000 µ¥ an output token

let seq = 0;
const newFile = () => path.join(root, `dump-${seq++}.gz`);
// Each starts with the migrated database a first boot would create (an initdb and every migration cost ~5 s).
const newDataDir = () => seedPgliteDataDir(path.join(root, `data-${seq++}`));
const sourceDir = seedPgliteDataDir(path.join(root, 'source'));

const createdDatabases: string[] = [];
/** A new, empty PostgreSQL database on the test server (as test/helpers/database.ts makes them); its URL. */
async function freshPostgres(): Promise<string> {
  const name = `tollgate_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  createdDatabases.push(name);
  const url = new URL(serverUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

afterAll(async () => {
  fs.rmSync(root, { recursive: true, force: true });
  if (!serverUrl || createdDatabases.length === 0) return;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  for (const name of createdDatabases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

async function cli(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { NODE_ENV: 'test', ...env }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function withDatabase<T>(target: DatabaseTarget, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(target);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** The books as the services read them, independently of db-transfer's own figures. */
async function books(database: Database) {
  const accounts = await database.db.select({ code: ledgerAccounts.code, balance: ledgerAccounts.balance }).from(ledgerAccounts);
  const [usage] = await database.db.select({ requests: count(), cost: sum(usageRecords.costMicros) }).from(usageRecords);
  return {
    balances: Object.fromEntries(accounts.map((a) => [a.code, a.balance]).sort(([a], [b]) => String(a).localeCompare(String(b)))),
    check: await createLedger({ database, clock: systemClock }).check(),
    usage: { requests: usage?.requests, cost: BigInt(usage?.cost ?? 0) },
  };
}

type Books = Awaited<ReturnType<typeof books>>;
let source: Books;

beforeAll(async () => {
  const fake = await startFakeOpenAi();
  const database = await openDatabase({ dataDir: sourceDir });
  const g = await startGateway({ name: 'pglite', open: async () => database }, { env: SANDBOX_ENV });
  try {
    await g.addChannel({ endpoint: fake.url });
    await g.setPrice('gpt-4o-mini', PRICE);
    const gifted = await g.buyer(50);
    const paying = await g.buyer(0);
    await rechargeAndPay(g.t, paying.auth, 10);
    for (const buyer of [gifted, paying, gifted]) {
      const res = await g.t.request({
        method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
        payload: { model: 'gpt-4o-mini', max_tokens: 12, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    await createLedger({ database, clock: systemClock }).transfer({
      idempotencyKey: 'drill:big', kind: 'adjustment', metadata: { note: '中文 "quoted" \\ back\nslash', nested: { n: [1.5, null, true] } },
      postings: [{ account: ACCOUNTS.paymentClearing('sandbox'), amount: -BIG }, { account: ACCOUNTS.platformRevenue, amount: BIG }],
    });
    // Microseconds, which PGlite's now() never produces on its own.
    await database.db.execute(sql`UPDATE ${usageRecords} SET created_at = '2026-03-01 04:00:00.123456+00' WHERE id = (SELECT min(id) FROM ${usageRecords})`);
    source = await books(database);
  } finally {
    await g.close();
    await fake.close();
  }
  expect(source.usage.requests).toBe(3);
  expect(source.check).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
}, 120_000);

// db:export, backup and restore open DATA_DIR alike (db-transfer.cli.ts open()): the embedded database serves one
// process, so each refuses a directory another one holds, names the holder and writes nothing.
describe('a DATA_DIR the running service holds', () => {
  it.each([
    ['db:export', '--out'],
    ['backup', '--out'],
    ['restore', '--from'],
  ] as const)('refuses %s, naming the holder and saying what to do', async (command, option) => {
    // restore needs a good file and an empty target: only the lock may stand in its way.
    const restoring = command === 'restore';
    const file = newFile();
    if (restoring) expect((await cli({ DATA_DIR: sourceDir }, 'backup', '--out', file)).code).toBe(0);
    const dataDir = restoring ? newDataDir() : sourceDir;
    const holder = await openDatabase({ dataDir });
    try {
      const res = await cli({ DATA_DIR: dataDir }, command, option, file);
      expect(res.code).toBe(1);
      expect(res.err).toContain(`${command}: ${path.resolve(dataDir)} is in use by the running Tollgate (pid ${process.pid})`);
      expect(res.err).toContain(`kill -TERM ${process.pid}`);
      expect(res.err).toContain(`run ${command} again`);
      if (restoring) expect(await tablesWithRows(holder.db, (await readCatalog(holder.db)).tables)).toEqual([]);
      else expect(fs.existsSync(file)).toBe(false);
    } finally {
      await holder.close();
    }
  }, 60_000);
});

describe('npm run db:export and db:import', () => {
  const exported = path.join(root, 'export.gz');

  it('writes the embedded database to one file, with the source figures in its header', async () => {
    const res = await cli({ DATA_DIR: sourceDir, ...(serverUrl ? { DATABASE_URL: serverUrl } : {}) }, 'db:export', '--out', exported);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toContain('one snapshot of the embedded database');
    const header = await readDump(exported);
    expect(header.source.kind).toBe('pglite');
    expect(header.figures.usage).toMatchObject({ requests: 3, costMicros: String(source.usage.cost) });
    expect(header.figures.ledgerCheck).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
    expect(header.tables.find((t) => t.name === '__drizzle_migrations')?.rows).toBe(header.migrations.count);
    // Parents before children: users before the tables that refer to them, transfers before postings.
    const order = header.tables.map((t) => t.name);
    expect(order.indexOf('users')).toBeLessThan(order.indexOf('api_keys'));
    expect(order.indexOf('ledger_transfers')).toBeLessThan(order.indexOf('ledger_postings'));
    expect(header.tables.map((t) => t.schema)).not.toContain('pgboss');
  }, 60_000);

  it.skipIf(!serverUrl)('imports it into an empty PostgreSQL: every balance, the ledger check and the usage totals identical', async () => {
    const url = await freshPostgres();
    const res = await cli({ DATABASE_URL: url }, 'db:import', '--from', exported);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toContain('Identical on both sides');
    expect(res.out).not.toContain(url); // host and database only
    const copy = await withDatabase({ databaseUrl: url }, async (database) => {
      const got = await books(database);
      const [first] = await database.db
        .execute(sql`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at FROM ${usageRecords} ORDER BY id LIMIT 1`)
        .then((r) => (r as unknown as { rows: { at: string }[] }).rows);
      const [big] = await database.db.select({ metadata: ledgerTransfers.metadata }).from(ledgerTransfers).where(sql`${ledgerTransfers.idempotencyKey} = 'drill:big'`);
      return { got, first, big };
    });
    expect(copy.got).toEqual(source);
    expect(copy.got.balances['platform:revenue']).toBeGreaterThan(BIG);
    expect(copy.first?.at).toBe('2026-03-01 04:00:00.123456');
    expect(copy.big?.metadata).toEqual({ note: '中文 "quoted" \\ back\nslash', nested: { n: [1.5, null, true] } });

    // Every value as PostgreSQL writes it, and every sequence, came through: a backup of the copy is the export again.
    const again = newFile();
    expect((await cli({ DATABASE_URL: url }, 'backup', '--out', again)).code).toBe(0);
    const [a, b] = [await readDumpHeader(exported), await readDumpHeader(again)];
    expect(b.tables).toEqual(a.tables);
    expect(b.sequences).toEqual(a.sequences);
    expect(b.bodySha256).toBe(a.bodySha256);

    // New rows continue after the copied ids.
    await withDatabase({ databaseUrl: url }, async (database) => {
      const moved = await createLedger({ database, clock: systemClock }).transfer({
        idempotencyKey: 'after-import', kind: 'adjustment',
        postings: [{ account: ACCOUNTS.promoExpense, amount: -1n }, { account: ACCOUNTS.platformRevenue, amount: 1n }],
      });
      expect(moved.transferId).toBe(a.tables.find((t) => t.name === 'ledger_transfers')!.rows + 1);
    });

    const second = await cli({ DATABASE_URL: url }, 'db:import', '--from', exported);
    expect(second.code).toBe(1);
    expect(second.err).toMatch(/the target database is not empty: .*public\.ledger_accounts \(\d+ rows\)/);
  }, 120_000);

  it('refuses db:import without DATABASE_URL', async () => {
    const res = await cli({ DATA_DIR: newDataDir() }, 'db:import', '--from', exported);
    expect(res).toMatchObject({ code: 1, err: expect.stringContaining('DATABASE_URL is not set') });
  });
});

describe('backup and restore', () => {
  it('drill on the embedded database: backup → wipe → restore → the same books, the same file', async () => {
    const dataDir = newDataDir();
    fs.cpSync(sourceDir, dataDir, { recursive: true });
    const backup = newFile();
    const made = await cli({ DATA_DIR: dataDir }, 'backup', '--out', backup);
    expect(made.code, made.err).toBe(0);

    fs.rmSync(path.join(dataDir, 'pgdata'), { recursive: true });
    const restored = await cli({ DATA_DIR: dataDir }, 'restore', '--from', backup);
    expect(restored.code, restored.err).toBe(0);
    expect(restored.out).toContain('Identical on both sides: balances of');
    expect(await withDatabase({ dataDir }, books)).toEqual(source);

    const again = newFile();
    expect((await cli({ DATA_DIR: dataDir }, 'backup', '--out', again)).code).toBe(0);
    const [a, b] = [await readDumpHeader(backup), await readDumpHeader(again)];
    expect(b.tables).toEqual(a.tables);
    expect(b.sequences).toEqual(a.sequences);
  }, 120_000);

  it('refuses to restore into a database that holds rows, naming them', async () => {
    const backup = newFile();
    expect((await cli({ DATA_DIR: sourceDir }, 'backup', '--out', backup)).code).toBe(0);
    const res = await cli({ DATA_DIR: sourceDir }, 'restore', '--from', backup);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/the target database is not empty: .*public\.users \(3 rows\)/);
    expect(await withDatabase({ dataDir: sourceDir }, books)).toEqual(source);
  }, 60_000);

  it('refuses to back up an embedded database while its journal holds charges the database lacks', async () => {
    const dataDir = newDataDir();
    fs.cpSync(sourceDir, dataDir, { recursive: true });
    // A service killed with -9 after journaling this charge, before writing it behind.
    const charge: ChargeItem = {
      payer: { userId: 2, billingMode: 'prepaid', creditLimitMicros: null },
      charge: { requestId: 'req-unwritten', cost: 2_500n, description: 'm: 1 in + 1 out tokens', usage: { requestId: 'req-unwritten', userId: 2, model: 'm', status: 'success', platform: 'api' } },
    };
    fs.mkdirSync(path.join(dataDir, 'journal'));
    fs.writeFileSync(path.join(dataDir, 'journal', 'charges-000000000001.log'), encodeRecord({ kind: 'charge', item: charge }));
    const backup = newFile();
    const res = await cli({ DATA_DIR: dataDir }, 'backup', '--out', backup);
    expect(res.code).toBe(1);
    expect(res.err).toContain('journal holds 1 charge the database does not have yet');
    expect(res.err).toContain('start the service once (it applies them at boot), stop it, and run this again');
    expect(fs.existsSync(backup)).toBe(false);
  }, 60_000);

  it.skipIf(!serverUrl)('drill on PostgreSQL: a backup taken while the service writes is one consistent snapshot, restored exactly', async () => {
    const live = await freshPostgres();
    const seeded = newFile();
    expect((await cli({ DATA_DIR: sourceDir }, 'db:export', '--out', seeded)).code).toBe(0);
    expect((await cli({ DATABASE_URL: live }, 'db:import', '--from', seeded)).code).toBe(0);

    // The service keeps moving money between two accounts while the backup reads.
    const service = await openDatabase({ databaseUrl: live });
    const ledger = createLedger({ database: service, clock: systemClock });
    let backingUp = true;
    let during = 0;
    const writer = (async () => {
      for (let i = 0; backingUp; i++) {
        await ledger.transfer({
          idempotencyKey: `live:${i}`, kind: 'adjustment',
          postings: [{ account: ACCOUNTS.promoExpense, amount: -(1000n + BigInt(i)) }, { account: ACCOUNTS.platformRevenue, amount: 1000n + BigInt(i) }],
        });
        during += 1;
      }
    })();
    const backup = newFile();
    let made: Awaited<ReturnType<typeof cli>>;
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      made = await cli({ DATABASE_URL: live }, 'backup', '--out', backup);
    } finally {
      backingUp = false;
      await writer;
      await service.close();
    }
    expect(made.code, made.err).toBe(0);
    expect(during).toBeGreaterThan(0);
    // Balances that disagreed with their postings would show a snapshot that caught a transfer half-way.
    const header = await readDumpHeader(backup);
    expect(header.figures.ledgerCheck).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });

    // Wiped: a new, empty database; and the other way, into an embedded one.
    const wiped: [Record<string, string>, DatabaseTarget][] = [];
    const url = await freshPostgres();
    const dataDir = newDataDir();
    wiped.push([{ DATABASE_URL: url }, { databaseUrl: url }], [{ DATA_DIR: dataDir }, { dataDir }]);
    for (const [env, target] of wiped) {
      const restored = await cli(env, 'restore', '--from', backup);
      expect(restored.code, restored.err).toBe(0);
      const got = await withDatabase(target, books);
      expect(got.check).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
      expect(got.usage).toEqual(source.usage);
      expect(Object.keys(got.balances).length).toBe(header.figures.balances.accounts);
      const again = newFile();
      expect((await cli(env, 'backup', '--out', again)).code).toBe(0);
      expect((await readDumpHeader(again)).tables).toEqual(header.tables);
    }
  }, 180_000);
});

describe('npm run backup / npm run restore as processes', () => {
  it('back up one DATA_DIR and restore it into another through the npm scripts', async () => {
    const backup = newFile();
    const dataDir = newDataDir();
    const npm = (env: Record<string, string>, ...args: string[]) =>
      spawnSync('npm', ['run', '--silent', ...args], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 120_000 });
    const made = npm({ DATA_DIR: sourceDir }, 'backup', '--', '--out', backup);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain(`Wrote ${backup}`);
    const restored = npm({ DATA_DIR: dataDir }, 'restore', '--', '--from', backup);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('Identical on both sides');
    expect(await withDatabase({ dataDir }, books)).toEqual(source);
    const refused = npm({ DATA_DIR: dataDir }, 'restore', '--', '--from', backup);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('restore: the target database is not empty');
  }, 180_000);
});
