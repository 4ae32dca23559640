import { z } from 'zod';
import { PageQuery, RowId, pageEnvelope, studioEnvelope } from '../../platform/envelopes.ts';
import { DEAD_LETTER_STATUSES } from './dead-letters.tables.ts';

// Shapes of the operator's dead-letter view (/api/v1/admin/billing/dead-letters).

export const DeadLetterListQuery = z.strictObject({ ...PageQuery.shape, status: z.enum(DEAD_LETTER_STATUSES).optional() });
export const DeadLetterParams = z.strictObject({ id: RowId });
export const ResolveBody = z.strictObject({ note: z.string().trim().min(2).max(500) });

export const DeadLetterItem = z.object({
  id: z.number().int(),
  request_id: z.string(),
  user_id: z.number().int(),
  key_id: z.number().int().nullable(),
  /** CNY, exact to the µ¥ (a request often costs less than a cent). */
  cost: z.number(),
  model: z.string().nullable(),
  status: z.enum(DEAD_LETTER_STATUSES),
  error: z.string(),
  attempts: z.number().int(),
  handled_by: z.number().int().nullable(),
  note: z.string().nullable(),
  created_at: z.string(),
  handled_at: z.string().nullable(),
});
export type DeadLetterItem = z.infer<typeof DeadLetterItem>;

export const DeadLetterPageResponse = studioEnvelope(pageEnvelope(DeadLetterItem));
export const DeadLetterResponse = studioEnvelope(DeadLetterItem);
