import { z } from 'zod';
import { AppError, STUDIO_BUSINESS_CODES } from './errors.ts';

// The one place that knows which response shape a path prefix uses (DESIGN.md §3).

export type EnvelopeKind = 'openai' | 'anthropic' | 'supply' | 'legacy' | 'studio';

export function envelopeKindFor(url: string): EnvelopeKind {
  const path = url.split('?', 1)[0] ?? '';
  // Anthropic's Messages API (and its sub-paths, e.g. count_tokens) is called by Anthropic's SDKs, which read only
  // Anthropic's error shape.
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
  if (path.startsWith('/v1/') || path === '/v1') return 'openai';
  if (path.startsWith('/api/v1/supply/') || path.startsWith('/api/v1/supplier/')) return 'supply';
  if (path.startsWith('/1/') || path === '/1') return 'legacy';
  return 'studio';
}

const SUPPLY_AREAS: [prefix: string, area: string][] = [
  ['/api/v1/supply/accounts', 'ACC'],
  ['/api/v1/supply/packages', 'PKG'],
  ['/api/v1/supply/settlements', 'SET'],
  ['/api/v1/supply/earnings', 'EARN'],
  ['/api/v1/supplier/billing', 'BILL'],
];

/** The area of a path; operators' `/api/v1/supply/admin/<x>` shares the area of `/api/v1/supply/<x>`. */
function supplyArea(url: string): string {
  const path = url.replace('/api/v1/supply/admin/', '/api/v1/supply/');
  return SUPPLY_AREAS.find(([prefix]) => path.startsWith(prefix))?.[1] ?? 'ACC';
}

/** `SUP_<AREA>_<status><seq>`: generic errors take sequence 1 (SUP_ACC_4001, SUP_PKG_4041, …). */
export function supplyErrorCode(url: string, status: number): string {
  return `SUP_${supplyArea(url)}_${status}1`;
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Anthropic's error types by HTTP status, as its API documents them; 503 is how Tollgate says "overloaded". */
const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export const anthropicErrorType = (status: number): string =>
  ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');

export interface RenderedError {
  status: number;
  body: unknown;
}

export function renderError(url: string, requestId: string, err: AppError): RenderedError {
  const status = err.status;
  switch (envelopeKindFor(url)) {
    case 'openai':
      return {
        status,
        body: {
          error: {
            message: err.message,
            type: typeof err.details?.openaiType === 'string' ? err.details.openaiType : (OPENAI_TYPES[status] ?? 'server_error'),
            code: typeof err.details?.openaiCode === 'string' ? err.details.openaiCode : err.code.toLowerCase(),
            param: err.details?.field ?? null,
          },
        },
      };
    case 'anthropic':
      return {
        status,
        body: {
          type: 'error',
          error: {
            type: typeof err.details?.anthropicType === 'string' ? err.details.anthropicType : anthropicErrorType(status),
            message: err.message,
          },
        },
      };
    case 'supply': {
      const code = err.code.startsWith('SUP_') ? err.code : supplyErrorCode(url, status);
      return { status, body: { request_id: requestId, error: { code, message: err.message, details: err.details ?? {} } } };
    }
    case 'legacy':
      return { status, body: { error: err.message } };
    case 'studio':
      return { status, body: { code: STUDIO_BUSINESS_CODES[err.code] ?? status, message: err.message, data: null } };
  }
}

// ---- success envelopes -------------------------------------------------------------------------

export function studioOk<T>(data: T, message = 'success') {
  return { code: 200 as const, message, data };
}

export function studioEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ code: z.literal(200), message: z.string(), data });
}

export function supplyOk<T>(requestId: string, data: T) {
  return { request_id: requestId, data };
}

export function supplyEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ request_id: z.string(), data });
}

// ---- path ids -----------------------------------------------------------------------------------

/** A row id in a path: decimal digits only, since Number() would also read `0x10`, `1e3` or ` 5` as another row's id. */
export const RowId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive decimal integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'is too large');

// ---- pagination (studio best practices: page, page_size default 20 max 100, total) -------------

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** The rows a page covers. */
export const pageWindow = (q: PageQuery) => ({ limit: q.page_size, offset: (q.page - 1) * q.page_size });

/** A page in the studio's shape: `{total, page, page_size, items}`. */
export const pageOf = <T>(q: PageQuery, total: number, items: T[]) => ({ total, page: q.page, page_size: q.page_size, items });

export function pageEnvelope<T extends z.ZodType>(item: T) {
  return z.object({ total: z.number().int(), page: z.number().int(), page_size: z.number().int(), items: z.array(item) });
}

export const StudioEmpty = studioEnvelope(z.null());
export const LegacyMessage = z.object({ message: z.string() });
