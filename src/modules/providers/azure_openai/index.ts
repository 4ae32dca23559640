import { openAiCompatible } from '../openai/adapter.ts';
import { OPENAI_MODELS } from '../openai/index.ts';

// Azure OpenAI: one resource endpoint per channel, the model name is the deployment name, the key goes in `api-key`
// and every call names an `api-version`. A channel endpoint may carry its own `?api-version=`.
const DEFAULT_API_VERSION = '2024-10-21';

const PATHS = { chat: 'chat/completions', completions: 'completions', embeddings: 'embeddings', images: 'images/generations' } as const;

export const azureOpenaiAdapter = openAiCompatible({
  name: 'azure_openai',
  models: OPENAI_MODELS,
  operations: ['chat', 'completions', 'embeddings', 'images'],
  url(op, target) {
    const base = new URL(target.baseUrl);
    const version = base.searchParams.get('api-version') ?? DEFAULT_API_VERSION;
    const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    const path = PATHS[op as keyof typeof PATHS];
    return `${root}/openai/deployments/${encodeURIComponent(target.model)}/${path}?api-version=${encodeURIComponent(version)}`;
  },
  auth: (credential) => ({ 'api-key': credential }),
});
