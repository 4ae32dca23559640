import { sql } from 'drizzle-orm';
import { bigserial, boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The studio spec's model registry (`/api/v1/models`): the models the studio offers, their credit cost, and — when
 * an `api_key` is given — a platform channel of their own that the gateway routes to for `model_name`.
 */
export const registryModels = pgTable(
  'registry_models',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    modelName: text('model_name').notNull(),
    /** The upstream credential, envelope-encrypted; null means the provider's platform channels serve it. */
    credentialCiphertext: text('credential_ciphertext'),
    credentialFingerprint: text('credential_fingerprint'),
    apiBase: text('api_base'),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    creditsCost: integer('credits_cost').notNull().default(0),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('registry_models_name_live_uq').on(t.name).where(sql`${t.deletedAt} IS NULL`)],
);

export type RegistryModelRow = typeof registryModels.$inferSelect;
