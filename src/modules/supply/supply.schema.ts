import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

// Shapes shared by the supply console's routes: the contract's pagination and the list envelope.

/** The contract's PageParam / PageSizeParam: page ≥ 1, page_size 1–200, default 20. */
export const SupplyPageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(200).default(20),
});
export type SupplyPageQuery = z.infer<typeof SupplyPageQuery>;

export const supplyWindow = (q: SupplyPageQuery) => ({ limit: q.page_size, offset: (q.page - 1) * q.page_size });

/** `{request_id, data: [...], pagination: {page, page_size, total}}`. */
export function supplyListEnvelope<T extends z.ZodType>(item: T) {
  return z.object({
    request_id: z.string(),
    data: z.array(item),
    pagination: z.object({ page: z.number().int(), page_size: z.number().int(), total: z.number().int() }),
  });
}

export function supplyList<T>(req: FastifyRequest, q: SupplyPageQuery, total: number, data: T[]) {
  return { request_id: req.id, data, pagination: { page: q.page, page_size: q.page_size, total } };
}

/** ISO 8601 date-time as the contract's `format: date-time` fields show it. */
export const isoTime = (d: Date) => d.toISOString();
