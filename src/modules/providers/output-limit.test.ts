import { describe, expect, it } from 'vitest';
import { openAiOutputLimitField, requestedOutputLimit, withOutputLimitIn } from './output-limit.ts';
import { ADAPTERS } from './registry.ts';

// The output limit reaches each upstream in the field it reads: a limit under a name the upstream ignores would let
// it generate past what the buyer's hold covers.

const target = (model: string) => ({ baseUrl: 'https://upstream.example', credential: 'sk-test', model });
const sent = (provider: keyof typeof ADAPTERS, model: string, body: Record<string, unknown>, op: 'chat' | 'completions' = 'chat') =>
  JSON.parse(ADAPTERS[provider].buildRequest(op, { model, messages: [{ role: 'user', content: 'hi' }], ...body }, target(model), false).body);

describe('requestedOutputLimit and withOutputLimitIn', () => {
  it('reads max_completion_tokens before max_tokens, ignoring what is not a positive integer', () => {
    expect(requestedOutputLimit({ max_tokens: 5 })).toBe(5);
    expect(requestedOutputLimit({ max_tokens: 5, max_completion_tokens: 9 })).toBe(9);
    expect(requestedOutputLimit({ max_completion_tokens: null, max_tokens: 5 })).toBe(5);
    expect(requestedOutputLimit({ max_tokens: 0 })).toBeUndefined();
    expect(requestedOutputLimit({})).toBeUndefined();
  });

  it('moves the limit into one field, leaving a body without one untouched', () => {
    expect(withOutputLimitIn({ a: 1, max_tokens: 5 }, 'max_completion_tokens')).toEqual({ a: 1, max_completion_tokens: 5 });
    expect(withOutputLimitIn({ max_tokens: 5, max_completion_tokens: 9 }, 'max_tokens')).toEqual({ max_tokens: 9 });
    const none = { a: 1 };
    expect(withOutputLimitIn(none, 'max_tokens')).toBe(none);
  });

  it("names OpenAI's reasoning models' field max_completion_tokens, the others' max_tokens", () => {
    for (const model of ['o1', 'o1-mini', 'o3', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini']) expect(openAiOutputLimitField(model)).toBe('max_completion_tokens');
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-3.5-turbo']) expect(openAiOutputLimitField(model)).toBe('max_tokens');
  });
});

describe("adapters' request builders", () => {
  it('send OpenAI gpt-4o its limit as max_tokens, and o-series and gpt-5 models as max_completion_tokens', () => {
    expect(sent('openai', 'gpt-4o', { max_tokens: 300 })).toMatchObject({ max_tokens: 300 });
    expect(sent('openai', 'gpt-4o', { max_completion_tokens: 300 })).toMatchObject({ max_tokens: 300 });
    expect(sent('openai', 'o4-mini', { max_tokens: 300 })).toMatchObject({ max_completion_tokens: 300 });
    expect(sent('openai', 'o4-mini', { max_tokens: 300 })).not.toHaveProperty('max_tokens');
    expect(sent('openai', 'gpt-5', { max_tokens: 300 })).toMatchObject({ max_completion_tokens: 300 });
    expect(sent('azure_openai', 'o3-mini', { max_tokens: 300 })).toMatchObject({ max_completion_tokens: 300 });
  });

  it('send OpenAI-compatible upstreams the field each reads (Qianfan: max_completion_tokens; DashScope: max_tokens)', () => {
    expect(sent('baidu', 'ernie-4.0-8k', { max_tokens: 300 })).toEqual(expect.objectContaining({ max_completion_tokens: 300 }));
    expect(sent('baidu', 'ernie-4.0-8k', { max_tokens: 300 })).not.toHaveProperty('max_tokens');
    expect(sent('qwen', 'qwen-plus', { max_completion_tokens: 300 })).toMatchObject({ max_tokens: 300 });
    expect(sent('qwen', 'qwen-plus', { max_completion_tokens: 300 })).not.toHaveProperty('max_completion_tokens');
  });

  it('leave legacy completions and requests without a limit as they are', () => {
    expect(sent('openai', 'gpt-3.5-turbo-instruct', { max_tokens: 16 }, 'completions')).toMatchObject({ max_tokens: 16 });
    expect(sent('openai', 'gpt-4o', {})).not.toHaveProperty('max_tokens');
  });

  it('carry the limit in Anthropic max_tokens and Gemini generationConfig.maxOutputTokens', () => {
    expect(sent('anthropic', 'claude-sonnet-4-5', { max_completion_tokens: 300 })).toMatchObject({ max_tokens: 300 });
    expect(sent('gemini', 'gemini-2.5-flash', { max_tokens: 300, n: 2 }).generationConfig).toMatchObject({ maxOutputTokens: 300, candidateCount: 2 });
  });
});
