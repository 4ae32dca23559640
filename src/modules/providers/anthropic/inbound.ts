import {
  type AnthropicMessage,
  asRecords,
  asString,
  isRecord,
  type Json,
  omitUndefined,
  type TextBlock,
  textOf,
} from './messages-api.ts';
import { toolUseBlocksOf } from './request.ts';
import { anthropicUsageOf, assistantChatMessageOf, stopReasonOf } from './response.ts';

// The gateway's `POST /v1/messages` served by an upstream that speaks OpenAI's chat format: the Anthropic request is
// turned into a chat request, and the chat answer back into an Anthropic message (streamed: inbound-stream.ts).

export { type ChatToMessagesStream, chatStreamToMessages, type InboundStreamContext } from './inbound-stream.ts';

export function messagesToChat(body: Json): Json {
  const system = textOf(body.system, '\n\n');
  const tools = asRecords(body.tools).filter(isClientTool);
  const toolChoice = isRecord(body.tool_choice) ? body.tool_choice : undefined;
  const stream = body.stream === true;
  const userId = isRecord(body.metadata) ? asString(body.metadata.user_id) : undefined;
  const systemMessages = system ? [{ role: 'system', content: system }] : [];
  return omitUndefined({
    model: body.model,
    messages: [...systemMessages, ...asRecords(body.messages).flatMap(chatMessagesOf)],
    max_tokens: body.max_tokens,
    temperature: body.temperature,
    top_p: body.top_p,
    stop: Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0 ? body.stop_sequences : undefined,
    tools: tools.length > 0 ? tools.map(chatToolOf) : undefined,
    tool_choice: tools.length > 0 && toolChoice ? chatToolChoiceOf(toolChoice) : undefined,
    parallel_tool_calls: tools.length > 0 && toolChoice?.disable_parallel_tool_use === true ? false : undefined,
    user: userId,
    stream: stream || undefined,
    // An Anthropic stream ends with the output token count, which an OpenAI stream only sends when asked.
    stream_options: stream ? { include_usage: true } : undefined,
  });
}

/** Server tools (web search, code execution…) run at Anthropic; only client tools (no type, or `custom`) translate. */
const isClientTool = (tool: Json) => (tool.type === undefined || tool.type === 'custom') && typeof tool.name === 'string';

function chatToolOf(tool: Json): Json {
  return {
    type: 'function',
    function: omitUndefined({ name: tool.name, description: asString(tool.description), parameters: tool.input_schema }),
  };
}

function chatToolChoiceOf(choice: Json): unknown {
  if (choice.type === 'any') return 'required';
  if (choice.type === 'none') return 'none';
  if (choice.type === 'tool') return { type: 'function', function: { name: asString(choice.name) ?? '' } };
  return 'auto';
}

function chatMessagesOf(turn: Json): Json[] {
  if (turn.role === 'assistant') {
    const blocks = typeof turn.content === 'string' ? [{ type: 'text', text: turn.content }] : asRecords(turn.content);
    return [assistantChatMessageOf(blocks)];
  }
  if (turn.role !== 'user') return [];
  if (typeof turn.content === 'string') return [{ role: 'user', content: turn.content }];
  const blocks = asRecords(turn.content);
  // OpenAI wants each tool result as its own `tool` message, straight after the assistant's tool calls.
  const toolMessages = blocks
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({ role: 'tool', tool_call_id: asString(b.tool_use_id) ?? '', content: textOf(b.content) }));
  const parts = blocks.flatMap(userPartOf);
  const only = parts.length === 1 ? parts[0] : undefined;
  const content = only?.type === 'text' ? only.text : parts;
  return [...toolMessages, ...(parts.length > 0 ? [{ role: 'user', content }] : [])];
}

function userPartOf(block: Json): Json[] {
  if (block.type === 'text') return [{ type: 'text', text: asString(block.text) ?? '' }];
  if (block.type !== 'image' || !isRecord(block.source)) return [];
  const { source } = block;
  if (source.type === 'url') return [{ type: 'image_url', image_url: { url: source.url } }];
  if (source.type !== 'base64') return [];
  return [{ type: 'image_url', image_url: { url: `data:${asString(source.media_type)};base64,${asString(source.data)}` } }];
}

export function chatToMessage(chatResponse: unknown, clientModel: string, id: string): AnthropicMessage {
  const response = isRecord(chatResponse) ? chatResponse : {};
  const choice = asRecords(response.choices)[0] ?? {};
  const message = isRecord(choice.message) ? choice.message : {};
  const text = asString(message.content) ?? '';
  const textBlocks: TextBlock[] = text ? [{ type: 'text', text }] : [];
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: clientModel,
    content: [...textBlocks, ...toolUseBlocksOf(message.tool_calls)],
    stop_reason: stopReasonOf(choice.finish_reason),
    stop_sequence: null,
    usage: anthropicUsageOf(response.usage),
  };
}
