import { openAiCompatible } from '../openai/adapter.ts';
import { OPENAI_MODELS } from '../openai/index.ts';
import { openAiOutputLimitField } from '../output-limit.ts';

// Azure OpenAI: one resource endpoint per channel, the model name is the deployment name, the key goes in `api-key`
// and every call names an `api-version`. A channel endpoint may carry its own `?api-version=`.
const DEFAULT_API_VERSION = '2024-10-21';

const PATHS = { chat: 'chat/completions', completions: 'completions', embeddings: 'embeddings', images: 'images/generations' } as const;

export const azureOpenaiAdapter = openAiCompatible({
  name: 'azure_openai',
  models: OPENAI_MODELS,
  operations: ['chat', 'completions', 'embeddings', 'images'],
  url(op, target) {
    const { root, version } = resource(target.baseUrl);
    const path = PATHS[op as keyof typeof PATHS];
    return `${root}/openai/deployments/${encodeURIComponent(target.model)}/${path}?api-version=${version}`;
  },
  auth: (credential) => ({ 'api-key': credential }),
  // Deployments are usually named after their model; a reasoning model's must be, for its limit to reach it.
  outputLimitField: openAiOutputLimitField,
  // The resource's model list (base models it can deploy): it proves the key; deployments are not listed by key.
  modelsUrl(target) {
    const { root, version } = resource(target.baseUrl);
    return `${root}/openai/models?api-version=${version}`;
  },
});

function resource(baseUrl: string): { root: string; version: string } {
  const base = new URL(baseUrl);
  const version = base.searchParams.get('api-version') ?? DEFAULT_API_VERSION;
  return { root: `${base.origin}${base.pathname.replace(/\/+$/, '')}`, version: encodeURIComponent(version) };
}
