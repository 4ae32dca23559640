import type { ModelPrice, Provider } from '../../../api/operator.ts';

// The priced models a channel of a provider serves when it names none, as the router reads them
// (src/modules/routing/platform-candidates.ts `servedModels`): Azure deployments carry OpenAI's model names.

export function pricedModelsOf(prices: readonly ModelPrice[] | undefined, provider: Provider | undefined): ModelPrice[] {
  if (!prices || !provider) return [];
  const providers: string[] = provider === 'azure_openai' ? ['openai', 'azure_openai'] : [provider];
  return prices.filter((p) => providers.includes(p.provider));
}

/** Models the "send one request" test can use: chat models (the test is one chat completion). */
export const chatModelsOf = (prices: readonly ModelPrice[]) => prices.filter((p) => p.operations.includes('chat')).map((p) => p.model);
