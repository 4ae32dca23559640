import type { SseEvent, TranslateContext } from '../types.ts';
import { anthropicEvent, asNumber, asRecords, asString, isRecord, type Json, type StopReason } from './messages-api.ts';
import { anthropicUsageOf, stopReasonOf } from './response.ts';

// OpenAI chat chunks → Anthropic's event sequence, for a streamed `POST /v1/messages` served by an OpenAI-format
// upstream. Anthropic clients (the official SDKs accumulate a message from the events) need the exact order:
// message_start, each content block opened, filled and closed before the next opens, message_delta, message_stop.

export interface InboundStreamContext extends Pick<TranslateContext, 'clientModel' | 'responseId'> {
  /** The gateway's prompt estimate: message_start must report input tokens before the upstream has counted any. */
  estimatedInputTokens?: number;
}

export interface ChatToMessagesStream {
  /** One parsed OpenAI `chat.completion.chunk`; returns the Anthropic events it makes. */
  push(chunk: unknown): SseEvent[];
  /** The upstream stream ended: closes the open block and the message. */
  end(): SseEvent[];
}

export function chatStreamToMessages(ctx: InboundStreamContext): ChatToMessagesStream {
  let started = false;
  let openBlock: number | undefined;
  let nextBlock = 0;
  /** OpenAI tool call index → Anthropic content block index. */
  const blockOfTool = new Map<number, number>();
  let textBlock: number | undefined;
  let stopReason: StopReason | undefined;
  let upstreamUsage: unknown;

  const start = (out: SseEvent[]) => {
    if (started) return;
    started = true;
    const usage = { input_tokens: ctx.estimatedInputTokens ?? 0, output_tokens: 0 };
    const message = {
      id: ctx.responseId,
      type: 'message',
      role: 'assistant',
      model: ctx.clientModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    };
    out.push(anthropicEvent({ type: 'message_start', message }));
  };

  const close = (out: SseEvent[]) => {
    if (openBlock === undefined) return;
    out.push(anthropicEvent({ type: 'content_block_stop', index: openBlock }));
    openBlock = undefined;
  };

  const open = (out: SseEvent[], contentBlock: Json): number => {
    close(out);
    const index = nextBlock++;
    out.push(anthropicEvent({ type: 'content_block_start', index, content_block: contentBlock }));
    openBlock = index;
    return index;
  };

  const pushText = (out: SseEvent[], text: string) => {
    if (textBlock === undefined || textBlock !== openBlock) textBlock = open(out, { type: 'text', text: '' });
    out.push(anthropicEvent({ type: 'content_block_delta', index: textBlock, delta: { type: 'text_delta', text } }));
  };

  const pushToolCall = (out: SseEvent[], call: Json) => {
    const toolIndex = asNumber(call.index) ?? 0;
    const fn = isRecord(call.function) ? call.function : {};
    let index = blockOfTool.get(toolIndex);
    if (index === undefined) {
      // Some OpenAI-compatible upstreams leave the id out; Anthropic clients need one to answer the call.
      const id = asString(call.id) ?? `toolu_${ctx.responseId}_${toolIndex}`;
      index = open(out, { type: 'tool_use', id, name: asString(fn.name) ?? '', input: {} });
      blockOfTool.set(toolIndex, index);
    }
    const fragment = asString(fn.arguments);
    if (!fragment) return;
    // OpenAI streams one tool call's arguments after another; a stray late fragment still goes to its own block.
    const delta = { type: 'input_json_delta', partial_json: fragment };
    out.push(anthropicEvent({ type: 'content_block_delta', index, delta }));
  };

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      start(out);
      if (!isRecord(chunk)) return out;
      if (isRecord(chunk.usage)) upstreamUsage = chunk.usage;
      const choice = asRecords(chunk.choices)[0];
      const delta = isRecord(choice?.delta) ? choice.delta : {};
      const text = asString(delta.content);
      if (text) pushText(out, text);
      for (const call of asRecords(delta.tool_calls)) pushToolCall(out, call);
      if (choice?.finish_reason != null) stopReason = stopReasonOf(choice.finish_reason);
      return out;
    },

    end() {
      const out: SseEvent[] = [];
      start(out);
      close(out);
      const counted = upstreamUsage === undefined ? undefined : anthropicUsageOf(upstreamUsage);
      // message_delta's usage is cumulative: output_tokens always, input counts once the upstream has reported them.
      const usage = counted ?? { output_tokens: 0 };
      const delta = { stop_reason: stopReason ?? 'end_turn', stop_sequence: null };
      out.push(anthropicEvent({ type: 'message_delta', delta, usage }));
      out.push(anthropicEvent({ type: 'message_stop' }));
      return out;
    },
  };
}
