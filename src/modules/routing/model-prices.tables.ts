import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Operator-set prices for API buyers, per model, in µ¥ per 1M tokens. A model listed here is served (through the
 * channels of its provider) even when no adapter knows it; adapters' own lists give the defaults.
 */
export const modelPrices = pgTable('model_prices', {
  model: text('model').primaryKey(),
  provider: text('provider').notNull(),
  inputMicros: bigint('input_micros', { mode: 'bigint' }).notNull(),
  outputMicros: bigint('output_micros', { mode: 'bigint' }).notNull(),
  perImageMicros: bigint('per_image_micros', { mode: 'bigint' }),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type ModelPriceRow = typeof modelPrices.$inferSelect;
