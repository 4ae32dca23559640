import type { FastifyInstance } from 'fastify';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { Operation } from '../providers/types.ts';
import type { Router } from '../routing/router.ts';
import { studioOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import type { CatalogModel, ModelCatalog } from '../routing/model-catalog.service.ts';
import type { Gateway } from './gateway.service.ts';
import { modelNotFound } from './gateway.errors.ts';
import { ChatBody, CompletionBody, ConsoleModelList, EmbeddingBody, ImageBody, MessagesBody, ModelParams } from './gateway.schema.ts';

// The OpenAI-compatible surface (`/v1/*`) plus Anthropic's `/v1/messages`. Errors render in OpenAI's envelope, and in
// Anthropic's on `/v1/messages` (platform/envelopes.ts decides by path).

const CREATED = 1_700_000_000;

/** CNY per 1M tokens (per image for `image`), with the 4 decimals of unit prices (DESIGN.md §3 Money). */
const shownPrice = (m: CatalogModel) => ({
  currency: 'CNY' as const,
  input_per_1m_tokens: cnyNumber(m.price.input, 4),
  output_per_1m_tokens: cnyNumber(m.price.output, 4),
  ...(m.price.perImage !== undefined ? { per_image: cnyNumber(m.price.perImage, 4) } : {}),
});

export async function gatewayRoutes(app: FastifyInstance, o: { gateway: Gateway; router: Router; catalog: ModelCatalog; auth: AuthHooks }) {
  const relayed = (url: string, op: Operation, body: typeof ChatBody, summary: string) =>
    app.post(url, { onRequest: o.auth.gatewayKey, schema: { body, tags: ['gateway'], summary } }, (req, reply) =>
      o.gateway.handle(req, reply, op, req.body as Record<string, unknown>),
    );

  relayed('/v1/chat/completions', 'chat', ChatBody, 'Chat completions (OpenAI format), streamed or not');
  relayed('/v1/completions', 'completions', CompletionBody as unknown as typeof ChatBody, 'Text completions (legacy OpenAI format)');
  relayed('/v1/embeddings', 'embeddings', EmbeddingBody as unknown as typeof ChatBody, 'Embeddings');
  relayed('/v1/images/generations', 'images', ImageBody as unknown as typeof ChatBody, 'Image generation');
  relayed('/v1/messages', 'messages', MessagesBody as unknown as typeof ChatBody, 'Messages (Anthropic format), any upstream');

  /**
   * The models served now, each with the price the buyer is shown (`pricing`, beyond OpenAI's fields): no request on
   * the model is held or charged above it. A model without a price on the list is not served at all.
   */
  async function visibleModels(allowed: string[] | null | undefined) {
    const served = await o.router.models();
    const catalog = await o.catalog.models();
    return served.flatMap((id) => {
      const m = catalog.get(id);
      if (!m || (allowed?.length && !allowed.includes(id))) return [];
      return [{ id, object: 'model' as const, created: CREATED, owned_by: m.provider, pricing: shownPrice(m) }];
    });
  }

  app.get('/v1/models', { onRequest: o.auth.gatewayKey, schema: { tags: ['gateway'], summary: 'The models this key may use' } }, async (req) => ({
    object: 'list',
    data: await visibleModels(req.apiKey?.key.allowedModels),
  }));

  app.get('/v1/models/:model', { onRequest: o.auth.gatewayKey, schema: { params: ModelParams, tags: ['gateway'], summary: 'One model this key may use' } }, async (req) => {
    const { model } = req.params as { model: string };
    const found = (await visibleModels(req.apiKey?.key.allowedModels)).find((m) => m.id === model);
    if (!found) throw modelNotFound(model);
    return found;
  });

  // The console holds a session, not an API key: its quick start lists what a key without a model allow-list may
  // call, and writes its examples with one of them.
  app.get(
    '/api/v1/gateway/models',
    { onRequest: o.auth.session, schema: { tags: ['gateway'], summary: 'The models an API key without a model allow-list may use', response: { 200: ConsoleModelList } } },
    async () => studioOk(await visibleModels(null)),
  );
}
