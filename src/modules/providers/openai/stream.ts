import { isRecord, parseJson, valueScanner } from '../json.ts';
import type { SseEvent, StreamTranslator, TokenUsage, TranslateContext, UpstreamFailure } from '../types.ts';
import { usageOf } from './usage.ts';

const reportsUsageOrError = valueScanner('usage', 'error');

/** Characters of chunks kept unread before their text is extracted anyway. */
const UNREAD_LIMIT = 256 * 1024;

/**
 * OpenAI-format upstream stream → the client, untouched: events are forwarded as the upstream's own data strings.
 * Only chunks that carry usage or an error (not `null`) are parsed; the usage-only chunk we asked for is dropped when the
 * client did not ask for it itself.
 */
export function passthroughStream(ctx: TranslateContext): StreamTranslator {
  let usage: TokenUsage | undefined;
  let failure: UpstreamFailure | undefined;
  let text = '';
  /** Chunks whose text is not extracted yet, and their length: most streams end with usage and never need it. */
  let unread: string[] = [];
  let unreadLength = 0;

  return {
    push(event: SseEvent): SseEvent[] {
      const data = event.data;
      if (data === '[DONE]') return [];
      // An error is never forwarded as it came (it may quote the key): the relay writes its own error event.
      if (event.event === 'error') return fail(parseJson(data));
      if (!usage) keep(data);
      if (!reportsUsageOrError(data)) return [{ data }];
      const chunk = parseJson(data) as { usage?: unknown; choices?: unknown[]; error?: unknown } | undefined;
      // Unreadable: relayed as it came, unless it names an error.
      if (!isRecord(chunk)) return data.includes('"error"') ? fail(undefined) : [{ data }];
      if (chunk.error) return fail(chunk);
      const reported = usageOf(chunk.usage);
      if (reported) {
        usage = reported;
        unread = [];
        unreadLength = 0;
      }
      const usageOnly = !chunk.choices || chunk.choices.length === 0;
      if (usageOnly && !ctx.clientWantsUsage) return [];
      return [{ data }];
    },
    end: () => [],
    usage: () => usage,
    text: () => {
      readUnread();
      return text;
    },
    error: () => failure,
  };

  /** Records the stream's error (OpenAI's `{error:{message,type,code}}` when readable) and sends nothing on. */
  function fail(payload: unknown): SseEvent[] {
    const error = isRecord(payload) && isRecord(payload.error) ? payload.error : isRecord(payload) ? payload : {};
    const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
    failure = { status: 502, message: str(error.message) ?? 'upstream stream error', type: str(error.type) ?? 'upstream_error', code: str(error.code) };
    return [];
  }

  // The tokenizer fallback needs the generated text only when no usage arrives, so chunks are kept as they came and
  // read only if it is asked for — or once they hold a lot, to bound what a long stream keeps in memory.
  function keep(data: string) {
    unread.push(data);
    unreadLength += data.length;
    if (unreadLength > UNREAD_LIMIT) readUnread();
  }

  function readUnread() {
    for (const data of unread) collectText(data);
    unread = [];
    unreadLength = 0;
  }

  // A regex over the chunk rather than parsing it as JSON. The match is still JSON-escaped (`\u4f60`, `\"`):
  // unescaped, it counts as the tokens it is, not as its escapes.
  function collectText(data: string) {
    const match = /"(?:content|text|arguments)"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(data);
    if (!match?.[1]) return;
    try {
      text += JSON.parse(`"${match[1]}"`) as string;
    } catch {
      text += match[1];
    }
  }
}
