import { bigserial, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** What the sandbox SMS provider "sent": operators read it in development (`GET /api/v1/admin/sms-outbox`). */
export const smsOutbox = pgTable('sms_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  phone: text('phone').notNull(),
  template: text('template').notNull(),
  content: text('content').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
