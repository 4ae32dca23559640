import { isRecord } from '../json.ts';
import { capped, usdModel as m } from '../prices.ts';
import type { ModelInfo } from '../types.ts';
import { openAiOutputLimitField } from '../output-limit.ts';
import { openAiCompatible } from './adapter.ts';

// Default prices (list prices in US$ per 1M tokens), for operators to override, and each model's output limit.

export const OPENAI_MODELS: ModelInfo[] = [
  capped(m('gpt-4o', 2.5, 10), 16_384),
  capped(m('gpt-4o-mini', 0.15, 0.6), 16_384),
  capped(m('gpt-4.1', 2, 8), 32_768),
  capped(m('gpt-4.1-mini', 0.4, 1.6), 32_768),
  capped(m('gpt-4.1-nano', 0.1, 0.4), 32_768),
  capped(m('o4-mini', 1.1, 4.4), 100_000),
  // Its 4K context holds prompt and answer together.
  capped(m('gpt-3.5-turbo-instruct', 1.5, 2, ['completions']), 4_096),
  m('text-embedding-3-small', 0.02, 0, ['embeddings']),
  m('text-embedding-3-large', 0.13, 0, ['embeddings']),
  // dall-e-3 reports no token usage: it is priced per image ($0.04 standard 1024², at ¥7.2).
  { id: 'dall-e-3', price: { input: 0n, output: 0n, perImage: 288_000n }, operations: ['images'] },
  m('gpt-image-1', 5, 40, ['images']),
];

export const openaiAdapter = openAiCompatible({
  name: 'openai',
  models: OPENAI_MODELS,
  operations: ['chat', 'completions', 'embeddings', 'images'],
  outputLimitField: openAiOutputLimitField,
  // The one balance OpenAI has ever reported to an API key: the legacy dashboard's credit grants (US$ left of prepaid
  // grants; the endpoint one-api reads), outside `/v1`. Current keys are usually refused there; the verifier then
  // reports no balance.
  balance: {
    url: (target) => `${target.baseUrl}/dashboard/billing/credit_grants`,
    currency: 'USD',
    read: (body) => (isRecord(body) && typeof body.total_available === 'number' && Number.isFinite(body.total_available) ? body.total_available : undefined),
  },
});
