import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

// Many rows in a few parameters. A batch written as one statement (data-modifying CTEs) costs one round trip on
// PostgreSQL and one call into PGlite, whatever its size — the gateway's group commit is built on this.

/** A jsonb parameter: bigints as decimal strings and dates as ISO text, which Postgres casts back exactly. */
export const jsonParam = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * `INSERT INTO <table> (…) SELECT … FROM unnest($1::type[], $2::type[], …)` for `rows`: one array parameter per
 * column. Serial columns are left to the database; a value that is absent (or null) takes the column's default, as in
 * a plain insert. Arrays, not one jsonb document of records: PGlite spent 62–67 µs of CPU a usage row reading the
 * records out of jsonb, 32–43 µs reading arrays (300-row batches; bench/README.md). `given` holds some columns'
 * values for every row at once (they win over the rows' own), so that rows need not be copied to set one field.
 */
export function insertFromArrays<T extends PgTable>(table: T, rows: T['$inferInsert'][], given: Partial<Record<keyof T['$inferInsert'], unknown[]>> = {}): SQL {
  const columns = Object.entries(getTableColumns(table)).filter(([, c]) => !c.getSQLType().includes('serial'));
  const arrays = columns.map(([key]) => {
    const set = (given as Record<string, unknown[] | undefined>)[key];
    if (set) return set.map(arrayElement);
    const values: unknown[] = new Array(rows.length);
    // A plain loop: this runs for every usage record the gateway writes.
    for (let i = 0; i < rows.length; i += 1) values[i] = arrayElement((rows[i] as Record<string, unknown>)[key]);
    return values;
  });
  const names = sql.join(columns.map(([, c]) => sql.identifier(c.name)), sql`, `);
  const values = sql.join(
    columns.map(([, c]) => {
      const value = sql`r.${sql.identifier(c.name)}`;
      if (c.default === undefined) return value;
      return sql`COALESCE(${value}, ${is(c.default, SQL) ? c.default : c.default})`;
    }),
    sql`, `,
  );
  const unnest = sql.join(columns.map(([, c], i) => sql`${sql.param(arrays[i])}::${sql.raw(c.getSQLType())}[]`), sql`, `);
  return sql`INSERT INTO ${table} (${names}) SELECT ${values} FROM unnest(${unnest}) AS r(${names})`;
}

/** An array element both drivers send exactly: bigints as decimal text, dates as ISO text, absent as null. */
function arrayElement(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
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
