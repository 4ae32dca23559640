import { openAiCompatible } from '../openai/adapter.ts';
import { cnyModel as m, perImageModel } from '../prices.ts';

// DashScope compatible mode: `https://dashscope.aliyuncs.com/compatible-mode/v1/...`, bearer API key; it honours
// `stream_options.include_usage`. Prices in ¥ per 1K tokens as listed by Alibaba Cloud.
export const qwenAdapter = openAiCompatible({
  name: 'qwen',
  // `images` only for the studio's Wanx tasks (providers/qwen/tasks.ts): compatible mode has no images endpoint.
  operations: ['chat', 'completions', 'embeddings', 'images'],
  models: [
    m('qwen-max', 0.0024, 0.0096), m('qwen-plus', 0.0008, 0.002), m('qwen-turbo', 0.0003, 0.0006), m('text-embedding-v3', 0.0005, 0, ['embeddings']),
    // DashScope's async tasks (the studio's image and video tools), priced per image and per second of video.
    perImageModel('wanx2.1-t2i-turbo', 0.14), perImageModel('wanx2.1-t2v-turbo', 0.24),
  ],
});
