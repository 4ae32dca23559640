import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPgliteDataDir } from '../../test/helpers/database.ts';
import { DB_TIERS } from '../../test/helpers/database.ts';
import { ACCOUNTS } from '../modules/ledger/accounts.ts';
import { createLedger } from '../modules/ledger/ledger.service.ts';
import { openDatabase, type Database } from './db.ts';
import { readCatalog, tablesWithRows } from './db-transfer.catalog.ts';
import { run } from './db-transfer.cli.ts';
import { readDump, readDumpHeader, writeDump, type DumpHeader, type DumpRow } from './db-transfer.file.ts';
import { LoadRefused, loadSnapshot, writeSnapshot } from './db-transfer.ts';
import { systemClock } from './time.ts';

// A dump that is not what was written is refused before the target is touched; a load whose books come out different
// from the source's keeps nothing; and values of every kind come back exactly (db-transfer.int.test.ts runs the
// commands over a database with real traffic in it).

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-db-transfer-file-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let seq = 0;
const newFile = () => path.join(root, `dump-${seq++}.gz`);
// Each starts with the migrated database a first boot would create (an initdb and every migration cost ~5 s).
const newDataDir = () => seedPgliteDataDir(path.join(root, `data-${seq++}`));

const BIG = 9_007_199_254_740_993n;

