import {
  type AnthropicTurn,
  asRecords,
  asString,
  isRecord,
  type Json,
  omitUndefined,
  type RequestBlock,
  type TextBlock,
  textOf,
  toolInputOf,
  type ToolUseBlock,
} from './messages-api.ts';
import { requestedOutputLimit } from '../output-limit.ts';

// OpenAI chat request → Anthropic Messages request.

/** Anthropic requires `max_tokens`; OpenAI clients usually omit it (the gateway then sends the limit its hold assumed). */
export const DEFAULT_MAX_TOKENS = 4096;

export function chatToAnthropicRequest(body: Json, model: string, stream: boolean): Json {
  const system = systemTextOf(body.messages);
  const tools = asRecords(body.tools).filter((t) => t.type === 'function' && isRecord(t.function));
  const toolChoice = tools.length > 0 ? toolChoiceOf(body.tool_choice, body.parallel_tool_calls) : undefined;
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop : undefined;
  const user = asString(body.user);
  return omitUndefined({
    model,
    max_tokens: requestedOutputLimit(body) ?? DEFAULT_MAX_TOKENS,
    system: system || undefined,
    messages: turnsOf(body.messages),
    tools: tools.length > 0 ? tools.map(toolOf) : undefined,
    tool_choice: toolChoice,
    // OpenAI accepts temperatures up to 2, Anthropic only up to 1: clamping keeps such requests servable.
    temperature: typeof body.temperature === 'number' ? Math.min(Math.max(body.temperature, 0), 1) : undefined,
    top_p: body.top_p ?? undefined,
    stop_sequences: stop && stop.length > 0 ? stop : undefined,
    metadata: user ? { user_id: user } : undefined,
    stream: stream || undefined,
  });
}

/** System and developer messages may sit anywhere in OpenAI's list; Anthropic has one top-level `system`. */
function systemTextOf(messages: unknown): string {
  return asRecords(messages)
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content))
    .filter((t) => t.length > 0)
    .join('\n\n');
}

/**
 * Anthropic wants alternating user/assistant turns, so consecutive turns of one role (several tool results, a tool
 * result followed by the user's next words) are merged into one.
 */
function turnsOf(messages: unknown): AnthropicTurn[] {
  const turns: AnthropicTurn[] = [];
  for (const message of asRecords(messages)) {
    const turn = turnOf(message);
    if (!turn || turn.content.length === 0) continue;
    const last = turns.at(-1);
    if (last?.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  }
  for (const turn of turns) if (turn.role === 'user') turn.content = toolResultsFirst(turn.content);
  return turns;
}

/** Anthropic rejects a user turn whose tool_result blocks come after other content. */
function toolResultsFirst(blocks: RequestBlock[]): RequestBlock[] {
  return [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')];
}

function turnOf(message: Json): AnthropicTurn | undefined {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: userBlocksOf(message.content) };
    case 'assistant':
      return { role: 'assistant', content: assistantBlocksOf(message) };
    case 'tool': {
      const toolUseId = asString(message.tool_call_id) ?? '';
      const content = toolResultContentOf(message.content);
      return { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content }] };
    }
    default:
      return undefined;
  }
}

function textBlock(text: string): TextBlock[] {
  // Anthropic rejects empty text blocks.
  return text.length > 0 ? [{ type: 'text', text }] : [];
}

function userBlocksOf(content: unknown): RequestBlock[] {
  if (typeof content === 'string') return textBlock(content);
  return asRecords(content).flatMap((part): RequestBlock[] => {
    if (part.type === 'text') return textBlock(asString(part.text) ?? '');
    if (part.type === 'image_url') return imageBlockOf(part.image_url);
    // Audio and file parts have no Anthropic counterpart through this route; they are left out.
    return [];
  });
}

function imageBlockOf(imageUrl: unknown): RequestBlock[] {
  const url = isRecord(imageUrl) ? asString(imageUrl.url) : asString(imageUrl);
  if (!url) return [];
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (dataUrl) return [{ type: 'image', source: { type: 'base64', media_type: dataUrl[1] ?? '', data: dataUrl[2] ?? '' } }];
  return /^https?:\/\//i.test(url) ? [{ type: 'image', source: { type: 'url', url } }] : [];
}

function assistantBlocksOf(message: Json): RequestBlock[] {
  return [...textBlock(textOf(message.content)), ...toolUseBlocksOf(message.tool_calls)];
}

/** OpenAI `tool_calls` as Anthropic tool_use blocks. */
export function toolUseBlocksOf(toolCalls: unknown): ToolUseBlock[] {
  return asRecords(toolCalls).flatMap((call): ToolUseBlock[] => {
    if (!isRecord(call.function)) return [];
    const { name, arguments: args } = call.function;
    return [{ type: 'tool_use', id: asString(call.id) ?? '', name: asString(name) ?? '', input: toolInputOf(args) }];
  });
}

function toolResultContentOf(content: unknown): string | TextBlock[] {
  if (typeof content === 'string') return content;
  return asRecords(content).flatMap((p) => textBlock(asString(p.text) ?? ''));
}

function toolOf(tool: Json): Json {
  const fn = tool.function as Json;
  return omitUndefined({
    name: fn.name,
    description: asString(fn.description),
    // A function without parameters still needs an object schema on Anthropic.
    input_schema: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
  });
}

function toolChoiceOf(choice: unknown, parallelToolCalls: unknown): Json | undefined {
  const base = baseToolChoiceOf(choice);
  if (parallelToolCalls !== false) return base;
  // Anthropic has no "parallel" switch of its own: it hangs off the tool choice (and means nothing for `none`).
  const withChoice = base ?? { type: 'auto' };
  return withChoice.type === 'none' ? withChoice : { ...withChoice, disable_parallel_tool_use: true };
}

function baseToolChoiceOf(choice: unknown): Json | undefined {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (isRecord(choice) && isRecord(choice.function)) return { type: 'tool', name: asString(choice.function.name) ?? '' };
  return undefined;
}
