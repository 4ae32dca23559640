import { describe, expect, it } from 'vitest';
import type { SseEvent, TranslateContext } from '../types.ts';
import { geminiAdapter } from './index.ts';

const ctx: TranslateContext = { clientModel: 'my-gemini', responseId: 'chatcmpl-s1', created: 1_700_000_000, clientWantsUsage: false };

const fragment = (parts: unknown[], extra: Record<string, unknown> = {}) => ({
  data: JSON.stringify({ candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }], modelVersion: 'gemini-2.5-flash' }),
});
const usageMetadata = { promptTokenCount: 9, candidatesTokenCount: 6, thoughtsTokenCount: 2, totalTokenCount: 17 };

interface Chunk {
  id: string;
  object: string;
  model: string;
  created: number;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Record<string, number>;
}

function run(events: SseEvent[], context = ctx) {
  const translator = geminiAdapter.streamTranslator('chat', context);
  const out = [...events.flatMap((e) => translator.push(e)), ...translator.end()];
  return { translator, out, chunks: out.map((e) => JSON.parse(e.data) as Chunk) };
}

const textStream = [
  fragment([{ text: 'Hello ' }]),
  fragment([{ text: 'there' }]),
  { data: JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP', index: 0 }], usageMetadata }) },
];

describe('gemini stream translator', () => {
  it('turns text fragments into OpenAI chunks: role first, then content, then the finish reason', () => {
    const { out, chunks } = run(textStream);
    expect(out.every((e) => e.event === undefined)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hello ' }, { content: 'there' }, { content: '!' }, {}]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, null, 'stop']);
    expect(chunks.every((c) => c.id === 'chatcmpl-s1' && c.object === 'chat.completion.chunk' && c.model === 'my-gemini' && c.created === 1_700_000_000)).toBe(true);
  });

  it('never writes [DONE] itself', () => {
    expect(run(textStream).out.some((e) => e.data === '[DONE]')).toBe(false);
  });

  it('reports usage (thoughts billed as output) and the text so far', () => {
    const { translator } = run(textStream);
    expect(translator.usage()).toEqual({ promptTokens: 9, completionTokens: 8 });
    expect(translator.text()).toBe('Hello there!');
  });

  it('ends with a usage chunk with no choices only when the client asked for usage', () => {
    expect(run(textStream).chunks.some((c) => c.usage)).toBe(false);
    const last = run(textStream, { ...ctx, clientWantsUsage: true }).chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 9, completion_tokens: 8, total_tokens: 17, completion_tokens_details: { reasoning_tokens: 2 } });
  });

  it('sends no usage chunk and reports no usage when Gemini sent no usageMetadata', () => {
    const { translator, chunks } = run([fragment([{ text: 'hi' }], { finishReason: 'STOP' })], { ...ctx, clientWantsUsage: true });
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(translator.usage()).toBeUndefined();
  });

  it('streams a function call as one complete tool_calls delta and finishes with tool_calls', () => {
    const { chunks, translator } = run([
      fragment([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: {} } }], { finishReason: 'STOP' }),
    ]);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { tool_calls: [{ index: 0, id: 'call_s1_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { tool_calls: [{ index: 1, id: 'call_s1_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(translator.text()).toBe('get_weather{"city":"Paris"}get_time{}');
  });

  it('maps a MAX_TOKENS stop to length and a SAFETY stop to content_filter', () => {
    expect(run([fragment([{ text: 'a' }], { finishReason: 'MAX_TOKENS' })]).chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
    expect(run([fragment([], { finishReason: 'SAFETY' })]).chunks.at(-1)?.choices[0]?.finish_reason).toBe('content_filter');
  });

  it('skips thought summaries', () => {
    const { chunks } = run([fragment([{ text: 'pondering', thought: true }]), fragment([{ text: 'answer' }])]);
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['', 'answer']);
  });

  it('keeps several candidates apart as choices', () => {
    const both = { data: JSON.stringify({ candidates: [{ content: { parts: [{ text: 'A' }] }, index: 0 }, { content: { parts: [{ text: 'B' }] }, index: 1 }] }) };
    const { chunks } = run([both]);
    expect(chunks.map((c) => [c.choices[0]?.index, c.choices[0]?.delta.content])).toEqual([[0, ''], [0, 'A'], [1, ''], [1, 'B']]);
  });

  it('ends a blocked prompt with content_filter', () => {
    const { chunks } = run([{ data: JSON.stringify({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }) }]);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.choices[0]).toMatchObject({ delta: { role: 'assistant' }, finish_reason: 'content_filter' });
  });

  it('turns an error inside the stream into a failure, with no usage chunk after it', () => {
    const error = { data: JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }) };
    const { translator, out } = run([fragment([{ text: 'par' }]), error], { ...ctx, clientWantsUsage: true });
    expect(translator.error?.()).toEqual({ status: 503, message: 'The model is overloaded.', type: 'upstream_error', code: 'UNAVAILABLE' });
    expect(out).toHaveLength(2);
  });

  it('gives an in-stream error whose code is not a number the status 502', () => {
    const error = { data: JSON.stringify({ error: { code: 'sk-leaked', message: 'bad', status: 'INTERNAL' } }) };
    const { translator } = run([error]);
    expect(translator.error?.()).toMatchObject({ status: 502, code: 'INTERNAL' });
  });

  it('ignores events that are not JSON', () => {
    const { out, translator } = run([{ data: 'keep-alive' }]);
    expect(out).toEqual([]);
    expect(translator.error?.()).toBeUndefined();
  });
});
