// The output limit of an OpenAI-format request: one number, read the same way by the gateway's hold and by every
// adapter that sends it on, so the upstream is never allowed more than the hold assumed.

import { positiveInt } from './json.ts';

export type OutputLimitField = 'max_tokens' | 'max_completion_tokens';

/** The limit the client set: `max_completion_tokens` (OpenAI's current name) before the older `max_tokens`. */
export const requestedOutputLimit = (body: Record<string, unknown>): number | undefined =>
  positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);

/**
 * `body` with its limit in `field` only. Upstreams read one name and may ignore the other (or, like OpenAI's reasoning
 * models, refuse it), so a limit under the wrong name would be no limit at all.
 */
export function withOutputLimitIn(body: Record<string, unknown>, field: OutputLimitField): Record<string, unknown> {
  const limit = requestedOutputLimit(body);
  if (limit === undefined) return body;
  // Already so (the gateway's own limit, or the client's under the right name): no copy — this runs every request.
  if (body[field] === limit && body[field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens'] === undefined) return body;
  const { max_tokens: _tokens, max_completion_tokens: _completion, ...rest } = body;
  return { ...rest, [field]: limit };
}

/** OpenAI's reasoning models (o1, o3, o4-mini…, gpt-5…) take only `max_completion_tokens`; the others take both. */
export const openAiOutputLimitField = (model: string): OutputLimitField =>
  /^(o\d|gpt-5)/i.test(model) ? 'max_completion_tokens' : 'max_tokens';
