import { describe, expect, it } from 'vitest';
import { anthropicAdapter } from './index.ts';
import { chatToAnthropicRequest, DEFAULT_MAX_TOKENS } from './request.ts';

const target = { baseUrl: 'https://api.anthropic.example', credential: 'sk-ant-secret', model: 'claude-sonnet-4-5-20250929' };
const translate = (body: Record<string, unknown>, stream = false) => chatToAnthropicRequest(body, target.model, stream);

describe('anthropic adapter: building the upstream request', () => {
  it('posts to /v1/messages with the key in x-api-key and the pinned anthropic-version', () => {
    const req = anthropicAdapter.buildRequest('chat', { model: 'claude', messages: [{ role: 'user', content: 'hi' }] }, target, false);
    expect(req.url).toBe('https://api.anthropic.example/v1/messages');
    expect(req.headers).toEqual({
      'x-api-key': 'sk-ant-secret',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(JSON.parse(req.body)).toEqual({
      model: target.model,
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  it('sends a native Messages body as the client wrote it, only aligning `stream`', () => {
    const body = { model: target.model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], top_k: 3, stream: true };
    expect(anthropicAdapter.buildRequest('messages', body, target, true).body).toBe(JSON.stringify(body));
    expect(JSON.parse(anthropicAdapter.buildRequest('messages', body, target, false).body)).toEqual({ ...body, stream: false });
  });

  it('refuses operations Anthropic does not serve', () => {
    expect(() => anthropicAdapter.buildRequest('embeddings', { input: 'x' }, target, false)).toThrow(/embeddings/);
  });
});

describe('anthropic adapter: chat request → Messages request', () => {
  it('hoists system and developer messages into `system`', () => {
    const out = translate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'Bonjour' },
      ],
    });
    expect(out.system).toBe('Be brief.\n\nAnswer in French.');
    expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Bonjour' }] }]);
  });

  it('turns image parts into base64 sources (data URLs) and url sources (http URLs)', () => {
    const out = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://img.example/cat.jpg', detail: 'high' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://img.example/cat.jpg' } },
        ],
      },
    ]);
  });

  it('turns assistant tool_calls into tool_use blocks and tool messages into tool_result blocks of one user turn', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'weather', arguments: 'not json' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '22°C' }] },
        { role: 'user', content: 'Which is warmer?' },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18°C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '22°C' }] },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ]);
  });

  it('merges consecutive same-role turns, puts tool results first, and drops empty messages', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
        { role: 'assistant', content: '', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'user', content: 'before the result' },
        { role: 'tool', tool_call_id: 't', content: 'done' },
        { role: 'assistant', content: '' },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't', content: 'done' },
          { type: 'text', text: 'before the result' },
        ],
      },
    ]);
  });

  it('maps tools to name/description/input_schema', () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const out = translate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { type: 'function', function: { name: 'weather', description: 'Current weather', parameters } },
        { type: 'function', function: { name: 'now' } },
      ],
    });
    expect(out.tools).toEqual([
      { name: 'weather', description: 'Current weather', input_schema: parameters },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
  });

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['none', undefined, { type: 'none' }],
    ['required', undefined, { type: 'any' }],
    [{ type: 'function', function: { name: 'weather' } }, undefined, { type: 'tool', name: 'weather' }],
    [undefined, undefined, undefined],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
    ['none', false, { type: 'none' }],
  ])('maps tool_choice %j (parallel_tool_calls %j) to %j', (choice, parallel, expected) => {
    const tools = [{ type: 'function', function: { name: 'weather' } }];
    const out = translate({ messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: choice, parallel_tool_calls: parallel });
    expect(out.tool_choice).toEqual(expected);
  });

  it('sends no tool_choice without tools', () => {
    expect(translate({ messages: [{ role: 'user', content: 'hi' }], tool_choice: 'none' })).not.toHaveProperty('tool_choice');
  });

  it('carries sampling and length parameters, preferring max_completion_tokens', () => {
    const out = translate(
      {
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 100,
        max_completion_tokens: 200,
        temperature: 0.3,
        top_p: 0.9,
        stop: 'END',
        user: 'user-42',
        n: 1,
      },
      true,
    );
    expect(out).toMatchObject({
      max_tokens: 200,
      temperature: 0.3,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
      stream: true,
    });
    expect(out).not.toHaveProperty('n');
  });

  it('clamps temperatures above Anthropic\'s maximum of 1', () => {
    expect(translate({ messages: [{ role: 'user', content: 'hi' }], temperature: 1.7 }).temperature).toBe(1);
  });

  it('keeps a stop list and leaves out stream when not streaming', () => {
    const out = translate({ messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b'], max_tokens: 5 });
    expect(out.stop_sequences).toEqual(['a', 'b']);
    expect(out.max_tokens).toBe(5);
    expect(out).not.toHaveProperty('stream');
  });
});
