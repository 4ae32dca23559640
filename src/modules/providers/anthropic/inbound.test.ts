import { describe, expect, it } from 'vitest';
import type { SseEvent } from '../types.ts';
import { chatStreamToMessages, chatToMessage, messagesToChat } from './inbound.ts';
import { chatToAnthropicRequest } from './request.ts';
import { chatStreamTranslator } from './stream.ts';

const weatherSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

const messagesRequest = {
  model: 'gpt-4o-mini',
  max_tokens: 300,
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather where this photo was taken?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
        { type: 'image', source: { type: 'url', url: 'https://img.example/x.png' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Looks like Paris.' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18°C' }] },
        { type: 'text', text: 'Thanks!' },
      ],
    },
  ],
  tools: [
    { name: 'weather', description: 'Current weather', input_schema: weatherSchema },
    { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
  ],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
  stop_sequences: ['END'],
  temperature: 0.5,
  top_p: 0.8,
  top_k: 40,
  metadata: { user_id: 'u-1' },
  stream: true,
};

describe('inbound /v1/messages: Messages request → chat request', () => {
  it('translates system, images, tool use and results, tools and sampling', () => {
    expect(messagesToChat(messagesRequest)).toEqual({
      model: 'gpt-4o-mini',
      max_tokens: 300,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather where this photo was taken?' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image_url', image_url: { url: 'https://img.example/x.png' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Looks like Paris.',
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
        { role: 'user', content: 'Thanks!' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Current weather', parameters: weatherSchema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stop: ['END'],
      temperature: 0.5,
      top_p: 0.8,
      user: 'u-1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'none' }, 'none'],
    [{ type: 'tool', name: 'weather' }, { type: 'function', function: { name: 'weather' } }],
  ])('maps tool_choice %j to %j', (choice, expected) => {
    const body = { ...messagesRequest, tool_choice: choice };
    expect(messagesToChat(body).tool_choice).toEqual(expected);
    expect(messagesToChat(body)).not.toHaveProperty('parallel_tool_calls');
  });

  it('keeps a plain string conversation plain', () => {
    const chat = messagesToChat({
      model: 'm',
      max_tokens: 10,
      system: 'sys',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    });
    expect(chat).toEqual({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    });
  });

  it('survives the round trip back through the chat adapter', () => {
    const { stream: _stream, top_k: _topK, ...rest } = messagesRequest;
    const back = chatToAnthropicRequest(messagesToChat(messagesRequest), 'claude-x', true);
    expect(back).toEqual({
      ...rest,
      model: 'claude-x',
      system: 'Be brief.',
      messages: [
        rest.messages[0],
        rest.messages[1],
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' }, { type: 'text', text: 'Thanks!' }] },
      ],
      tools: [rest.tools[0]],
      stream: true,
    });
  });
});

describe('inbound /v1/messages: chat.completion → Anthropic message', () => {
  it('builds content blocks, stop reason and usage, under the client model and the given id', () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 12, total_tokens: 62, prompt_tokens_details: { cached_tokens: 20 } },
    };
    expect(chatToMessage(completion, 'claude-sonnet-4-5', 'msg_gw1')).toEqual({
      id: 'msg_gw1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_9', name: 'weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 30, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 20 },
    });
  });

  it.each([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
    [null, 'end_turn'],
  ])('maps finish_reason %s to stop_reason %s', (finish, stop) => {
    const completion = { choices: [{ message: { role: 'assistant', content: '' }, finish_reason: finish }] };
    const message = chatToMessage(completion, 'm', 'msg_1');
    expect(message.stop_reason).toBe(stop);
    expect(message.content).toEqual([]);
  });
});

const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({
  id: 'chatcmpl-up',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason }],
});
const usageChunk = { id: 'chatcmpl-up', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 40, completion_tokens: 15, total_tokens: 55 } };

const upstreamChunks = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk,
];

function translate(chunks: unknown[]): SseEvent[] {
  const stream = chatStreamToMessages({ clientModel: 'claude-sonnet-4-5', responseId: 'msg_gw2', estimatedInputTokens: 38 });
  return [...chunks.flatMap((c) => stream.push(c)), ...stream.end()];
}

describe('inbound /v1/messages: chat stream → Anthropic events', () => {
  it('produces message_start, blocks opened, filled and closed in order, message_delta and message_stop', () => {
    const events = translate(upstreamChunks);
    const payloads = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(events.every((e, i) => e.event === payloads[i]?.type)).toBe(true);
    expect(payloads).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_gw2',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 38, output_tokens: 0 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'weather', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_b', name: 'time', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } },
      { type: 'content_block_stop', index: 2 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 40, output_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
      { type: 'message_stop' },
    ]);
  });

  it('closes an empty answer properly when the upstream sent nothing usable', () => {
    const types = translate([]).map((e) => e.event);
    expect(types).toEqual(['message_start', 'message_delta', 'message_stop']);
    const delta = JSON.parse(translate([]).at(-2)?.data ?? '{}') as Record<string, unknown>;
    expect(delta).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 0 } });
  });

  it('reads back through the chat stream translator as the same answer', () => {
    const ctx = { clientModel: 'm', responseId: 'chatcmpl-rt', created: 1, clientWantsUsage: true };
    const back = chatStreamTranslator(ctx);
    const out = [...translate(upstreamChunks).flatMap((e) => back.push(e)), ...back.end()];
    const roundTripped = out.map((e) => JSON.parse(e.data) as { choices: Array<{ delta: unknown; finish_reason: unknown }> });
    const original = upstreamChunks.slice(0, -1).map((c) => ({ delta: c.choices[0]?.delta, finish_reason: c.choices[0]?.finish_reason }));
    expect(roundTripped.slice(0, -1).map((c) => ({ delta: c.choices[0]?.delta, finish_reason: c.choices[0]?.finish_reason }))).toEqual(original);
    expect(back.usage()).toEqual({ promptTokens: 40, completionTokens: 15 });
  });
});
