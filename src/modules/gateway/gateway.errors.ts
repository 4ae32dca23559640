import { anthropicErrorType } from '../../platform/envelopes.ts';
import { AppError, type ErrorCode } from '../../platform/errors.ts';
import type { ScrubbedFailure } from './upstream-failures.ts';

// The gateway's refusals in OpenAI's vocabulary (`code` is what SDKs and clients switch on); platform/envelopes.ts
// renders them in Anthropic's on `/v1/messages`.

export const modelNotFound = (model: string) =>
  new AppError('NOT_FOUND', `The model \`${model}\` does not exist or you do not have access to it.`, { openaiCode: 'model_not_found', field: 'model' });

export const modelNotAllowed = (model: string) =>
  new AppError('FORBIDDEN', `This API key may not use the model \`${model}\`.`, { openaiCode: 'model_not_allowed', field: 'model' });

export const operationNotSupported = (model: string, what: string) =>
  new AppError('VALIDATION_FAILED', `The model \`${model}\` does not support ${what}.`, { openaiCode: 'unsupported_operation', field: 'model' });

/** Upstreams exist for the model but none can be tried now (circuits open after failures): that passes. */
export const noUpstreamAvailable = (model: string) =>
  new AppError('SERVICE_UNAVAILABLE', `No upstream is available for \`${model}\` right now; retry later.`, { openaiCode: 'upstream_unavailable', openaiType: 'server_error' });

/**
 * The model is on the price list but nothing at all is set up to serve it: a retry cannot help, an operator can. 503
 * (the service cannot serve it; the request itself is fine), without Retry-After, and a code of its own so a client
 * can tell it from an outage; on `/v1/messages` Anthropic's generic `api_error`, not `overloaded_error`.
 */
export const noUpstreamConfigured = (model: string) =>
  new AppError(
    'SERVICE_UNAVAILABLE',
    `No upstream is configured for \`${model}\`. An operator can add one in the console (Operator → Channels) or with POST /1/keys.`,
    { openaiCode: 'no_upstream_configured', openaiType: 'server_error', anthropicType: 'api_error' },
  );

export const upstreamTimeout = () =>
  new AppError('GATEWAY_TIMEOUT', 'The upstream did not answer in time.', { openaiCode: 'upstream_timeout', openaiType: 'server_error' });

export const badUpstreamBody = () =>
  new AppError('BAD_GATEWAY', 'The upstream answered with a body that could not be read.', { openaiCode: 'upstream_error', openaiType: 'server_error' });

/** Statuses an upstream's refusal keeps; any other 4xx that is the request's fault becomes a 400. */
const REFUSALS: Partial<Record<number, ErrorCode>> = { 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 422: 'UNPROCESSABLE' };

/** The upstream found the request itself wrong: its (scrubbed) words go back to the client, nothing else of its body. */
export const upstreamRefused = (f: ScrubbedFailure) =>
  new AppError(REFUSALS[f.status] ?? 'VALIDATION_FAILED', f.message, { openaiCode: f.code ?? 'invalid_request_error' });

/** A 2xx answer that was an error report (upstream-failures.ts `isErrorBody`). */
export const upstreamReportedError = (f: ScrubbedFailure) =>
  new AppError('BAD_GATEWAY', `The upstream reported an error: ${f.message}`, { openaiCode: f.code ?? 'upstream_error', openaiType: 'server_error' });

/** Every candidate failed on its side (down, erroring, refusing our credential). */
export const allUpstreamsFailed = (last: ScrubbedFailure | { message: string }) =>
  new AppError('SERVICE_UNAVAILABLE', `All upstreams failed; last error: ${last.message}`, { openaiCode: 'upstream_unavailable', openaiType: 'server_error' });

/**
 * The error event that ends a stream the upstream broke after the first byte (no status can change any more); the
 * upstream's own report, when it sent one, gives the type and the (scrubbed) message.
 */
export const upstreamFailedMidStream = (f?: ScrubbedFailure) =>
  new AppError('BAD_GATEWAY', f ? `The upstream failed mid-stream: ${f.message}` : 'The upstream failed mid-stream.', {
    openaiCode: f?.code ?? 'upstream_error',
    openaiType: 'server_error',
    anthropicType: anthropicErrorType(f?.status ?? 500),
  });
