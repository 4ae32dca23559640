// One error class for the whole service; each code has exactly one HTTP status.
// Envelopes (platform/envelopes.ts) decide how a code is rendered for a path prefix.

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
  // Studio business codes (studio spec "错误码"); their HTTP status is 400.
  INSUFFICIENT_CREDITS: 400,
  MEMBERSHIP_EXPIRED: 400,
  COUPON_INVALID: 400,
  ORDER_NOT_FOUND: 400,
  PAYMENT_FAILED: 400,
  AI_SERVICE_FAILED: 400,
  GENERATION_FAILED: 400,
  PLATFORM_NOT_BOUND: 400,
  PUBLISH_FAILED: 400,
  ACTIVITY_ENDED: 400,
  // Supply console codes with a meaning of their own (DESIGN.md §6); generic ones render as SUP_<AREA>_<status>1.
  SUP_ACC_4092: 409,
  // createSupplyAccount declares 422 (not 409) for its business refusals: a credential already mounted, an
  // Idempotency-Key reused with another body (or still in flight), a credential that failed verification.
  SUP_ACC_4221: 422,
  SUP_ACC_4222: 422,
  SUP_ACC_4223: 422,
  SUP_PKG_4092: 409,
  SUP_PKG_4093: 409,
  SUP_PKG_4094: 409,
  SUP_SET_4001: 400,
  SUP_SET_4002: 400,
  SUP_SET_4003: 400,
  SUP_SET_4091: 409,
  SUP_SET_4092: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The studio envelope's numeric `code` for business errors; other codes render as their HTTP status. */
export const STUDIO_BUSINESS_CODES: Partial<Record<ErrorCode, number>> = {
  INSUFFICIENT_CREDITS: 40001,
  MEMBERSHIP_EXPIRED: 40002,
  COUPON_INVALID: 40003,
  ORDER_NOT_FOUND: 40004,
  PAYMENT_FAILED: 40005,
  AI_SERVICE_FAILED: 40006,
  GENERATION_FAILED: 40007,
  PLATFORM_NOT_BOUND: 40008,
  PUBLISH_FAILED: 40009,
  ACTIVITY_ENDED: 40010,
};

export interface ErrorDetails {
  /** The request field at fault, e.g. `body.email`. */
  field?: string;
  issues?: { path: string; message: string }[];
  [key: string]: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  /** Extra response headers, e.g. Retry-After for 429. */
  headers: Record<string, string> = {};

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`);
export const unauthenticated = (message = 'Authentication required') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'Permission denied') => new AppError('FORBIDDEN', message);
export const conflict = (message: string, details?: ErrorDetails) => new AppError('CONFLICT', message, details);
export const badRequest = (message: string, details?: ErrorDetails) =>
  new AppError('VALIDATION_FAILED', message, details);
