import type { TokenUsage, TranslateContext, UpstreamFailure } from '../types.ts';
import type { GeminiPart } from './request.ts';
import { isRecord, parseJson } from '../json.ts';

// Gemini answers → OpenAI answers. The pieces a stream needs too (finish reasons, usage, tool calls) are exported.

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  error?: GeminiError;
}

export interface GeminiError {
  code?: number;
  message?: string;
  status?: string;
  details?: { reason?: string }[];
}

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

const FINISH_REASONS: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
};

/** Gemini says STOP after a function call too; OpenAI clients loop on `tool_calls`. */
export function finishReasonOf(reason: string, calledTools: boolean): string {
  const mapped = FINISH_REASONS[reason] ?? 'stop';
  return mapped === 'stop' && calledTools ? 'tool_calls' : mapped;
}

/** Generated text, without thought summaries (`thought: true` parts are the model's reasoning, not its answer). */
export function textOfParts(parts: GeminiPart[] | undefined): string {
  return (parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join('');
}

/**
 * Gemini's function calls carry no id, so we make them: derived from the response id, they are unique across
 * responses and stable for one response (the same id in a stream as in its replay), with no randomness to inject.
 */
export function toolCallId(ctx: TranslateContext, n: number): string {
  return `call_${ctx.responseId.replace(/^chatcmpl-/, '').replace(/[^A-Za-z0-9]/g, '')}_${n}`;
}

export function toolCallOf(call: NonNullable<GeminiPart['functionCall']>, id: string): OpenAiToolCall {
  return { id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } };
}

/** Thinking models bill their thoughts as output: they are part of the completion the buyer pays for. */
export function tokenUsageOf(meta: GeminiUsageMetadata): TokenUsage {
  const completionTokens = (meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0);
  return { promptTokens: meta.promptTokenCount ?? 0, completionTokens };
}

export function openAiUsageOf(meta: GeminiUsageMetadata): Record<string, unknown> {
  const usage = tokenUsageOf(meta);
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    ...(meta.cachedContentTokenCount ? { prompt_tokens_details: { cached_tokens: meta.cachedContentTokenCount } } : {}),
    ...(meta.thoughtsTokenCount ? { completion_tokens_details: { reasoning_tokens: meta.thoughtsTokenCount } } : {}),
  };
}

export function parseGeminiChat(body: unknown, ctx: TranslateContext): { body: unknown; usage?: TokenUsage } {
  const response = (isRecord(body) ? body : {}) as GeminiResponse;
  let calls = 0;
  const nextCallId = () => toolCallId(ctx, calls++);
  const choices = (response.candidates ?? []).map((candidate, i) => choiceOf(candidate, i, nextCallId));
  // A blocked prompt gets no candidates at all, only `promptFeedback.blockReason`.
  if (choices.length === 0) choices.push(choiceOf({ finishReason: 'PROHIBITED_CONTENT' }, 0, nextCallId));
  const meta = response.usageMetadata;
  return {
    body: {
      id: ctx.responseId,
      object: 'chat.completion',
      created: ctx.created,
      model: ctx.clientModel,
      choices,
      ...(meta ? { usage: openAiUsageOf(meta) } : {}),
    },
    usage: meta && tokenUsageOf(meta),
  };
}

function choiceOf(candidate: GeminiCandidate, position: number, nextCallId: () => string) {
  const parts = candidate.content?.parts ?? [];
  const toolCalls = parts.flatMap((part) => (part.functionCall ? [toolCallOf(part.functionCall, nextCallId())] : []));
  const text = textOfParts(parts);
  return {
    index: candidate.index ?? position,
    message: {
      role: 'assistant',
      content: text || (toolCalls.length ? null : ''),
      refusal: null,
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    },
    finish_reason: finishReasonOf(candidate.finishReason ?? 'STOP', toolCalls.length > 0),
    logprobs: null,
  };
}

/**
 * `batchEmbedContents` reports no token counts: usage is left to the gateway's tokenizer, and the body's zeros are
 * placeholders for it to fill.
 */
export function parseGeminiEmbeddings(body: unknown, ctx: TranslateContext): { body: unknown; usage?: TokenUsage } {
  const embeddings = isRecord(body) && Array.isArray(body.embeddings) ? (body.embeddings as { values?: number[] }[]) : [];
  return {
    body: {
      object: 'list',
      data: embeddings.map((e, index) => ({ object: 'embedding', index, embedding: e.values ?? [] })),
      model: ctx.clientModel,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    },
    usage: undefined,
  };
}

const ERROR_TYPES: Record<string, string> = {
  INVALID_ARGUMENT: 'invalid_request_error',
  PERMISSION_DENIED: 'authentication_error',
  UNAUTHENTICATED: 'authentication_error',
  RESOURCE_EXHAUSTED: 'rate_limit_error',
};

/** Google's canonical codes, for bodies that carry only the HTTP status (a proxy's HTML page, an empty body). */
const STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  429: 'RESOURCE_EXHAUSTED',
};

/** Gemini's `{error:{code,message,status}}`, or whatever else a non-2xx answer carried. */
export function parseGeminiError(status: number, bodyText: string): UpstreamFailure {
  const parsed = parseJson(bodyText);
  // The streaming endpoint answers in a JSON array unless asked for SSE, errors included; accept both shapes.
  const error = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: unknown } | undefined;
  if (isRecord(error) && isRecord(error.error)) return failureOf(error.error as GeminiError, status);
  const excerpt = bodyText.trim().slice(0, 200);
  return {
    status,
    message: excerpt ? `Gemini answered ${status}: ${excerpt}` : `Gemini answered ${status}`,
    type: ERROR_TYPES[STATUS_BY_HTTP[status] ?? ''] ?? 'upstream_error',
  };
}

export function failureOf(error: GeminiError, status: number): UpstreamFailure {
  // A wrong key is a 400 INVALID_ARGUMENT whose details say API_KEY_INVALID: it is the supplier's credential at fault,
  // not the client's request.
  const badKey = Array.isArray(error.details) && error.details.some((d) => d?.reason === 'API_KEY_INVALID');
  const code = error.status ?? STATUS_BY_HTTP[status];
  return {
    status,
    message: error.message ?? `Gemini answered ${status}`,
    type: badKey ? 'authentication_error' : (ERROR_TYPES[code ?? ''] ?? 'upstream_error'),
    ...(code ? { code } : {}),
  };
}
