import { anthropicAdapter } from './anthropic/index.ts';
import { azureOpenaiAdapter } from './azure_openai/index.ts';
import { baiduAdapter } from './baidu/index.ts';
import type { ProviderName } from './catalog.ts';
import { geminiAdapter } from './gemini/index.ts';
import { openaiAdapter } from './openai/index.ts';
import { qwenAdapter } from './qwen/index.ts';
import { tencentAdapter } from './tencent/index.ts';
import type { ModelInfo, Operation, ProviderAdapter } from './types.ts';
import { xfyunAdapter } from './xfyun/index.ts';

export const ADAPTERS: Record<ProviderName, ProviderAdapter> = {
  openai: openaiAdapter,
  azure_openai: azureOpenaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  qwen: qwenAdapter,
  baidu: baiduAdapter,
  xfyun: xfyunAdapter,
  tencent: tencentAdapter,
};

export const operationsOf = (model: ModelInfo): Operation[] => model.operations ?? ['chat'];

/** The adapters' own model lists, as the defaults of the price catalog. Azure reuses OpenAI's names. */
export function defaultModels(): { provider: ProviderName; model: ModelInfo }[] {
  return (Object.entries(ADAPTERS) as [ProviderName, ProviderAdapter][])
    .filter(([name]) => name !== 'azure_openai')
    .flatMap(([provider, adapter]) => adapter.models.map((model) => ({ provider, model })));
}
