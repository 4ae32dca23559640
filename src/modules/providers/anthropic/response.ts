import type { TokenUsage, TranslateContext, UpstreamFailure } from '../types.ts';
import {
  type AnthropicUsage,
  asNumber,
  asRecords,
  asString,
  isRecord,
  type Json,
  type OpenAiFinishReason,
  type OpenAiToolCall,
  parseJson,
  type StopReason,
  tokenUsageOf,
} from './messages-api.ts';

// Answers between the two formats: an Anthropic message as an OpenAI chat completion (and the stop reason and usage
// tables both ways, shared with the inbound translators), and Anthropic's error bodies as failures.

const FINISH_REASONS: Record<StopReason, OpenAiFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  // A paused server-tool turn has nothing more to give an OpenAI client, which cannot resume it.
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReasonOf(stopReason: unknown): OpenAiFinishReason {
  return FINISH_REASONS[stopReason as StopReason] ?? 'stop';
}

/** The reverse direction, for Anthropic clients served by an OpenAI-format upstream. */
const STOP_REASONS: Record<string, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

export const stopReasonOf = (finishReason: unknown): StopReason => STOP_REASONS[String(finishReason)] ?? 'end_turn';

/** OpenAI counts cached prompt tokens inside prompt_tokens; Anthropic reports them apart from input_tokens. */
export function anthropicUsageOf(usage: unknown): Required<AnthropicUsage> {
  const u = isRecord(usage) ? usage : {};
  const prompt = asNumber(u.prompt_tokens) ?? 0;
  const details = isRecord(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cached = Math.min(asNumber(details.cached_tokens) ?? 0, prompt);
  return {
    input_tokens: prompt - cached,
    output_tokens: asNumber(u.completion_tokens) ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** OpenAI's usage object; `cached_tokens` tells clients how much of the prompt came from Anthropic's cache. */
export function openAiUsageOf(usage: unknown): Json | undefined {
  const tokens = tokenUsageOf(usage);
  if (!tokens || !isRecord(usage)) return undefined;
  const cached = typeof usage.cache_read_input_tokens === 'number' ? usage.cache_read_input_tokens : 0;
  return {
    prompt_tokens: tokens.promptTokens,
    completion_tokens: tokens.completionTokens,
    total_tokens: tokens.promptTokens + tokens.completionTokens,
    ...(cached > 0 ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
  };
}

/** Anthropic content blocks as an OpenAI assistant message: text joined, tool_use blocks as tool_calls. */
export function assistantChatMessageOf(blocks: Json[]): Json {
  const text = blocks
    .filter((b) => b.type === 'text')
    .map((b) => asString(b.text) ?? '')
    .join('');
  const toolCalls: OpenAiToolCall[] = blocks
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({
      id: asString(b.id) ?? '',
      type: 'function',
      function: { name: asString(b.name) ?? '', arguments: JSON.stringify(b.input ?? {}) },
    }));
  return {
    role: 'assistant',
    // OpenAI's convention: a message that only calls tools has null content.
    content: text.length === 0 && toolCalls.length > 0 ? null : text,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

export function messageToChatCompletion(message: unknown, ctx: TranslateContext): { body: Json; usage?: TokenUsage } {
  const msg = isRecord(message) ? message : {};
  const usage = openAiUsageOf(msg.usage);
  const body: Json = {
    id: ctx.responseId,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.clientModel,
    choices: [
      {
        index: 0,
        message: assistantChatMessageOf(asRecords(msg.content)),
        logprobs: null,
        finish_reason: finishReasonOf(msg.stop_reason),
      },
    ],
    ...(usage ? { usage } : {}),
  };
  return { body, usage: tokenUsageOf(msg.usage) };
}

/**
 * Anthropic's error types, with the OpenAI error type a client expects in their place and the HTTP status Anthropic
 * uses for each (needed for errors that arrive inside a 200 stream, which carry no status of their own).
 */
const ERROR_TYPES: Record<string, { type: string; status: number }> = {
  invalid_request_error: { type: 'invalid_request_error', status: 400 },
  authentication_error: { type: 'authentication_error', status: 401 },
  billing_error: { type: 'insufficient_quota', status: 402 },
  permission_error: { type: 'permission_error', status: 403 },
  not_found_error: { type: 'invalid_request_error', status: 404 },
  request_too_large: { type: 'invalid_request_error', status: 413 },
  rate_limit_error: { type: 'rate_limit_error', status: 429 },
  api_error: { type: 'server_error', status: 500 },
  timeout_error: { type: 'server_error', status: 504 },
  overloaded_error: { type: 'server_error', status: 529 },
};

function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

const MAX_RAW_MESSAGE = 500;

/** A non-2xx answer. Anthropic's body is `{type:"error", error:{type, message}}`; proxies in front may send HTML. */
export function parseAnthropicError(status: number, bodyText: string): UpstreamFailure {
  const body = parseJson(bodyText);
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const anthropicType = asString(error?.type);
  const message =
    asString(error?.message) || bodyText.trim().slice(0, MAX_RAW_MESSAGE) || `Anthropic answered HTTP ${status}`;
  const known = anthropicType ? ERROR_TYPES[anthropicType] : undefined;
  return {
    status,
    message,
    type: known?.type ?? typeForStatus(status),
    ...(anthropicType ? { code: anthropicType } : {}),
  };
}

/** The data of an `error` event inside a stream, which arrives after a 200 and so carries no status of its own. */
export function parseStreamError(data: unknown): UpstreamFailure {
  const error = isRecord(data) && isRecord(data.error) ? data.error : {};
  const anthropicType = asString(error.type) ?? 'api_error';
  const known = ERROR_TYPES[anthropicType] ?? { type: 'server_error', status: 500 };
  return {
    status: known.status,
    message: asString(error.message) || 'Anthropic reported an error mid-stream',
    type: known.type,
    code: anthropicType,
  };
}
