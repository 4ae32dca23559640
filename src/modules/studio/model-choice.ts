import { badRequest } from '../../platform/errors.ts';
import type { ModelRegistry } from './models.service.ts';

// Which model a generation uses and what it costs. A tool's price is its `credits_cost` with its default model; a
// registry model the creator picks costs its own `credits_cost` when that is higher (a dearer model never costs less
// than the tool). The registry entry's `config` may set the temperature and cap the output.

export interface ModelChoice {
  modelId?: number;
  modelName: string;
  credits: number;
  temperature?: number;
  maxTokens?: number;
}

export async function chooseModel(registry: ModelRegistry, modelId: number | undefined, tool: { defaultModel: string; creditsCost: number }): Promise<ModelChoice> {
  if (modelId === undefined) return { modelName: tool.defaultModel, credits: tool.creditsCost };
  const model = await registry.get(modelId);
  if (!model.isActive) throw badRequest('This model is not available', { field: 'body.model_id' });
  const config = model.config as { temperature?: unknown; max_tokens?: unknown };
  return {
    modelId: model.id,
    modelName: model.modelName,
    credits: Math.max(tool.creditsCost, model.creditsCost),
    temperature: typeof config.temperature === 'number' ? config.temperature : undefined,
    maxTokens: typeof config.max_tokens === 'number' && config.max_tokens > 0 ? config.max_tokens : undefined,
  };
}
