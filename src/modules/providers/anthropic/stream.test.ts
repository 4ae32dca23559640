import { describe, expect, it } from 'vitest';
import type { SseEvent, StreamTranslator, TranslateContext } from '../types.ts';
import { anthropicAdapter } from './index.ts';
import { anthropicEvent } from './messages-api.ts';

const ctx: TranslateContext = { clientModel: 'claude-sonnet', responseId: 'chatcmpl-s1', created: 1_760_000_000, clientWantsUsage: false };

const messageStart = (usage: Record<string, number> = { input_tokens: 25, output_tokens: 1 }) =>
  anthropicEvent({
    type: 'message_start',
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage },
  });
const textStart = (index: number) => anthropicEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
const textDelta = (index: number, text: string) =>
  anthropicEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
const toolStart = (index: number, id: string, name: string) =>
  anthropicEvent({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } });
const jsonDelta = (index: number, partial_json: string) =>
  anthropicEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
const blockStop = (index: number) => anthropicEvent({ type: 'content_block_stop', index });
const messageDelta = (stop_reason: string, usage: Record<string, number> = { output_tokens: 9 }) =>
  anthropicEvent({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage });
const messageStop = anthropicEvent({ type: 'message_stop' });
const ping = anthropicEvent({ type: 'ping' });

function run(translator: StreamTranslator, events: SseEvent[]): SseEvent[] {
  return [...events.flatMap((e) => translator.push(e)), ...translator.end()];
}

type Chunk = { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown };
const chunks = (out: SseEvent[]) => out.map((e) => JSON.parse(e.data) as Chunk);
const deltas = (out: SseEvent[]) => chunks(out).flatMap((c) => c.choices.map((ch) => ch.delta));

