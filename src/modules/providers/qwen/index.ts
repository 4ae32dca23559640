import { openAiCompatible } from '../openai/adapter.ts';
import { cnyModel as m } from '../prices.ts';

// DashScope compatible mode: `https://dashscope.aliyuncs.com/compatible-mode/v1/...`, bearer API key; it honours
// `stream_options.include_usage`. Prices in ¥ per 1K tokens as listed by Alibaba Cloud.
export const qwenAdapter = openAiCompatible({
  name: 'qwen',
  models: [m('qwen-max', 0.0024, 0.0096), m('qwen-plus', 0.0008, 0.002), m('qwen-turbo', 0.0003, 0.0006), m('text-embedding-v3', 0.0005, 0, ['embeddings'])],
});
