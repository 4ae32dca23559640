import { describe, expect, it } from 'vitest';
import { countTokens, estimatePromptTokens, promptText } from './tokens.ts';

describe('countTokens (o200k)', () => {
  it('counts English text', async () => {
    expect(await countTokens('Hello world')).toBe(2);
  });

  it('counts CJK text at fewer tokens than characters', async () => {
    expect(await countTokens('你好，世界')).toBe(3);
    const sentence = '我们今天去公园散步吧';
    const n = await countTokens(sentence);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(sentence.length);
  });

  it('counts nothing for empty text', async () => {
    expect(await countTokens('')).toBe(0);
  });

  it('counts more text as more tokens', async () => {
    expect(await countTokens('Hello world. Hello world.')).toBeGreaterThan(await countTokens('Hello world.'));
  });
});

describe('promptText', () => {
  it('joins the text of chat messages, string and part contents alike', () => {
    const text = promptText({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }] },
      ],
    });
    expect(text).toBe('Be brief.\nWhat is in this picture?');
  });

  it('skips image URLs (their tokens are the provider\'s to report)', () => {
    const dataUrl = `data:image/png;base64,${'A'.repeat(2_000)}`;
    const text = promptText({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe both.' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'image_url', image_url: { url: dataUrl, detail: 'high' } },
          ],
        },
      ],
    });
    expect(text).toBe('Describe both.');
  });

  it('includes the arguments of tool calls and the content of tool results', () => {
    const text = promptText({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' },
      ],
    });
    expect(text).toContain('Weather in Paris?');
    expect(text).toContain('{"city":"Paris"}');
    expect(text).toContain('{"temp_c":21}');
    expect(text).not.toContain('call_1');
  });

  it('takes a completions prompt, string or list', () => {
    expect(promptText({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test' })).toBe('Say this is a test');
    expect(promptText({ prompt: ['one', 'two'] })).toBe('one\ntwo');
  });

  it('takes an embeddings input, string or list', () => {
    expect(promptText({ model: 'text-embedding-3-small', input: 'embed me' })).toBe('embed me');
    expect(promptText({ input: ['first', 'second'] })).toBe('first\nsecond');
  });

  it('takes an Anthropic system prompt and text blocks', () => {
    const text = promptText({
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    expect(text).toBe('Hi\nYou are terse.');
  });

  it('ignores the other fields of the request', () => {
    expect(promptText({ model: 'gpt-4o', temperature: 0.2, user: 'someone', messages: [] })).toBe('');
    expect(promptText({})).toBe('');
  });
});

describe('estimatePromptTokens', () => {
  it('allows one token per two bytes of body, rounded up', () => {
    expect(estimatePromptTokens(0)).toBe(0);
    expect(estimatePromptTokens(1)).toBe(1);
    expect(estimatePromptTokens(1_001)).toBe(501);
  });

  it('leaves out the bytes that are images (counted by their provider\'s rules instead)', () => {
    expect(estimatePromptTokens(400_100, 400_000)).toBe(50);
    expect(estimatePromptTokens(10, 20)).toBe(0);
  });
});