async function cli(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { NODE_ENV: 'test', ...env }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function tablesWithRowsIn(dataDir: string) {
  const database = await openDatabase({ dataDir });
  try {
    return await tablesWithRows(database.db, (await readCatalog(database.db)).tables);
  } finally {
    await database.close();
  }
}

describe('a file that is not what was written', () => {
  const good = path.join(root, 'good.gz');
  let revenue: bigint;

  beforeAll(async () => {
    const database = await DB_TIERS[0]!.open();
    try {
      const ledger = createLedger({ database, clock: systemClock });
      await ledger.transfer({
        idempotencyKey: 'gift', kind: 'gift', postings: [{ account: ACCOUNTS.promoExpense, amount: -5_000_000n }, { account: ACCOUNTS.userWallet(7), amount: 5_000_000n }],
      });
      await ledger.transfer({
        idempotencyKey: 'big', kind: 'adjustment', postings: [{ account: ACCOUNTS.paymentClearing('sandbox'), amount: -BIG }, { account: ACCOUNTS.platformRevenue, amount: BIG }],
      });
      revenue = await ledger.balance(ACCOUNTS.platformRevenue);
      await writeSnapshot(database, good);
    } finally {
      await database.close();
    }
  }, 60_000);

  /** The file with its body lines edited and its checksums left as they were. */
  function tamper(edit: (line: string) => string): string {
    const [headerLine, ...body] = zlib.gunzipSync(fs.readFileSync(good)).toString('utf8').split('\n');
    const out = newFile();
    fs.writeFileSync(out, Buffer.concat([zlib.gzipSync(`${headerLine}\n`), zlib.gzipSync(body.map(edit).join('\n'))]));
    return out;
  }

  /** A copy of the good file with `row` applied to every row and the checksums made to match again. */
  async function rewrite(row: (table: string, values: DumpRow) => DumpRow, header: (h: DumpHeader) => void = () => undefined): Promise<string> {
    const original = await readDumpHeader(good);
    const rows = new Map<string, DumpRow[]>();
    await readDump(good, { rows: async (t, batch) => void rows.set(t.name, [...(rows.get(t.name) ?? []), ...batch]) });
    const out = newFile();
    await writeDump(out, async (body) => {
      for (const t of original.tables) {
        await body.table(t.schema, t.name, t.columns);
        for (const values of rows.get(t.name) ?? []) await body.row(row(t.name, values));
      }
      const { format: _f, version: _v, tables: _t, bodySha256: _b, ...rest } = original;
      header(rest as DumpHeader);
      return rest;
    });
    return out;
  }

  it('refuses a changed row by its checksum, before touching the target', async () => {
    const changed = tamper((line) => (line.includes('"platform:revenue"') ? line.replace(`"${revenue}"`, `"${revenue + 1n}"`) : line));
    const dataDir = path.join(root, 'never-created');
    const res = await cli({ DATA_DIR: dataDir }, 'restore', '--from', changed);
    expect(res.code).toBe(1);
    expect(res.err).toContain('is damaged or was changed after it was written: the rows of public.ledger_accounts do not match their checksum');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('refuses a truncated file, and one that is not a dump', async () => {
    const cut = newFile();
    const bytes = fs.readFileSync(good);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 40));
    expect((await cli({ DATA_DIR: newDataDir() }, 'restore', '--from', cut)).err).toContain('is damaged or was changed after it was written: it is not a complete gzip file');
    const other = newFile();
    fs.writeFileSync(other, zlib.gzipSync('{"hello":"world"}\n'));
    expect(await cli({ DATA_DIR: newDataDir() }, 'restore', '--from', other)).toMatchObject({ code: 1, err: 'restore: this is not a Tollgate dump (no tollgate-dump header)' });
  });

  it("keeps nothing and says what differs when the loaded books are not the source's", async () => {
    const edited = await rewrite((table, values) => (table === 'ledger_accounts' ? values.map((v) => (v === String(revenue) ? String(revenue - 5n) : v)) : values));
    const dataDir = newDataDir();
    const res = await cli({ DATA_DIR: dataDir }, 'restore', '--from', edited);
    expect(res.code).toBe(1);
    expect(res.err).toContain('restore: the loaded database differs from the source; nothing was kept');
    expect(res.err).toMatch(/\n {2}balances: the source had 4 accounts \(digest \w+\), this database has 4 \(digest \w+\)/);
    expect(res.err).toContain('    platform_revenue: the source had 1 account holding ¥9007199254.740993, this database 1 account holding ¥9007199254.740988');
    expect(res.err).toContain(`ledger check: the source's is sound; this database's finds platform:revenue stored ${revenue - 5n} µ¥, postings ${revenue} µ¥`);
    expect(await tablesWithRowsIn(dataDir)).toEqual([]);
  }, 60_000);

  it('refuses a file written at another migration level', async () => {
    const older = await rewrite((_t, v) => v, (h) => void (h.migrations = { count: h.migrations.count - 1, lastHash: 'abc' }));
    const database = await DB_TIERS[0]!.open();
    try {
      const refused = await loadSnapshot(database, older).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(LoadRefused);
      expect((refused as Error).message).toMatch(/^the file was written at migration level \d+ \(migration abc\), this Tollgate's database is at \d+/);
      expect(await tablesWithRows(database.db, (await readCatalog(database.db)).tables)).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('never overwrites an existing file', async () => {
    const database = await DB_TIERS[0]!.open();
    try {
      await expect(writeSnapshot(database, good)).rejects.toThrow(`${good} already exists: name a new file`);
      expect((await readDump(good)).figures.balances.accounts).toBe(4);
    } finally {
      await database.close();
    }
  });
});

// Types Tollgate's own tables do not use yet, in a table both sides have: each value must come back as it was.
const PROBE = `CREATE TABLE public.transfer_probe (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent_id bigint REFERENCES public.transfer_probe (id),
  amount numeric(38, 12), ratio double precision, spent interval, stamp timestamp, day date, raw bytea, tags text[],
  doc jsonb, uid uuid, flag boolean)`;
const PROBE_ROWS = String.raw`INSERT INTO public.transfer_probe (parent_id, amount, ratio, spent, stamp, day, raw, tags, doc, uid, flag) VALUES
  (NULL, 12345678901234567890.123456789012, 0.1::float8 + 0.2::float8, '1 day 02:03:04.000005', '2026-03-01 23:59:59.999999', '2026-02-28',
   '\x00ff0a', ARRAY['a,b', 'c"d', NULL, ''], '{"big": 123456789012345678901234567890.5, "s": "中文\n\"q\"", "n": [1.5, null, true]}',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true),
  (1, -0.000000000001, '-0', '-3 mons +1 us', NULL, NULL, '\x', '{}', 'null', NULL, false),
  (2, 'NaN', 'NaN', NULL, NULL, NULL, NULL, NULL, '[]', NULL, NULL),
  (2, NULL, '4.9e-324', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

describe('values that a careless copy would bend', () => {
  const probeRows = async (database: Database) =>
    database.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL TimeZone = 'UTC'`));
      await tx.execute(sql.raw('SET LOCAL extra_float_digits = 3'));
      return ((await tx.execute(sql.raw('SELECT t::text AS row FROM public.transfer_probe t ORDER BY id'))) as unknown as { rows: { row: string }[] }).rows.map((r) => r.row);
    });

  it.each(DB_TIERS.map((t) => [t.name, t] as const))('come back exactly from embedded PGlite into %s, identity and sequence included', async (_name, tier) => {
    const from = await DB_TIERS[0]!.open();
    const file = newFile();
    let expected: string[];
    try {
      await from.executeSql(PROBE);
      await from.executeSql(PROBE_ROWS);
      expected = await probeRows(from);
      await writeSnapshot(from, file);
    } finally {
      await from.close();
    }
    const to = await tier.open();
    try {
      await to.executeSql(PROBE);
      await loadSnapshot(to, file);
      expect(await probeRows(to)).toEqual(expected);
      expect(expected[0]).toContain('12345678901234567890.123456789012');
      expect(expected[0]).toContain('2026-03-01 23:59:59.999999');
      const [next] = (await to.executeSql('INSERT INTO public.transfer_probe (flag) VALUES (true) RETURNING id')).rows;
      expect(Number(next.id)).toBe(6);
    } finally {
      await to.close();
    }
  }, 60_000);
});
