import { openAiCompatible } from '../openai/adapter.ts';
import { cnyModel as m } from '../prices.ts';

// Spark's HTTP API is OpenAI-compatible at `/v1/chat/completions`; the bearer token is the APIPassword of the console.
export const xfyunAdapter = openAiCompatible({
  name: 'xfyun',
  models: [m('4.0Ultra', 0.1, 0.1), m('generalv3.5', 0.03, 0.03), m('lite', 0, 0)],
  operations: ['chat'],
});
