import type { SseEvent, StreamTranslator, TokenUsage, TranslateContext, UpstreamFailure } from '../types.ts';
import { usageOf } from './usage.ts';

/**
 * OpenAI-format upstream stream → the client, untouched: events are forwarded as the upstream's own data strings.
 * Only chunks that can carry usage or an error are parsed; the usage-only chunk we asked for is dropped when the
 * client did not ask for it itself.
 */
export function passthroughStream(ctx: TranslateContext): StreamTranslator {
  let usage: TokenUsage | undefined;
  let failure: UpstreamFailure | undefined;
  let text = '';

  return {
    push(event: SseEvent): SseEvent[] {
      const data = event.data;
      if (data === '[DONE]') return [];
      collectText(data);
      if (!data.includes('"usage"') && !data.includes('"error"')) return [{ data }];
      let chunk: { usage?: unknown; choices?: unknown[]; error?: { message?: string; type?: string; code?: string } };
      try {
        chunk = JSON.parse(data);
      } catch {
        return [{ data }];
      }
      if (chunk.error) {
        failure = { status: 502, message: chunk.error.message ?? 'upstream stream error', type: chunk.error.type ?? 'upstream_error', code: chunk.error.code };
        return [];
      }
      const reported = usageOf(chunk.usage);
      if (reported) usage = reported;
      const usageOnly = !chunk.choices || chunk.choices.length === 0;
      if (usageOnly && !ctx.clientWantsUsage) return [];
      return [{ data }];
    },
    end: () => [],
    usage: () => usage,
    text: () => text,
    error: () => failure,
  };

  // The tokenizer fallback needs the generated text only when no usage arrives; extracting it is cheap enough to do
  // always (a regex over the chunk), and it avoids parsing every chunk as JSON.
  // The match is still JSON-escaped (`\u4f60`, `\"`): unescaped, it counts as the tokens it is, not as its escapes.
  function collectText(data: string) {
    if (usage) return;
    const match = /"(?:content|text|arguments)"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(data);
    if (!match?.[1]) return;
    try {
      text += JSON.parse(`"${match[1]}"`) as string;
    } catch {
      text += match[1];
    }
  }
}
