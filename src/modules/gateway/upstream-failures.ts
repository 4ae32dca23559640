import { isRecord } from '../providers/json.ts';
import type { UpstreamFailure } from '../providers/types.ts';
import type { Verdict } from '../routing/router.ts';
import { redactCredential } from '../../platform/redact.ts';

// What the gateway makes of an upstream's failure: whom it blames (which circuit counts it), whether another candidate
// is tried, and the few fields a client may see. An upstream's error body is never relayed: upstreams quote keys in
// `message`, `code`, `param`, `type` and fields of their own, so the client's error is rebuilt from the status, the
// scrubbed message and a code from the allow-list below (DESIGN.md §5).

/** Another candidate is tried for these: the upstream cannot serve it now, or does not have the model. */
const FAIL_OVER = new Set([401, 402, 403, 404, 408, 409, 429]);

/** The credential itself is refused or out of funds: every model of the candidate is affected. */
const CANDIDATE_STATUSES = new Set([401, 402, 403]);

/** The upstream failed at serving this model now (it is down, overloaded, throttling or slow for it). */
const MODEL_STATUSES = new Set([408, 429]);

export interface FailurePolicy {
  failOver: boolean;
  verdict: Verdict;
}

/**
 * A 404 (the upstream lacks the model) or a 409 still fails over, since another upstream may serve it, but is
 * uncounted: a buyer asking for a model the key cannot use says nothing about the upstream's health. A wrong key is
 * not always a 401: Gemini answers it with a 400 whose details say API_KEY_INVALID (its adapter types it
 * `authentication_error`).
 */
export function policyFor(failure: Pick<UpstreamFailure, 'status' | 'type'>): FailurePolicy {
  const { status } = failure;
  if (CANDIDATE_STATUSES.has(status) || failure.type === 'authentication_error') return { failOver: true, verdict: 'candidate' };
  if (status >= 500 || MODEL_STATUSES.has(status)) return { failOver: true, verdict: 'model' };
  return { failOver: FAIL_OVER.has(status), verdict: 'uncounted' };
}

/** An upstream failure reduced to what may leave Tollgate. */
export interface ScrubbedFailure {
  status: number;
  /** Free of every piece of the credential (redact.ts). */
  message: string;
  /** Only a code from ALLOWED_CODES. */
  code?: string;
}

/**
 * Codes clients switch on, as OpenAI and Anthropic document them. Anything else — a provider's own vocabulary, or a
 * code field quoting the key — is dropped.
 */
const ALLOWED_CODES = new Set([
  // OpenAI
  'invalid_api_key', 'model_not_found', 'context_length_exceeded', 'rate_limit_exceeded', 'insufficient_quota',
  'billing_hard_limit_reached', 'content_policy_violation', 'content_filter', 'invalid_prompt', 'string_above_max_length',
  'unsupported_parameter', 'unsupported_value', 'unknown_parameter', 'invalid_value', 'invalid_type',
  'missing_required_parameter', 'integer_below_min_value', 'integer_above_max_value', 'decimal_below_min_value',
  'decimal_above_max_value', 'array_above_max_length', 'empty_array', 'invalid_image', 'invalid_image_url',
  'invalid_image_format', 'image_too_large', 'unsupported_country_region_territory', 'server_error',
  // Anthropic error types (the anthropic adapter reports them as the code)
  'invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error',
  'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error',
]);

export function scrubFailure(failure: UpstreamFailure, credential: string): ScrubbedFailure {
  return {
    // A status read from inside a body (a stream's error event) is whatever the upstream wrote there.
    status: Number.isInteger(failure.status) && failure.status >= 400 && failure.status <= 599 ? failure.status : 502,
    message: redactCredential(failure.message, credential),
    ...(failure.code !== undefined && ALLOWED_CODES.has(failure.code) ? { code: failure.code } : {}),
  };
}

/**
 * A 2xx body that is an error report: some OpenAI-compatible upstreams (proxies, older provider APIs) answer errors
 * with HTTP 200. Passed through, it would carry whatever the upstream quoted — the key included.
 */
export function isErrorBody(body: unknown): boolean {
  if (!isRecord(body)) return false;
  const answered = ['choices', 'data', 'content', 'candidates', 'embeddings'].some((field) => field in body);
  return !answered && (body.type === 'error' || (body.error !== undefined && body.error !== null));
}
