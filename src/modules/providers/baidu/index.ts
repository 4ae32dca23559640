import { openAiCompatible } from '../openai/adapter.ts';
import { capped, cnyModel as m } from '../prices.ts';

// Qianfan v2 speaks the OpenAI format under `/v2` with a bearer API key (`bce-v3/...`).
export const baiduAdapter = openAiCompatible({
  name: 'baidu',
  apiPrefix: '/v2',
  // Qianfan v2 reads the output limit from `max_completion_tokens`.
  outputLimitField: () => 'max_completion_tokens',
  // Qianfan refuses a `max_completion_tokens` above a model's own limit (2048 for the 8K models).
  models: [
    capped(m('ernie-4.5-turbo-128k', 0.0008, 0.0032), 12_288), capped(m('ernie-4.0-8k', 0.03, 0.09), 2_048),
    capped(m('ernie-speed-128k', 0, 0), 4_096), capped(m('ernie-lite-8k', 0, 0), 2_048),
  ],
  operations: ['chat', 'embeddings'],
});
