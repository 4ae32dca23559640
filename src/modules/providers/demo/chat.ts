import { countTokens, promptText } from '../../metering/tokens.ts';
import { requestedOutputLimit } from '../output-limit.ts';
import { demoReply, fitTokens } from './reply.ts';

// The demo's answer in OpenAI's chat completions wire format: a `chat.completion` object, or the `chat.completion.chunk`
// events of a stream — with `usage: null` on every chunk and a final usage-only chunk when `stream_options.include_usage`
// is asked (as the gateway always asks), as OpenAI sends them. Tokens are counted with the gateway's own tokenizer.

type Json = Record<string, unknown>;

interface Choice {
  content?: string;
  toolCall?: { id: string; name: string; arguments: string };
  finishReason: 'stop' | 'length' | 'tool_calls';
}

export interface DemoAnswer {
  id: string;
  created: number;
  model: string;
  choices: Choice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface AnswerIds {
  /** A fresh id with OpenAI's prefix (`chatcmpl`, `call`). */
  id(prefix: string): string;
  /** Unix seconds. */
  created(): number;
}

/** The answer to a validated request: `n` identical choices, each within the request's output limit. */
export async function answerChat(body: Json, ids: AnswerIds): Promise<DemoAnswer> {
  const reply = demoReply(body);
  const limit = requestedOutputLimit(body);
  const n = typeof body.n === 'number' ? body.n : 1;
  let completionTokens = 0;
  const choices: Choice[] = [];
  for (let i = 0; i < n; i += 1) {
    if (reply.kind === 'text') {
      const fitted = await fitTokens(reply.content, limit);
      completionTokens += fitted.tokens;
      choices.push({ content: fitted.text, finishReason: fitted.truncated ? 'length' : 'stop' });
    } else {
      const nameTokens = await countTokens(reply.name);
      const fitted = await fitTokens(reply.arguments, limit === undefined ? undefined : Math.max(0, limit - nameTokens));
      completionTokens += nameTokens + fitted.tokens;
      choices.push({ toolCall: { id: ids.id('call'), name: reply.name, arguments: fitted.text }, finishReason: fitted.truncated ? 'length' : 'tool_calls' });
    }
  }
  const promptTokens = await countTokens(promptText(body));
  return {
    id: ids.id('chatcmpl'),
    created: ids.created(),
    model: body.model as string,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

const toolCallOf = (c: NonNullable<Choice['toolCall']>) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } });

/** The non-streamed `chat.completion`. */
export function completionBody(a: DemoAnswer): Json {
  return {
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model: a.model,
    choices: a.choices.map((c, index) => ({
      index,
      message: c.toolCall
        ? { role: 'assistant', content: null, tool_calls: [toolCallOf(c.toolCall)], refusal: null }
        : { role: 'assistant', content: c.content, refusal: null },
      logprobs: null,
      finish_reason: c.finishReason,
    })),
    usage: a.usage,
  };
}

/** The streamed events' data, in order, without the final `[DONE]` (the responder writes it). */
export function completionChunks(a: DemoAnswer, includeUsage: boolean): Json[] {
  const base = { id: a.id, object: 'chat.completion.chunk', created: a.created, model: a.model };
  const chunk = (choices: Json[]): Json => ({ ...base, choices, ...(includeUsage ? { usage: null } : {}) });
  const delta = (index: number, d: Json, finish: string | null = null) => chunk([{ index, delta: d, logprobs: null, finish_reason: finish }]);
  const out: Json[] = [];
  a.choices.forEach((c, index) => {
    if (c.toolCall) {
      const { id, name, arguments: args } = c.toolCall;
      out.push(delta(index, { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }], refusal: null }));
      for (const part of argumentParts(args)) out.push(delta(index, { tool_calls: [{ index: 0, function: { arguments: part } }] }));
    } else {
      out.push(delta(index, { role: 'assistant', content: '', refusal: null }));
      for (const word of (c.content ?? '').match(/\s*\S+/g) ?? []) out.push(delta(index, { content: word }));
    }
    out.push(delta(index, {}, c.finishReason));
  });
  if (includeUsage) out.push({ ...base, choices: [], usage: a.usage });
  return out;
}

/** Arguments arrive in fragments, as a model generates them; a client must join them. */
function argumentParts(args: string): string[] {
  const chars = Array.from(args);
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += 12) parts.push(chars.slice(i, i + 12).join(''));
  return parts;
}
