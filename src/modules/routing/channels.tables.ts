import { bigserial, boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** Platform channels: upstream accounts the operators hold (legacy `/1/keys`, later `/api/v1/models`). */
export const channels = pgTable(
  'channels',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    /** Upstream base URL without a trailing `/v1`; null means the provider's default. */
    baseUrl: text('base_url'),
    /** The upstream credential, envelope-encrypted (platform/crypto.ts). */
    credentialCiphertext: text('credential_ciphertext').notNull(),
    /** Keyed HMAC of the credential: detects duplicates without storing any character of it. */
    credentialFingerprint: text('credential_fingerprint').notNull(),
    /** Models this channel serves; null means every priced model of its provider. */
    models: jsonb('models').$type<string[]>(),
    weight: integer('weight').notNull().default(1),
    /** Higher priorities are tried first among upstreams of the same price; weight splits traffic within one. */
    priority: integer('priority').notNull().default(0),
    /** Requests started per minute; null means no cap. */
    rpmLimit: integer('rpm_limit'),
    /** Requests in flight at once; null means no cap. */
    maxConcurrent: integer('max_concurrent'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('channels_fingerprint_live_uq').on(t.credentialFingerprint).where(sql`${t.deletedAt} IS NULL`)],
);

export type ChannelRow = typeof channels.$inferSelect;
