import { describe, expect, it } from 'vitest';
import { pngOf } from '../../../test/helpers/images.ts';
import type { ProviderName } from '../providers/catalog.ts';
import {
  defaultOutputLimit, holdAmount, injectedOutputLimit, outputCount, promptEstimate, tokenBudget, worstCase, worstPrice,
} from './billing-plan.ts';
import type { Candidate } from '../routing/candidates.ts';

// The hold covers the worst case a request allows: every answer it asks for, at the limit it names or is sent, and
// its images by the provider's rules.

const PRICE = { input: 0n, output: 1_000_000_000n }; // 1000 µ¥ an output token

describe('outputCount', () => {
  it('is n for chat and the larger of n and best_of for completions', () => {
    expect(outputCount('chat', { n: 20 })).toBe(20);
    expect(outputCount('chat', {})).toBe(1);
    expect(outputCount('completions', { n: 20 })).toBe(20);
    expect(outputCount('completions', { best_of: 5 })).toBe(5);
    expect(outputCount('completions', { n: 2, best_of: 5 })).toBe(5);
    expect(outputCount('completions', { n: 6, best_of: 5 })).toBe(6);
  });

  it('ignores n where it means nothing, and values that are not counts', () => {
    expect(outputCount('messages', { n: 20 })).toBe(1);
    expect(outputCount('embeddings', { n: 20 })).toBe(1);
    expect(outputCount('chat', { n: 0 })).toBe(1);
    expect(outputCount('chat', { n: '20' })).toBe(1);
  });
});

describe('defaultOutputLimit and injectedOutputLimit', () => {
  it('is the configured default, lower when the model allows less, and OpenAI\'s 16 for completions', () => {
    expect(defaultOutputLimit('chat', 4096)).toBe(4096);
    expect(defaultOutputLimit('chat', 4096, 2048)).toBe(2048);
    expect(defaultOutputLimit('chat', 4096, 16_384)).toBe(4096);
    expect(defaultOutputLimit('completions', 4096, 4096)).toBe(16);
  });

  it('is sent only when the client named no limit of its own', () => {
    expect(injectedOutputLimit('chat', {}, 4096)).toBe(4096);
    expect(injectedOutputLimit('chat', { max_tokens: null }, 4096)).toBe(4096);
    expect(injectedOutputLimit('chat', { max_tokens: 10 }, 4096)).toBeUndefined();
    expect(injectedOutputLimit('chat', { max_completion_tokens: 10 }, 4096)).toBeUndefined();
    expect(injectedOutputLimit('completions', {}, 16)).toBe(16);
    // Legacy completions read only max_tokens: another name there would leave the upstream unlimited.
    expect(injectedOutputLimit('completions', { max_completion_tokens: 1 }, 16)).toBe(16);
    expect(injectedOutputLimit('messages', {}, 4096)).toBeUndefined();
    expect(injectedOutputLimit('embeddings', {}, 4096)).toBeUndefined();
  });
});

describe('worstCase and holdAmount', () => {
  it('holds n × max_tokens for chat', () => {
    const worst = worstCase('chat', { n: 20, max_tokens: 100 }, 7, 4096);
    expect(worst).toEqual({ promptTokens: 7, completionTokens: 2000, images: 0 });
    expect(holdAmount(worst, PRICE)).toBe(2_000_000n);
    expect(tokenBudget(worst)).toBe(2007);
  });

  it('holds max(n, best_of) × max_tokens for completions, and the default limit when none is named', () => {
    expect(worstCase('completions', { n: 2, best_of: 20, max_tokens: 50 }, 0, 16).completionTokens).toBe(1000);
    expect(worstCase('completions', { n: 20 }, 0, 16).completionTokens).toBe(320);
    expect(worstCase('chat', {}, 0, 4096).completionTokens).toBe(4096);
  });

  it('takes max_completion_tokens before max_tokens, as the adapters send it', () => {
    expect(worstCase('chat', { max_tokens: 10, max_completion_tokens: 300 }, 0, 4096).completionTokens).toBe(300);
  });

  it('holds images per image when priced so, else as output tokens', () => {
    const worst = worstCase('images', { n: 3 }, 10, 4096);
    expect(worst).toEqual({ promptTokens: 10, completionTokens: 3 * 4096, images: 3 });
    expect(holdAmount(worst, { input: 0n, output: 0n, perImage: 288_000n })).toBe(864_000n);
    expect(holdAmount(worst, { input: 0n, output: 1_000_000n, perImage: 0n })).toBe(3n * 4096n);
  });

  it('holds no output for embeddings', () => {
    expect(worstCase('embeddings', { n: 5 }, 40, 4096)).toEqual({ promptTokens: 40, completionTokens: 0, images: 0 });
  });
});

describe('promptEstimate', () => {
  const upstream = (provider: ProviderName, upstreamModel: string) => ({ provider, upstreamModel });

  it('is one token per two bytes of a text-only body', () => {
    expect(promptEstimate({ messages: [{ role: 'user', content: 'hi' }] }, 1001, [upstream('openai', 'gpt-4o')])).toBe(501);
  });

  it("counts an image by the provider's rules, not by the bytes of its base64 payload", () => {
    const url = `data:image/png;base64,${pngOf(1024, 1024, 300_000)}`;
    const body = { messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url } }] }] };
    const bytes = JSON.stringify(body).length;
    const text = Math.ceil((bytes - url.length) / 2);
    expect(promptEstimate(body, bytes, [upstream('openai', 'gpt-4o')])).toBe(text + 765);
    // 400 KB of base64 would have been 200 000 tokens by bytes.
    expect(promptEstimate(body, bytes, [upstream('openai', 'gpt-4o')])).toBeLessThan(1000);
  });

  it('takes the dearest rules among the upstreams the request may go to', () => {
    const body = { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] };
    const bytes = JSON.stringify(body).length;
    const text = Math.ceil((bytes - 'https://example.com/cat.png'.length) / 2);
    expect(promptEstimate(body, bytes, [upstream('openai', 'gpt-4o'), upstream('anthropic', 'claude-sonnet-4-5')])).toBe(text + 1600);
    expect(promptEstimate(body, bytes, [upstream('openai', 'gpt-4o')])).toBe(text + 1445);
  });
});

describe('worstPrice', () => {
  it('is the dearest part of every candidate', () => {
    const c = (input: bigint, output: bigint) => ({ price: { input, output } }) as Candidate;
    expect(worstPrice([c(1n, 9n), c(5n, 2n)])).toEqual({ input: 5n, output: 9n, perImage: 0n });
  });
});