describe('anthropic adapter: chat stream translation', () => {
  const textStream = [
    messageStart(),
    ping,
    textStart(0),
    textDelta(0, 'Hello'),
    textDelta(0, ' world'),
    blockStop(0),
    messageDelta('end_turn'),
    messageStop,
  ];

  it('sends the role first, text as content deltas, then the finish reason — unnamed events, never [DONE]', () => {
    const out = run(anthropicAdapter.streamTranslator('chat', ctx), textStream);
    expect(out.every((e) => e.event === undefined && e.data !== '[DONE]')).toBe(true);
    expect(chunks(out)[0]).toEqual({
      id: 'chatcmpl-s1',
      object: 'chat.completion.chunk',
      created: 1_760_000_000,
      model: 'claude-sonnet',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    });
    expect(deltas(out)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hello' }, { content: ' world' }, {}]);
    expect(chunks(out).at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('reads usage from message_start and message_delta, and sends it only to a client that asked', () => {
    const quiet = anthropicAdapter.streamTranslator('chat', ctx);
    const quietOut = run(quiet, textStream);
    expect(quiet.usage()).toEqual({ promptTokens: 25, completionTokens: 9 });
    expect(chunks(quietOut).some((c) => c.usage)).toBe(false);

    const asking = anthropicAdapter.streamTranslator('chat', { ...ctx, clientWantsUsage: true });
    const last = chunks(run(asking, textStream)).at(-1);
    expect(last).toMatchObject({ choices: [], usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 } });
  });

  it('counts cache tokens as prompt and takes message_delta\'s cumulative counters over message_start\'s', () => {
    const t = anthropicAdapter.streamTranslator('chat', ctx);
    run(t, [
      messageStart({ input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 0, output_tokens: 1 }),
      textStart(0),
      textDelta(0, 'ok'),
      blockStop(0),
      messageDelta('end_turn', { input_tokens: 6, output_tokens: 3 }),
      messageStop,
    ]);
    expect(t.usage()).toEqual({ promptTokens: 106, completionTokens: 3 });
  });

  it('streams tool_use blocks as tool_calls: the call with empty arguments, then the argument fragments', () => {
    const t = anthropicAdapter.streamTranslator('chat', ctx);
    const out = run(t, [
      messageStart(),
      textStart(0),
      textDelta(0, 'Checking.'),
      blockStop(0),
      toolStart(1, 'toolu_a', 'weather'),
      jsonDelta(1, ''),
      jsonDelta(1, '{"ci'),
      jsonDelta(1, 'ty": "Par'),
      jsonDelta(1, 'is"}'),
      blockStop(1),
      toolStart(2, 'toolu_b', 'time'),
      jsonDelta(2, '{}'),
      blockStop(2),
      messageDelta('tool_use'),
      messageStop,
    ]);
    expect(deltas(out)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Checking.' },
      { tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] },
      { tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
      {},
    ]);
    expect(chunks(out).at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(t.text()).toBe('Checking.{"city": "Paris"}{}');
  });

  it('maps max_tokens to finish_reason length', () => {
    const out = run(anthropicAdapter.streamTranslator('chat', ctx), [messageStart(), messageDelta('max_tokens'), messageStop]);
    expect(chunks(out).at(-1)?.choices[0]?.finish_reason).toBe('length');
  });

  it('reports an in-stream error as a failure without sending anything for it', () => {
    const t = anthropicAdapter.streamTranslator('chat', ctx);
    const error = anthropicEvent({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const out = run(t, [messageStart(), textStart(0), textDelta(0, 'Hel'), error]);
    expect(deltas(out)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hel' }]);
    expect(t.error?.()).toEqual({ status: 529, message: 'Overloaded', type: 'server_error', code: 'overloaded_error' });
    expect(t.text()).toBe('Hel');
  });

  it('has no usage and no error for a stream that reported neither', () => {
    const t = anthropicAdapter.streamTranslator('chat', { ...ctx, clientWantsUsage: true });
    const start = anthropicEvent({ type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', content: [] } });
    const out = run(t, [start, textStart(0), textDelta(0, 'x'), blockStop(0), messageDelta('end_turn', {}), messageStop]);
    expect(t.usage()).toBeUndefined();
    expect(t.error?.()).toBeUndefined();
    expect(chunks(out).some((c) => c.usage)).toBe(false);
  });

  it('ignores pings, unknown events and malformed data', () => {
    const t = anthropicAdapter.streamTranslator('chat', ctx);
    expect(t.push(ping)).toEqual([]);
    expect(t.push({ event: 'something_new', data: '{"type":"something_new"}' })).toEqual([]);
    expect(t.push({ event: 'content_block_delta', data: '{not json' })).toEqual([]);
  });
});

describe('anthropic adapter: native messages stream', () => {
  it('passes every event through with its name and its exact data string, reading usage and text on the way', () => {
    const t = anthropicAdapter.streamTranslator('messages', ctx);
    // Spacing Anthropic never sends, to prove the data is not re-serialised.
    const odd = { event: 'content_block_delta', data: '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}' };
    const events = [messageStart(), ping, textStart(0), odd, blockStop(0), messageDelta('end_turn', { output_tokens: 2 }), messageStop];
    const out = run(t, events);
    expect(out).toEqual(events);
    expect(out[3]?.data).toBe(odd.data);
    expect(t.usage()).toEqual({ promptTokens: 25, completionTokens: 2 });
    expect(t.text()).toBe('Hi');
  });

  it('holds back an error event and reports it, so the relay writes the one error the client sees', () => {
    const t = anthropicAdapter.streamTranslator('messages', ctx);
    const error = anthropicEvent({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } });
    expect(t.push(messageStart())).toHaveLength(1);
    expect(t.push(error)).toEqual([]);
    expect(t.error?.()).toEqual({ status: 500, message: 'Internal server error', type: 'server_error', code: 'api_error' });
  });

  it('holds back an `error` event whose data is unreadable or claims another type', () => {
    for (const translator of ['messages', 'chat'] as const) {
      const t = anthropicAdapter.streamTranslator(translator, ctx);
      expect(t.push({ event: 'error', data: 'sk-ant-api03-leaked not json' })).toEqual([]);
      expect(t.error?.()).toMatchObject({ status: 500, type: 'server_error', code: 'api_error' });
      const u = anthropicAdapter.streamTranslator(translator, ctx);
      expect(u.push({ event: 'error', data: JSON.stringify({ type: 'content_block_delta', error: { type: 'overloaded_error', message: 'Overloaded' } }) })).toEqual([]);
      expect(u.error?.()).toMatchObject({ status: 529, code: 'overloaded_error' });
    }
  });
});
