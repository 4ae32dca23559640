import { isRecord, parseJson } from '../json.ts';
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
      // An error is never forwarded as it came (it may quote the key): the relay writes its own error event.
      if (event.event === 'error') return fail(parseJson(data));
      collectText(data);
      if (!data.includes('"usage"') && !data.includes('"error"')) return [{ data }];
      const chunk = parseJson(data) as { usage?: unknown; choices?: unknown[]; error?: unknown } | undefined;
      // Unreadable: relayed as it came, unless it names an error.
      if (!isRecord(chunk)) return data.includes('"error"') ? fail(undefined) : [{ data }];
      if (chunk.error) return fail(chunk);
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

  /** Records the stream's error (OpenAI's `{error:{message,type,code}}` when readable) and sends nothing on. */
  function fail(payload: unknown): SseEvent[] {
    const error = isRecord(payload) && isRecord(payload.error) ? payload.error : isRecord(payload) ? payload : {};
    const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
    failure = { status: 502, message: str(error.message) ?? 'upstream stream error', type: str(error.type) ?? 'upstream_error', code: str(error.code) };
    return [];
  }

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
