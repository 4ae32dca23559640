import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

// Many rows in one parameter. A batch written as one statement (data-modifying CTEs) costs one round trip on
// PostgreSQL and one call into PGlite, whatever its size — the gateway's group commit is built on this.

/** A jsonb parameter: bigints as decimal strings and dates as ISO text, which Postgres casts back exactly. */
export const jsonParam = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * `INSERT INTO <table> (…) SELECT … FROM jsonb_to_recordset($1)` for `rows`. Serial columns are left to the database;
 * a value that is absent (or null) takes the column's default, as in a plain insert.
 */
export function insertFromJson<T extends PgTable>(table: T, rows: T['$inferInsert'][]): SQL {
  const columns = Object.entries(getTableColumns(table)).filter(([, c]) => !c.getSQLType().includes('serial'));
  // A plain loop: this runs for every usage record the gateway writes.
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const [key, c] of columns) record[c.name] = (row as Record<string, unknown>)[key] ?? null;
    return record;
  });
  const shape = sql.join(columns.map(([, c]) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`), sql`, `);
  const values = sql.join(
    columns.map(([, c]) => {
      const value = sql`r.${sql.identifier(c.name)}`;
      if (c.default === undefined) return value;
      return sql`COALESCE(${value}, ${is(c.default, SQL) ? c.default : c.default})`;
    }),
    sql`, `,
  );
  const names = sql.join(columns.map(([, c]) => sql.identifier(c.name)), sql`, `);
  return sql`INSERT INTO ${table} (${names}) SELECT ${values} FROM jsonb_to_recordset(${jsonParam(records)}::jsonb) AS r(${shape})`;
}

/** A data-modifying statement that must commit with a batch, named so that later ones can read its RETURNING rows. */
export interface NamedStatement {
  name: string;
  statement: SQL;
}

/** Runs named statements as one statement of CTEs (atomic, one round trip). */
export function asOneStatement(statements: NamedStatement[]): SQL {
  const ctes = statements.map((s) => sql`${sql.identifier(s.name)} AS (${s.statement})`);
  return sql`WITH ${sql.join(ctes, sql`, `)} SELECT 1`;
}
