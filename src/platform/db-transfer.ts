import { sql } from 'drizzle-orm';
import { sqlState, type Database, type Db } from './db.ts';
import {
  MIGRATIONS_TABLE, migrationLevel, qualified, queryRows, quoteIdent, readCatalog, rowCount, sequencePositions, tablesWithRows,
  type Catalog, type CatalogTable,
} from './db-transfer.catalog.ts';
import { figureDifferences, identityFigures, type Figures } from './db-transfer.figures.ts';
import { readDump, tableKey, writeDump, type BodyWriter, type DumpHeader, type DumpRow, type DumpTable } from './db-transfer.file.ts';

// Moving the database and backing it up (issue 17). `writeSnapshot` reads every table inside one REPEATABLE READ,
// read-only transaction — one consistent snapshot, however much the service writes meanwhile — into a dump file.
// `loadSnapshot` copies a dump into an empty database inside one transaction, which commits only when the balances,
// the ledger check and the usage totals there are identical to the source's: a load that fails leaves the target as
// empty as it found it. Values travel as PostgreSQL's text for them, so ids, bigints, numerics, jsonb and timestamps
// arrive exactly as they left, from PGlite to PostgreSQL and back.

const FETCH_ROWS = 1000;
const INSERT_ROWS = 500;

/** The target cannot take this file (not empty, another schema, in use), or took it and came out different. */
export class LoadRefused extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
  }
}

export interface LoadReport {
  header: DumpHeader;
  /** The figures of the loaded database (identical to the header's, or the load would have been refused). */
  figures: Figures;
  rows: number;
}

// The text forms below are the ones every PostgreSQL reads back exactly; pinning them makes a dump independent of the
// server's settings (a timestamp's zone, a float's digits).
async function useExactText(tx: Db): Promise<void> {
  for (const setting of [`TimeZone = 'UTC'`, `DateStyle = 'ISO, YMD'`, `IntervalStyle = 'postgres'`, 'extra_float_digits = 3', `bytea_output = 'hex'`]) {
    await tx.execute(sql.raw(`SET LOCAL ${setting}`));
  }
}

