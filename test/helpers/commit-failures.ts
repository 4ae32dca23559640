import { and, eq } from 'drizzle-orm';
import type { Database } from '../../src/platform/db.ts';
import { idempotencyRecords } from '../../src/platform/idempotency.tables.ts';

// A failure right after a COMMIT — the connection drops before the acknowledgement arrives, the process is killed,
// the reply fails — as the caller sees it: the transaction's work is durable, and the code that waited for it throws.
// `arm` aims it at the first transaction after which a condition holds (e.g. the order it wrote exists).

export function commitFailures() {
  let armed: ((database: Database) => Promise<boolean>) | undefined;
  let fired = 0;
  return {
    /** For TestAppOptions.wrapDatabase. */
    wrap(database: Database): Database {
      return {
        ...database,
        async transaction(fn) {
          const result = await database.transaction(fn);
          const check = armed;
          if (check && (await check(database))) {
            armed = undefined;
            fired++;
            throw new Error('connection lost after COMMIT (injected)');
          }
          return result;
        },
      };
    },
    /** The first transaction after whose commit `done` holds throws, once committed. */
    arm(done: (database: Database) => Promise<boolean>) {
      armed = done;
    },
    /** Aimed at the transaction that completes the stored response of an Idempotency-Key. */
    armForKey(key: string) {
      armed = async (database) => {
        const [row] = await database.db
          .select({ state: idempotencyRecords.state })
          .from(idempotencyRecords)
          .where(and(eq(idempotencyRecords.key, key), eq(idempotencyRecords.state, 'completed')));
        return row !== undefined;
      };
    },
    /** How many failures were injected (a test that expects one can tell it happened). */
    fired: () => fired,
  };
}
