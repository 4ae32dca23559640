import { capped, usdModel } from '../prices.ts';
import { dataIds, modelListParser, probeGet } from '../probe.ts';
import type { ModelInfo, Operation, ProviderAdapter } from '../types.ts';
import { ANTHROPIC_VERSION, isRecord, tokenUsageOf } from './messages-api.ts';
import { chatToAnthropicRequest } from './request.ts';
import { messageToChatCompletion, parseAnthropicError } from './response.ts';
import { chatStreamTranslator, passThroughTranslator } from './stream.ts';

// Anthropic's Messages API: `chat` is translated from and to OpenAI's format, `messages` goes through as it is.

const OPERATIONS: Operation[] = ['chat', 'messages'];

const MODELS: ModelInfo[] = [
  capped(usdModel('claude-opus-4-5', 5, 25, OPERATIONS), 64_000),
  capped(usdModel('claude-opus-4-1', 15, 75, OPERATIONS), 32_000),
  capped(usdModel('claude-opus-4-0', 15, 75, OPERATIONS), 32_000),
  capped(usdModel('claude-sonnet-4-5', 3, 15, OPERATIONS), 64_000),
  capped(usdModel('claude-sonnet-4-0', 3, 15, OPERATIONS), 64_000),
  capped(usdModel('claude-3-7-sonnet-latest', 3, 15, OPERATIONS), 64_000),
  capped(usdModel('claude-haiku-4-5', 1, 5, OPERATIONS), 64_000),
  capped(usdModel('claude-3-5-haiku-latest', 0.8, 4, OPERATIONS), 8_192),
];

export const anthropicAdapter: ProviderAdapter = {
  name: 'anthropic',
  operations: new Set(OPERATIONS),
  models: MODELS,

  buildRequest(op, body, target, stream) {
    const upstreamBody =
      op === 'chat'
        ? chatToAnthropicRequest(body, target.model, stream)
        : op === 'messages'
          ? nativeBody(body, stream)
          : unsupported(op);
    return {
      url: `${target.baseUrl}/v1/messages`,
      headers: { ...authHeaders(target.credential), 'content-type': 'application/json' },
      body: JSON.stringify(upstreamBody),
    };
  },

  parseResponse(op, body, ctx) {
    if (op === 'chat') return messageToChatCompletion(body, ctx);
    if (op === 'messages') return { body, usage: isRecord(body) ? tokenUsageOf(body.usage) : undefined };
    return unsupported(op);
  },

  streamTranslator(op, ctx) {
    if (op === 'chat') return chatStreamTranslator(ctx);
    if (op === 'messages') return passThroughTranslator();
    return unsupported(op);
  },

  parseError: parseAnthropicError,

  // The Models API pages 20 by default; one page of up to 1000 is every model there is.
  probe: {
    models: (target) => probeGet(`${target.baseUrl}/v1/models?limit=1000`, authHeaders(target.credential)),
    parseModels: modelListParser(dataIds, parseAnthropicError),
  },
};

const authHeaders = (credential: string) => ({ 'x-api-key': credential, 'anthropic-version': ANTHROPIC_VERSION });

/** The client's own Messages request; only `stream` is made to agree with how the relay will read the answer. */
function nativeBody(body: Record<string, unknown>, stream: boolean): Record<string, unknown> {
  return (body.stream === true) === stream ? body : { ...body, stream };
}

function unsupported(op: Operation): never {
  throw new Error(`the anthropic adapter does not carry ${op} requests`);
}