/** Writes every table of `database`, as one snapshot, to the new file `out`. */
export async function writeSnapshot(database: Database, out: string): Promise<DumpHeader> {
  return writeDump(out, (body) =>
    database.transaction(async (tx) => {
      // Before any other statement: the snapshot it fixes is the one every read below sees.
      await tx.execute(sql.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY'));
      await useExactText(tx);
      const [at] = await queryRows<{ now: string; version: string }>(tx, sql.raw(`SELECT to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now, current_setting('server_version') AS version`));
      const catalog = await readCatalog(tx);
      const migrations = await migrationLevel(tx);
      const figures = await identityFigures(database, tx);
      for (const table of catalog.tables) {
        await body.table(table.schema, table.name, table.columns);
        await copyRows(tx, table, body);
      }
      const sequences = await sequencePositions(tx, catalog.sequences);
      return { createdAt: at?.now ?? '', source: { kind: database.kind, serverVersion: at?.version ?? '' }, migrations, sequences, figures };
    }),
  );
}

async function copyRows(tx: Db, table: CatalogTable, body: BodyWriter): Promise<void> {
  const select = table.columns.map((c, i) => `${quoteIdent(c.name)}::text AS c${i}`).join(', ');
  const order = table.primaryKey.length > 0 ? ` ORDER BY ${table.primaryKey.map(quoteIdent).join(', ')}` : '';
  // A cursor: the rows stream through in pages, whatever the table's size, all from the transaction's snapshot.
  await tx.execute(sql.raw(`DECLARE tollgate_dump NO SCROLL CURSOR FOR SELECT ${select} FROM ${qualified(table)}${order}`));
  for (;;) {
    const rows = await queryRows<Record<string, string | null>>(tx, sql.raw(`FETCH FORWARD ${FETCH_ROWS} FROM tollgate_dump`));
    for (const r of rows) await body.row(table.columns.map((_, i) => r[`c${i}`] ?? null));
    if (rows.length < FETCH_ROWS) break;
  }
  await tx.execute(sql.raw('CLOSE tollgate_dump'));
}

/**
 * Loads the dump `from` into `database`, which must be empty (migrated is fine: its migration history is replaced by
 * the file's). `verified` is the header of an earlier `readDump` of the same file; without it the file is verified
 * here first, whole, before anything is written.
 */
export async function loadSnapshot(database: Database, from: string, verified?: DumpHeader): Promise<LoadReport> {
  const header = verified ?? (await readDump(from));
  return database.transaction(async (tx) => {
    await useExactText(tx);
    const level = await migrationLevel(tx);
    if (level.count !== header.migrations.count || level.lastHash !== header.migrations.lastHash) {
      throw new LoadRefused(
        `the file was written at migration level ${header.migrations.count} (${short(header.migrations.lastHash)}), this Tollgate's database is at ` +
          `${level.count} (${short(level.lastHash)}): load it with the Tollgate version that wrote it, then upgrade`,
      );
    }
    const catalog = await readCatalog(tx);
    const targets = matchSchema(header, catalog);
    await lockTables(tx, catalog.tables);
    const occupied = await tablesWithRows(tx, catalog.tables);
    if (occupied.length > 0) {
      throw new LoadRefused(
        `the target database is not empty: ${occupied.map((o) => `${o.table} (${o.rows} ${o.rows === 1 ? 'row' : 'rows'})`).join(', ')}. ` +
          'Load into an empty database: a new PostgreSQL database, or a DATA_DIR without pgdata/',
      );
    }
    await tx.execute(sql.raw(`DELETE FROM ${qualified(MIGRATIONS_TABLE)}`));
    let rows = 0;
    await readDump(
      from,
      {
        async rows(table, batch) {
          await insertRows(tx, targets.get(tableKey(table)) as CatalogTable, table, batch);
          rows += batch.length;
        },
      },
      INSERT_ROWS,
    );
    for (const s of header.sequences) {
      await tx.execute(sql`SELECT setval(${qualified(s)}::regclass, ${s.lastValue}::bigint, ${String(s.isCalled)}::boolean)`);
    }
    const figures = await identityFigures(database, tx);
    const differences = [...figureDifferences(header.figures, figures), ...(await rowCountDifferences(tx, header.tables))];
    if (differences.length > 0) throw new LoadRefused('the loaded database differs from the source; nothing was kept', differences);
    return { header, figures, rows };
  });
}

const short = (hash: string | null) => (hash ? `migration ${hash.slice(0, 12)}` : 'none');

/** The target's tables by name, when they are exactly the file's (same tables, columns, types and sequences). */
function matchSchema(header: DumpHeader, catalog: Catalog): Map<string, CatalogTable> {
  const targets = new Map(catalog.tables.map((t) => [tableKey(t), t]));
  const problems: string[] = [];
  for (const t of header.tables) {
    const target = targets.get(tableKey(t));
    if (!target) {
      problems.push(`${tableKey(t)} is in the file, not in this database`);
      continue;
    }
    const here = new Map(target.columns.map((c) => [c.name, c.type]));
    for (const c of t.columns) if (here.get(c.name) !== c.type) problems.push(`${tableKey(t)}.${c.name} is ${c.type} in the file, ${here.get(c.name) ?? 'absent'} here`);
    for (const c of target.columns) if (!t.columns.some((f) => f.name === c.name)) problems.push(`${tableKey(t)}.${c.name} is here, not in the file`);
  }
  const inFile = new Set(header.tables.map(tableKey));
  for (const key of targets.keys()) if (!inFile.has(key)) problems.push(`${key} is in this database, not in the file`);
  const sequences = new Set(catalog.sequences.map(tableKey));
  for (const s of header.sequences) if (!sequences.has(tableKey(s))) problems.push(`sequence ${tableKey(s)} is in the file, not in this database`);
  if (problems.length > 0) throw new LoadRefused("the file's tables are not this database's", problems);
  return targets;
}

// A service still running on the target would write between the emptiness check and the commit: the locks keep it out,
// and a session that holds them already (that service) makes the load give up instead of waiting forever.
async function lockTables(tx: Db, tables: CatalogTable[]): Promise<void> {
  try {
    await tx.execute(sql.raw(`SET LOCAL lock_timeout = '10s'`));
    await tx.execute(sql.raw(`LOCK TABLE ${tables.map(qualified).join(', ')} IN ACCESS EXCLUSIVE MODE`));
  } catch (err) {
    if (sqlState(err) !== '55P03') throw err;
    throw new LoadRefused('another session is using the target database (a Tollgate service?): stop it and load again');
  }
}

async function insertRows(tx: Db, target: CatalogTable, table: DumpTable, rows: DumpRow[]): Promise<void> {
  const types = new Map(target.columns.map((c) => [c.name, c.type]));
  const names = table.columns.map((c) => quoteIdent(c.name)).join(', ');
  // Each value is cast from its text by the column's type: the same input function COPY uses.
  const values = table.columns.map((c, i) => `(r->>${i})::${types.get(c.name)}`).join(', ');
  const overriding = target.alwaysIdentity ? ' OVERRIDING SYSTEM VALUE' : '';
  await tx.execute(
    sql`INSERT INTO ${sql.raw(qualified(target))} (${sql.raw(names)})${sql.raw(overriding)} SELECT ${sql.raw(values)} FROM json_array_elements(${JSON.stringify(rows)}::json) AS r`,
  );
}

async function rowCountDifferences(tx: Db, tables: DumpTable[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    const here = await rowCount(tx, t);
    if (here !== t.rows) out.push(`${tableKey(t)}: ${t.rows} rows in the file, ${here} here`);
  }
  return out;
}
