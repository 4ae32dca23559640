import { bigint, bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Who changed what, when, on whose behalf: every operator action and state change writes one. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorUserId: bigint('actor_user_id', { mode: 'number' }),
    /** The user whose data changed. */
    tenantUserId: bigint('tenant_user_id', { mode: 'number' }),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    reason: text('reason'),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('audit_events_object_idx').on(t.objectType, t.objectId), index('audit_events_tenant_idx').on(t.tenantUserId)],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
