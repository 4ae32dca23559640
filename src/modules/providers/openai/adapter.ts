import { parseJson } from '../json.ts';
import { withOutputLimitIn, type OutputLimitField } from '../output-limit.ts';
import { dataIds, modelListParser, probeGet } from '../probe.ts';
import type { ModelInfo, Operation, ProbeTarget, ProviderAdapter, ProviderProbe, UpstreamFailure, UpstreamPost, UpstreamTarget } from '../types.ts';
import { passthroughStream } from './stream.ts';
import { usageOf } from './usage.ts';

// The OpenAI wire format, shared by every upstream that speaks it (OpenAI itself, Azure, DashScope compatible mode,
// Qianfan v2, Spark, Hunyuan): they differ only in data — base path, auth header, models — declared by each adapter.

const PATHS: Partial<Record<Operation, string>> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  images: '/images/generations',
};

export interface OpenAiCompatibleSpec {
  name: string;
  models: ModelInfo[];
  operations?: Operation[];
  /** Path between the base URL and the operation: `/v1` for most, `/v2` for Qianfan. */
  apiPrefix?: string;
  /** The URL of one call; defaults to base + prefix + operation path. */
  url?: (op: Operation, target: UpstreamTarget) => string;
  /** Auth headers; defaults to a bearer token. */
  auth?: (credential: string) => Record<string, string>;
  /** The model list's URL; defaults to base + prefix + `/models`. */
  modelsUrl?: (target: ProbeTarget) => string;
  /** The field a chat request's output limit must travel in for `model`; defaults to `max_tokens`. */
  outputLimitField?: (model: string) => OutputLimitField;
  /** The balance endpoint, for the few that report one: its URL, and the balance read from a 2xx answer. */
  balance?: { url: (target: ProbeTarget) => string; read: (body: unknown) => number | undefined; currency: string };
}

export function openAiCompatible(spec: OpenAiCompatibleSpec): ProviderAdapter {
  const prefix = spec.apiPrefix ?? '/v1';
  const url = spec.url ?? ((op: Operation, target: UpstreamTarget) => `${target.baseUrl}${prefix}${PATHS[op]}`);
  const auth = spec.auth ?? ((credential: string) => ({ authorization: `Bearer ${credential}` }));
  const modelsUrl = spec.modelsUrl ?? ((target: ProbeTarget) => `${target.baseUrl}${prefix}/models`);
  const limitField = spec.outputLimitField ?? (() => 'max_tokens');

  return {
    name: spec.name,
    operations: new Set(spec.operations ?? ['chat', 'completions', 'embeddings']),
    models: spec.models,

    buildRequest(op, body, target): UpstreamPost {
      return {
        url: url(op, target),
        headers: { 'content-type': 'application/json', ...auth(target.credential) },
        body: JSON.stringify(op === 'chat' ? withOutputLimitIn(body, limitField(target.model)) : body),
      };
    },

    parseResponse(_op, body, ctx) {
      // The client sees the model name it asked for, not the upstream's (a deployment or a supplier's alias).
      if (body && typeof body === 'object' && 'model' in body) (body as { model: unknown }).model = ctx.clientModel;
      return { body, usage: usageOf((body as { usage?: unknown } | null)?.usage) };
    },

    streamTranslator: (_op, ctx) => passthroughStream(ctx),

    parseError: openAiError,

    probe: openAiProbe(modelsUrl, auth, spec.balance),
  };
}

function openAiProbe(
  modelsUrl: (target: ProbeTarget) => string,
  auth: (credential: string) => Record<string, string>,
  balance: OpenAiCompatibleSpec['balance'],
): ProviderProbe {
  return {
    models: (target) => probeGet(modelsUrl(target), auth(target.credential)),
    parseModels: modelListParser(dataIds, openAiError),
    ...(balance && {
      balance: (target: ProbeTarget) => probeGet(balance.url(target), auth(target.credential)),
      parseBalance: (status: number, bodyText: string) => (status >= 200 && status < 300 ? balance.read(parseJson(bodyText)) : undefined),
      balanceCurrency: balance.currency,
    }),
  };
}

/** OpenAI's `{error:{message,type,code}}`; other bodies (HTML from a proxy, plain text) keep a short excerpt. */
export function openAiError(status: number, bodyText: string): UpstreamFailure {
  try {
    const parsed = JSON.parse(bodyText) as { error?: unknown; message?: unknown };
    const err = parsed.error;
    if (err && typeof err === 'object') {
      const e = err as { message?: unknown; type?: unknown; code?: unknown };
      return {
        status,
        message: typeof e.message === 'string' ? e.message : `upstream answered ${status}`,
        type: typeof e.type === 'string' ? e.type : 'upstream_error',
        code: typeof e.code === 'string' ? e.code : undefined,
      };
    }
    if (typeof err === 'string') return { status, message: err, type: 'upstream_error' };
    if (typeof parsed.message === 'string') return { status, message: parsed.message, type: 'upstream_error' };
  } catch {
    // Not JSON: fall through to the excerpt.
  }
  return { status, message: `upstream answered ${status}: ${bodyText.slice(0, 200)}`, type: 'upstream_error' };
}
