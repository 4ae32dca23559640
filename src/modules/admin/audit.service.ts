import type { Db } from '../../platform/db.ts';
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

export function createAuditLog() {
  return {
    /** Writes in the caller's transaction, so the event commits (or not) with the change it describes. */
    async record(tx: Db, e: AuditEvent): Promise<void> {
      await tx.insert(auditEvents).values({ ...e, before: jsonSafe(e.before), after: jsonSafe(e.after) });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
