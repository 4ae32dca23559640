import { isRecord, parseJson } from '../json.ts';
import type { SseEvent, TokenUsage } from '../types.ts';

// The parts of Anthropic's Messages API wire format (anthropic-version 2023-06-01) that Tollgate reads or writes, and
// the few shapes of OpenAI's chat format the translators share. Bodies arrive as untrusted JSON, so every reader checks
// what it touches instead of trusting these types.

export const ANTHROPIC_VERSION = '2023-06-01';

export type Json = Record<string, unknown>;

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export type ImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export interface ImageBlock {
  type: 'image';
  source: ImageSource;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string | TextBlock[];
  is_error?: boolean;
}

export type RequestBlock = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock;

export interface AnthropicTurn {
  role: 'user' | 'assistant';
  content: RequestBlock[];
}

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<TextBlock | ToolUseBlock>;
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** OpenAI's `tool_calls[]` entry of a chat message. */
export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export { isRecord, parseJson };
export const asRecords = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const asNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Request bodies leave optional fields out rather than sending them as null, which some upstreams reject. */
export function omitUndefined(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The text of content that is either a string or a list of parts/blocks (text, or an assistant's refusal). */
export function textOf(content: unknown, separator = ''): string {
  if (typeof content === 'string') return content;
  return asRecords(content)
    .map((p) => asString(p.text) ?? asString(p.refusal) ?? '')
    .join(separator);
}

/** Tool arguments travel as a JSON string in OpenAI's format and as an object in Anthropic's. */
export function toolInputOf(args: unknown): Json {
  const parsed = typeof args === 'string' ? parseJson(args) : args;
  return isRecord(parsed) ? parsed : {};
}

/**
 * Anthropic's `input_tokens` excludes prompt tokens written to or read from the prompt cache; all three are billed as
 * prompt, so Tollgate's prompt count is their sum.
 */
export function tokenUsageOf(usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage) || asNumber(usage.input_tokens) === undefined) return undefined;
  const n = (k: keyof AnthropicUsage) => asNumber(usage[k]) ?? 0;
  return {
    promptTokens: n('input_tokens') + n('cache_creation_input_tokens') + n('cache_read_input_tokens'),
    completionTokens: n('output_tokens'),
  };
}

/** Anthropic names every event twice: as the SSE event name and as `type` in its data. */
export const anthropicEvent = (payload: Json & { type: string }): SseEvent => ({
  event: payload.type,
  data: JSON.stringify(payload),
});
