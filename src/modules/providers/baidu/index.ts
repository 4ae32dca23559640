import { openAiCompatible } from '../openai/adapter.ts';
import { cnyModel as m } from '../prices.ts';

// Qianfan v2 speaks the OpenAI format under `/v2` with a bearer API key (`bce-v3/...`).
export const baiduAdapter = openAiCompatible({
  name: 'baidu',
  apiPrefix: '/v2',
  models: [m('ernie-4.5-turbo-128k', 0.0008, 0.0032), m('ernie-4.0-8k', 0.03, 0.09), m('ernie-speed-128k', 0, 0), m('ernie-lite-8k', 0, 0)],
  operations: ['chat', 'embeddings'],
});
