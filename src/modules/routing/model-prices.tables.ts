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

/**
 * Operator-set price ceilings, per model, in µ¥ per 1M tokens (per image for `per_image_micros`): the most a supplier's
 * package may ask for the model. Without a row the ceiling is the model's price × 1.5 (routing/price-ceiling.ts).
 */
export const modelPriceCeilings = pgTable('model_price_ceilings', {
  model: text('model').primaryKey(),
  inputMicros: bigint('input_micros', { mode: 'bigint' }).notNull(),
  outputMicros: bigint('output_micros', { mode: 'bigint' }).notNull(),
  perImageMicros: bigint('per_image_micros', { mode: 'bigint' }),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type ModelPriceCeilingRow = typeof modelPriceCeilings.$inferSelect;
