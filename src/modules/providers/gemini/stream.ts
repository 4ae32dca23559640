import type { SseEvent, StreamTranslator, TokenUsage, TranslateContext, UpstreamFailure } from '../types.ts';
import { isRecord, parseJson } from '../json.ts';
import type { GeminiCandidate, GeminiError, GeminiResponse, GeminiUsageMetadata } from './response.ts';
import { failureOf, finishReasonOf, openAiUsageOf, textOfParts, tokenUsageOf, toolCallId, toolCallOf } from './response.ts';

/**
 * `streamGenerateContent?alt=sse` → OpenAI chunks. Every SSE event is a whole GenerateContentResponse holding the
 * next slice of text (not a delta protocol of its own), and a function call always arrives complete in one fragment,
 * so each fragment maps straight onto chunks. Usage rides on the fragments, the last one being final.
 */
export function geminiChatStream(ctx: TranslateContext): StreamTranslator {
  const started = new Set<number>();
  const callsPerChoice = new Map<number, number>();
  let callsInResponse = 0;
  let meta: GeminiUsageMetadata | undefined;
  let failure: UpstreamFailure | undefined;
  let text = '';

  const head = { id: ctx.responseId, object: 'chat.completion.chunk', created: ctx.created, model: ctx.clientModel };
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): SseEvent => ({
    data: JSON.stringify({ ...head, choices, ...extra }),
  });
  const choice = (index: number, delta: Record<string, unknown>, finishReason: string | null = null) =>
    chunk([{ index, delta, logprobs: null, finish_reason: finishReason }]);

  function candidateChunks(candidate: GeminiCandidate, position: number): SseEvent[] {
    const index = candidate.index ?? position;
    const out: SseEvent[] = [];
    if (!started.has(index)) {
      started.add(index);
      out.push(choice(index, { role: 'assistant', content: '' }));
    }
    const parts = candidate.content?.parts ?? [];
    const delta = textOfParts(parts);
    if (delta) {
      text += delta;
      out.push(choice(index, { content: delta }));
    }
    for (const part of parts) {
      if (!part.functionCall) continue;
      const call = toolCallOf(part.functionCall, toolCallId(ctx, callsInResponse));
      const n = callsPerChoice.get(index) ?? 0;
      callsPerChoice.set(index, n + 1);
      callsInResponse += 1;
      // The tokenizer fallback should count a call's name and arguments: they are output the model generated.
      text += call.function.name + call.function.arguments;
      out.push(choice(index, { tool_calls: [{ index: n, ...call }] }));
    }
    if (candidate.finishReason) {
      out.push(choice(index, {}, finishReasonOf(candidate.finishReason, callsPerChoice.has(index))));
    }
    return out;
  }

  return {
    push(event: SseEvent): SseEvent[] {
      const parsed = parseJson(event.data);
      if (!isRecord(parsed)) return [];
      const fragment = parsed as GeminiResponse;
      if (isRecord(parsed.error)) {
        const error = parsed.error as GeminiError;
        failure = failureOf(error, typeof error.code === 'number' ? error.code : 502);
        return [];
      }
      if (fragment.usageMetadata) meta = fragment.usageMetadata;
      const candidates = fragment.candidates ?? [];
      // A blocked prompt streams one fragment with `promptFeedback.blockReason` and no candidates.
      if (candidates.length === 0 && fragment.promptFeedback?.blockReason) {
        return [choice(0, { role: 'assistant', content: '' }, 'content_filter')];
      }
      return candidates.flatMap(candidateChunks);
    },

    end(): SseEvent[] {
      if (failure || !ctx.clientWantsUsage || !meta) return [];
      return [chunk([], { usage: openAiUsageOf(meta) })];
    },

    usage: (): TokenUsage | undefined => meta && tokenUsageOf(meta),
    text: () => text,
    error: () => failure,
  };
}
