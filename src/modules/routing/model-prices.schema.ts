import { z } from 'zod';
import { studioEnvelope } from '../../platform/envelopes.ts';
import { MICROS_PER_YUAN, parseCny } from '../../platform/money.ts';
import { PROVIDER_NAMES } from '../providers/catalog.ts';

// The operators' price list for API buyers (`/api/v1/admin/model-prices`): CNY per 1M tokens (per image for
// `per_image_price`) at the edge, µ¥ inside.

/** Far above any real price; beyond it a number could no longer be shown exactly with 4 decimals. */
const MAX_UNIT_PRICE = 1_000_000n * MICROS_PER_YUAN;

const unitPrice = (field: string) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const micros = parseCny(v, 4);
    if (micros === undefined || micros < 0n || micros > MAX_UNIT_PRICE) {
      ctx.addIssue({ code: 'custom', message: `${field} must be a CNY price from 0 to 1000000 with at most 4 decimals` });
      return z.NEVER;
    }
    return micros;
  });

export const ModelPriceParams = z.strictObject({
  // Model ids as upstreams spell them (`gpt-4o-mini`, `ERNIE-4.0-8K`, `Qwen/Qwen2.5-7B-Instruct`); nothing that could
  // hide in a log line or a header.
  model: z.string().min(1).max(128).regex(/^[\w.:@+/-]+$/, 'letters, digits and . _ - : @ + / only'),
});

export const PutModelPriceBody = z.strictObject({
  provider: z.enum(PROVIDER_NAMES),
  input_price: unitPrice('input_price'),
  output_price: unitPrice('output_price'),
  per_image_price: unitPrice('per_image_price').nullable().optional(),
});

/** The most a supplier's package may ask for a model; without one, the model's price × 1.5 applies. */
export const PutModelCeilingBody = z.strictObject({
  input_price: unitPrice('input_price'),
  output_price: unitPrice('output_price'),
  per_image_price: unitPrice('per_image_price').nullable().optional(),
});

export const ModelPriceItem = z.object({
  model: z.string(),
  provider: z.string(),
  input_price: z.number().describe('What buyers are shown and pay at most, CNY per 1M input tokens'),
  output_price: z.number(),
  per_image_price: z.number().nullable(),
  operations: z.array(z.string()),
  price_source: z.enum(['default', 'operator']),
  ceiling_input_price: z.number().describe('The most a supplier package may ask, CNY per 1M input tokens'),
  ceiling_output_price: z.number(),
  ceiling_per_image_price: z.number().nullable(),
  ceiling_source: z.enum(['default', 'operator']).describe('`default`: the price × 1.5'),
});

export const ModelPriceList = studioEnvelope(z.array(ModelPriceItem));
export const ModelPriceResponse = studioEnvelope(ModelPriceItem);
