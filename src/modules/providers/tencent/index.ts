import { openAiCompatible } from '../openai/adapter.ts';
import { capped, cnyModel as m } from '../prices.ts';

// Hunyuan's OpenAI-compatible endpoint: `https://api.hunyuan.cloud.tencent.com/v1`, bearer API key.
export const tencentAdapter = openAiCompatible({
  name: 'tencent',
  models: [m('hunyuan-turbos-latest', 0.0008, 0.002), m('hunyuan-lite', 0, 0), capped(m('hunyuan-standard', 0.0008, 0.002), 2_048), m('hunyuan-embedding', 0.0007, 0, ['embeddings'])],
  operations: ['chat', 'embeddings'],
});
