import { isRecord } from '../json.ts';
import { capped, usdModel as m } from '../prices.ts';
import { fieldOfEach, modelListParser, probeGet } from '../probe.ts';
import type { Operation, ProviderAdapter, TokenUsage, TranslateContext, UpstreamPost, UpstreamTarget } from '../types.ts';
import { buildGeminiEmbeddingsRequest, buildGeminiRequest } from './request.ts';
import { parseGeminiChat, parseGeminiEmbeddings, parseGeminiError } from './response.ts';
import { geminiChatStream } from './stream.ts';

// Google Gemini (Generative Language API v1beta): a real translator, not an OpenAI-compatible pass-through.

interface GeminiOperation {
  build(body: Record<string, unknown>, target: UpstreamTarget, stream: boolean): UpstreamPost;
  parse(body: unknown, ctx: TranslateContext): { body: unknown; usage?: TokenUsage };
}

const OPERATIONS: Partial<Record<Operation, GeminiOperation>> = {
  chat: { build: buildGeminiRequest, parse: parseGeminiChat },
  embeddings: { build: buildGeminiEmbeddingsRequest, parse: parseGeminiEmbeddings },
};

function operation(op: Operation): GeminiOperation {
  const found = OPERATIONS[op];
  if (!found) throw new Error(`the gemini adapter does not carry ${op}`);
  return found;
}

// List prices in US$ per 1M tokens (2.5 Pro at its ≤200K-token prompt tier). Google lists text-embedding-004 as free
// on the API; the nominal price keeps embedding traffic from being free for buyers.
export const GEMINI_MODELS = [
  capped(m('gemini-2.5-pro', 1.25, 10), 65_536),
  capped(m('gemini-2.5-flash', 0.3, 2.5), 65_536),
  capped(m('gemini-2.0-flash', 0.1, 0.4), 8_192),
  m('text-embedding-004', 0.02, 0, ['embeddings']),
];

export const geminiAdapter: ProviderAdapter = {
  name: 'gemini',
  operations: new Set(Object.keys(OPERATIONS) as Operation[]),
  models: GEMINI_MODELS,
  buildRequest: (op, body, target, stream) => operation(op).build(body, target, stream),
  parseResponse: (op, body, ctx) => operation(op).parse(body, ctx),
  streamTranslator(op, ctx) {
    if (op !== 'chat') throw new Error(`the gemini adapter does not stream ${op}`);
    return geminiChatStream(ctx);
  },
  parseError: parseGeminiError,

  // 50 models a page unless asked for more (at most 1000). Google's JSON leaves out empty lists, so `{}` is a
  // credential that may use no model, not an unreadable answer.
  probe: {
    models: (target) => probeGet(`${target.baseUrl}/v1beta/models?pageSize=1000`, { 'x-goog-api-key': target.credential }),
    parseModels: modelListParser(
      (body) => (isRecord(body) ? (body.models === undefined ? [] : fieldOfEach(body.models, 'name')?.map((name) => name.replace(/^models\//, ''))) : undefined),
      parseGeminiError,
    ),
  },
};
