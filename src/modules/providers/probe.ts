import { isRecord, parseJson } from './json.ts';
import type { ProviderProbe, UpstreamFailure, UpstreamRequest } from './types.ts';

// The pieces every adapter's probe (types.ts ProviderProbe) shares: a body-less GET, and reading a model list out of
// whatever JSON shape the provider wraps it in.

export function probeGet(url: string, headers: Record<string, string>): UpstreamRequest {
  return { method: 'GET', url, headers: { accept: 'application/json', ...headers } };
}

/**
 * `parseModels` for a provider whose 2xx list `idsIn` reads (undefined: not a model list) and whose other answers
 * `parseError` reads.
 */
export function modelListParser(
  idsIn: (body: unknown) => string[] | undefined,
  parseError: (status: number, bodyText: string) => UpstreamFailure,
): ProviderProbe['parseModels'] {
  return (status, bodyText) => {
    if (status < 200 || status > 299) return parseError(status, bodyText);
    const models = idsIn(parseJson(bodyText));
    if (models) return { ok: true, models };
    return { status, message: 'the provider answered with something other than a model list', type: 'invalid_response' };
  };
}

/** The string `field` of every object in `list`; undefined when `list` is not an array. */
export function fieldOfEach(list: unknown, field: string): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((item) => (isRecord(item) && typeof item[field] === 'string' ? [item[field] as string] : []));
}

/** OpenAI's `{object: "list", data: [{id}]}`, which Anthropic's list shares (`{data: [{id}], has_more}`). */
export const dataIds = (body: unknown) => (isRecord(body) ? fieldOfEach(body.data, 'id') : undefined);
