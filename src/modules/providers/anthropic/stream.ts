import type { SseEvent, StreamTranslator, TokenUsage, TranslateContext, UpstreamFailure } from '../types.ts';
import {
  type AnthropicUsage,
  asNumber,
  asString,
  isRecord,
  type Json,
  type OpenAiFinishReason,
  parseJson,
  tokenUsageOf,
} from './messages-api.ts';
import { finishReasonOf, openAiUsageOf, parseStreamError } from './response.ts';

// Anthropic's stream: message_start, then per content block content_block_start / content_block_delta… /
// content_block_stop, then message_delta (stop reason, final usage) and message_stop; `ping` and `error` may come at
// any point.

function payloadOf(event: SseEvent): (Json & { type: string }) | undefined {
  const payload = parseJson(event.data);
  // An `error` event is one whatever its data says (unreadable, or with a `type` of its own): it is never passed on.
  if (event.event === 'error') return { ...(isRecord(payload) ? payload : {}), type: 'error' };
  if (!isRecord(payload)) return undefined;
  const type = asString(payload.type) ?? event.event;
  return type ? { ...payload, type } : undefined;
}

const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/** What every reader of an Anthropic stream keeps, whatever it sends on: usage, generated text, an in-stream error. */
class StreamMeter {
  private reported: AnthropicUsage | undefined;
  private readonly pieces: string[] = [];
  failure: UpstreamFailure | undefined;

  observe(payload: Json): void {
    switch (payload.type) {
      case 'message_start':
        return this.addUsage(isRecord(payload.message) ? payload.message.usage : undefined);
      case 'message_delta':
        return this.addUsage(payload.usage);
      case 'content_block_start':
        return this.addText(isRecord(payload.content_block) ? payload.content_block.text : undefined);
      case 'content_block_delta': {
        const delta = isRecord(payload.delta) ? payload.delta : {};
        // Thinking is billed as output too, so the tokenizer fallback must count it.
        return this.addText(delta.text ?? delta.partial_json ?? delta.thinking);
      }
      case 'error':
        this.failure = parseStreamError(payload);
    }
  }

  private addText(text: unknown): void {
    if (typeof text === 'string') this.pieces.push(text);
  }

  /** message_delta's counters are cumulative totals for the whole message: a reported one replaces the earlier one. */
  private addUsage(usage: unknown): void {
    if (!isRecord(usage)) return;
    const next: AnthropicUsage = { ...this.reported };
    for (const field of USAGE_FIELDS) {
      const value = asNumber(usage[field]);
      if (value !== undefined) next[field] = value;
    }
    this.reported = next;
  }

  usage(): TokenUsage | undefined {
    return tokenUsageOf(this.reported);
  }

  /** OpenAI's usage object for the final chunk. */
  openAiUsage(): Json | undefined {
    return openAiUsageOf(this.reported);
  }

  text(): string {
    return this.pieces.join('');
  }
}

/** For `POST /v1/messages` to Anthropic itself: every event goes out as it came, only read on the way. */
export function passThroughTranslator(): StreamTranslator {
  const meter = new StreamMeter();
  return {
    push(event) {
      const payload = payloadOf(event);
      if (payload) meter.observe(payload);
      // The relay writes the one error event that ends the client's stream (StreamTranslator.error).
      return payload?.type === 'error' ? [] : [event];
    },
    end: () => [],
    usage: () => meter.usage(),
    text: () => meter.text(),
    error: () => meter.failure,
  };
}

/** Anthropic events → OpenAI `chat.completion.chunk`s. */
export function chatStreamTranslator(ctx: TranslateContext): StreamTranslator {
  const meter = new StreamMeter();
  /** Anthropic content block index → OpenAI tool call index, for tool_use blocks only. */
  const toolIndexOfBlock = new Map<number, number>();
  let finished = false;
  let usageSent = false;

  const chunk = (delta: Json, finishReason: OpenAiFinishReason | null = null): SseEvent => ({
    data: JSON.stringify({
      id: ctx.responseId,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.clientModel,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    }),
  });

  /** OpenAI's include_usage chunk: empty choices, the usage of the whole request. */
  const usageChunks = (): SseEvent[] => {
    const usage = meter.openAiUsage();
    if (!finished || usageSent || !ctx.clientWantsUsage || !usage) return [];
    usageSent = true;
    const base = { id: ctx.responseId, object: 'chat.completion.chunk', created: ctx.created, model: ctx.clientModel };
    return [{ data: JSON.stringify({ ...base, choices: [], usage }) }];
  };

  const blockStart = (index: number, block: Json): SseEvent[] => {
    if (block.type === 'text') {
      const text = asString(block.text) ?? '';
      return text ? [chunk({ content: text })] : [];
    }
    if (block.type !== 'tool_use') return [];
    const toolIndex = toolIndexOfBlock.size;
    toolIndexOfBlock.set(index, toolIndex);
    const call = { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } };
    return [chunk({ tool_calls: [call] })];
  };

  const blockDelta = (index: number, delta: Json): SseEvent[] => {
    if (delta.type === 'text_delta') {
      const text = asString(delta.text) ?? '';
      return text ? [chunk({ content: text })] : [];
    }
    const toolIndex = toolIndexOfBlock.get(index);
    const fragment = asString(delta.partial_json) ?? '';
    if (delta.type !== 'input_json_delta' || toolIndex === undefined || !fragment) return [];
    return [chunk({ tool_calls: [{ index: toolIndex, function: { arguments: fragment } }] })];
  };

  return {
    push(event) {
      const payload = payloadOf(event);
      if (!payload) return [];
      meter.observe(payload);
      const index = asNumber(payload.index) ?? 0;
      switch (payload.type) {
        case 'message_start':
          return [chunk({ role: 'assistant', content: '' })];
        case 'content_block_start':
          return isRecord(payload.content_block) ? blockStart(index, payload.content_block) : [];
        case 'content_block_delta':
          return isRecord(payload.delta) ? blockDelta(index, payload.delta) : [];
        case 'message_delta': {
          const stopReason = isRecord(payload.delta) ? payload.delta.stop_reason : undefined;
          if (finished || stopReason == null) return [];
          finished = true;
          return [chunk({}, finishReasonOf(stopReason))];
        }
        case 'message_stop':
          return usageChunks();
        default:
          // ping, content_block_stop, error (kept by the meter) and event types added later: nothing to send.
          return [];
      }
    },
    end: () => usageChunks(),
    usage: () => meter.usage(),
    text: () => meter.text(),
    error: () => meter.failure,
  };
}
