import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { beijingDayStart } from '../../platform/time.ts';

// The query of the two date-ranged contract operations, listSupplyEarningRecords and getSupplierBilling. Their
// contract declares only 200 and 401, so no query can make them answer 400 (DESIGN.md §6: a status the contract does
// not declare is a defect). A value they cannot use is not used: a date that is not a real YYYY-MM-DD is as if absent,
// a page or page_size that is not a whole number takes its default, one out of bounds the nearest bound, and unknown
// parameters are ignored. The response header `X-Ignored-Query` names every parameter not used as given, so a client
// can tell a typo from an empty period. A range whose end is before its start is simply empty.

export const IGNORED_QUERY_HEADER = 'x-ignored-query';

const FIRST_DAY = '1970-01-01';
const PAGE = { default: 1, min: 1, max: 1_000_000 };
const PAGE_SIZE = { default: 20, min: 1, max: 200 };

const Value = z.union([z.string(), z.array(z.string())]).optional();

/** As documented in /docs: the contract's StartDateParam, EndDateParam, PageParam and PageSizeParam. */
export const SupplyRangeQuery = z.looseObject({
  start_date: Value.describe('YYYY-MM-DD, a whole UTC+8 day (inclusive); anything else is ignored'),
  end_date: Value.describe('YYYY-MM-DD, a whole UTC+8 day (inclusive); anything else is ignored'),
  page: Value.describe('≥ 1, default 1'),
  page_size: Value.describe('1–200, default 20'),
});

export interface SupplyRange {
  start_date?: string;
  end_date?: string;
  page: number;
  page_size: number;
  /** Parameters not used as given, sorted by name. */
  ignored: string[];
}

/** A real calendar day, 1970 or later: what beijingDayStart can turn into an instant PostgreSQL stores. */
function day(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && value >= FIRST_DAY && beijingDayStart(value) ? value : undefined;
}

function whole(value: unknown, bounds: { default: number; min: number; max: number }): { n: number; asGiven: boolean } {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return { n: bounds.default, asGiven: false };
  const n = Number(value);
  return { n: Math.min(bounds.max, Math.max(bounds.min, n)), asGiven: n >= bounds.min && n <= bounds.max };
}

export function readSupplyRange(query: Record<string, unknown>): SupplyRange {
  const ignored: string[] = [];
  const range: SupplyRange = { page: PAGE.default, page_size: PAGE_SIZE.default, ignored };
  for (const [name, value] of Object.entries(query)) {
    if (name === 'start_date' || name === 'end_date') {
      const d = day(value);
      if (d) range[name] = d;
      else ignored.push(name);
    } else if (name === 'page' || name === 'page_size') {
      const { n, asGiven } = whole(value, name === 'page' ? PAGE : PAGE_SIZE);
      range[name] = n;
      if (!asGiven) ignored.push(name);
    } else {
      ignored.push(name);
    }
  }
  ignored.sort();
  return range;
}

/** The range of a request, announcing on the reply what it did not use. */
export function supplyRangeOf(query: Record<string, unknown>, reply: FastifyReply): SupplyRange {
  const range = readSupplyRange(query);
  // Encoded: a parameter name may hold any character, and a header value only some.
  if (range.ignored.length > 0) reply.header(IGNORED_QUERY_HEADER, range.ignored.map(encodeURIComponent).join(','));
  return range;
}
