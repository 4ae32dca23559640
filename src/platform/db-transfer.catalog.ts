import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.ts';
import { tableKey, type DumpColumn, type DumpSequence, type MigrationLevel } from './db-transfer.file.ts';

// What a dump copies, read from the database's own catalog so that a table a migration adds is copied without a line
// here: every table outside the system schemas, the migration history (drizzle.__drizzle_migrations) included — except
// pg-boss's schema. pg-boss builds that schema itself when the service starts, and its queue holds no state of record:
// the work of every job is found again from Tollgate's own tables (`publish.due` every minute, `studio.video.resume`
// at boot, the cron sweeps of orders, packages, earnings and payouts).

export const MIGRATIONS_TABLE = { schema: 'drizzle', name: '__drizzle_migrations' };
const SKIPPED_SCHEMAS = ['pg_catalog', 'information_schema', 'pgboss'];

export interface CatalogTable {
  schema: string;
  name: string;
  columns: DumpColumn[];
  primaryKey: string[];
  /** Has a GENERATED ALWAYS identity column: inserting its values needs OVERRIDING SYSTEM VALUE. */
  alwaysIdentity: boolean;
}

export interface Catalog {
  /** Parents before children: an order the foreign keys allow to insert in. */
  tables: CatalogTable[];
  sequences: { schema: string; name: string }[];
}

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const qualified = (t: { schema: string; name: string }) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;

export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

const userSchemas = sql.raw(
  `n.nspname NOT IN (${SKIPPED_SCHEMAS.map((s) => `'${s}'`).join(', ')}) AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`,
);

export async function readCatalog(db: Db): Promise<Catalog> {
  const columns = await queryRows<{ schema: string; name: string; column: string; type: string; always_identity: boolean; pk_position: number | null }>(db, sql`
    SELECT n.nspname AS schema, c.relname AS name, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attidentity = 'a' AS always_identity, array_position(pk.conkey, a.attnum) AS pk_position
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${userSchemas}
    ORDER BY n.nspname, c.relname, a.attnum`);
  const tables = new Map<string, CatalogTable & { pk: [number, string][] }>();
  for (const r of columns) {
    const key = tableKey(r);
    const table = tables.get(key) ?? { schema: r.schema, name: r.name, columns: [], primaryKey: [], alwaysIdentity: false, pk: [] };
    tables.set(key, table);
    table.columns.push({ name: r.column, type: r.type });
    if (r.always_identity) table.alwaysIdentity = true;
    if (r.pk_position !== null) table.pk.push([Number(r.pk_position), r.column]);
  }
  for (const t of tables.values()) t.primaryKey = t.pk.sort((a, b) => a[0] - b[0]).map(([, name]) => name);

  const references = await queryRows<{ schema: string; name: string; ref_schema: string; ref_name: string }>(db, sql`
    SELECT n.nspname AS schema, c.relname AS name, rn.nspname AS ref_schema, rc.relname AS ref_name
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class rc ON rc.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE k.contype = 'f'`);
  const sequences = await queryRows<{ schema: string; name: string }>(db, sql`
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND ${userSchemas} ORDER BY n.nspname, c.relname`);

  const parents = new Map<string, Set<string>>([...tables.keys()].map((k) => [k, new Set<string>()]));
  for (const r of references) {
    const child = tableKey(r);
    const parent = tableKey({ schema: r.ref_schema, name: r.ref_name });
    // A table that refers to itself: its rows go in primary-key order, parents first in every schema here.
    if (child !== parent && tables.has(parent)) parents.get(child)?.add(parent);
  }
  return { tables: dependencyOrder(parents).map((k) => stripPk(tables.get(k) as CatalogTable & { pk: unknown })), sequences };
}

function stripPk({ pk: _pk, ...table }: CatalogTable & { pk: unknown }): CatalogTable {
  return table;
}

/** Kahn's algorithm, ties broken by name so that two dumps of one schema list their tables alike. */
function dependencyOrder(parents: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  while (placed.size < parents.size) {
    const ready = [...parents].filter(([k, ps]) => !placed.has(k) && [...ps].every((p) => placed.has(p))).map(([k]) => k).sort();
    if (ready.length === 0) {
      const stuck = [...parents.keys()].filter((k) => !placed.has(k));
      throw new Error(`the foreign keys of ${stuck.join(', ')} form a cycle: no order inserts them`);
    }
    for (const k of ready) {
      order.push(k);
      placed.add(k);
    }
  }
  return order;
}

export async function migrationLevel(db: Db): Promise<MigrationLevel> {
  const [exists] = await queryRows<{ found: boolean }>(db, sql`SELECT to_regclass(${qualified(MIGRATIONS_TABLE)}) IS NOT NULL AS found`);
  if (!exists?.found) return { count: 0, lastHash: null };
  const [level] = await queryRows<{ count: string; last_hash: string | null }>(db, sql.raw(`
    SELECT count(*)::text AS count,
           (SELECT hash FROM ${qualified(MIGRATIONS_TABLE)} ORDER BY created_at DESC, id DESC LIMIT 1) AS last_hash
    FROM ${qualified(MIGRATIONS_TABLE)}`));
  return { count: Number(level?.count ?? 0), lastHash: level?.last_hash ?? null };
}

/** Each sequence's position; read after the rows, so that it is at or past every id the dump holds. */
export async function sequencePositions(db: Db, sequences: Catalog['sequences']): Promise<DumpSequence[]> {
  const out: DumpSequence[] = [];
  for (const s of sequences) {
    const [row] = await queryRows<{ last_value: string; is_called: boolean }>(db, sql.raw(`SELECT last_value::text AS last_value, is_called FROM ${qualified(s)}`));
    if (row) out.push({ ...s, lastValue: row.last_value, isCalled: row.is_called });
  }
  return out;
}

/** Tables that hold rows, with their counts (the migration history aside: migrating an empty database fills it). */
export async function tablesWithRows(db: Db, tables: CatalogTable[]): Promise<{ table: string; rows: number }[]> {
  const found: { table: string; rows: number }[] = [];
  for (const t of tables) {
    if (tableKey(t) === tableKey(MIGRATIONS_TABLE)) continue;
    const [any] = await queryRows<{ found: boolean }>(db, sql.raw(`SELECT EXISTS (SELECT 1 FROM ${qualified(t)}) AS found`));
    if (!any?.found) continue;
    found.push({ table: tableKey(t), rows: await rowCount(db, t) });
  }
  return found;
}

export async function rowCount(db: Db, t: { schema: string; name: string }): Promise<number> {
  const [row] = await queryRows<{ count: string }>(db, sql.raw(`SELECT count(*)::text AS count FROM ${qualified(t)}`));
  return Number(row?.count ?? 0);
}
