import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { auditEvents } from './audit.tables.ts';

export interface AuditEvent {
  actorUserId: number | null;
  tenantUserId?: number | null;
  action: string;
  objectType: string;
  objectId: string;
  before?: unknown;
  after?: unknown;
  reason?: string;
  requestId?: string;
}

/** JSON-safe copy: bigint amounts become decimal strings. */
const jsonSafe = (v: unknown) => (v === undefined ? null : JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))));

/** `database` is needed only for reading (`page`); writes go through the caller's transaction. */
export function createAuditLog(deps: { database?: Database } = {}) {
  return {
    /**
     * `INSERT INTO audit_events … <select>`, for events that arise inside a batch statement (a package selling out in a
     * billing flush). The select yields, in order: actor_user_id, tenant_user_id, action, object_type, object_id,
     * before, after, reason, request_id, created_at.
     */
    insertSelect(select: SQL): SQL {
      return sql`INSERT INTO ${auditEvents} (actor_user_id, tenant_user_id, action, object_type, object_id, before, after, reason, request_id, created_at) ${select}`;
    },

    /** Events about one object, newest first, with their total. */
    async page(object: { type: string; id: string }, window: { limit: number; offset: number }) {
      const database = deps.database;
      if (!database) throw new Error('audit.page needs the database');
      const where = and(eq(auditEvents.objectType, object.type), eq(auditEvents.objectId, object.id));
      const [rows, [count]] = await Promise.all([
        database.db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(window.limit).offset(window.offset),
        database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(where),
      ]);
      return { rows, total: count?.n ?? 0 };
    },

    /** Writes in the caller's transaction, so the event commits (or not) with the change it describes. */
    async record(tx: Db, e: AuditEvent): Promise<void> {
      await tx.insert(auditEvents).values({ ...e, before: jsonSafe(e.before), after: jsonSafe(e.after) });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
