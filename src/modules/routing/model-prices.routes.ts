import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { notFound } from '../../platform/errors.ts';
import { cnyNumber } from '../../platform/money.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { CatalogModel, ModelCatalog } from './model-catalog.service.ts';
import { ModelPriceList, ModelPriceParams, ModelPriceResponse, PutModelCeilingBody, PutModelPriceBody } from './model-prices.schema.ts';

// Unit prices are shown with 4 decimals (DESIGN.md §3 Money).
const priceView = (m: CatalogModel) => ({
  model: m.id,
  provider: m.provider,
  input_price: cnyNumber(m.price.input, 4),
  output_price: cnyNumber(m.price.output, 4),
  per_image_price: m.price.perImage === undefined ? null : cnyNumber(m.price.perImage, 4),
  operations: m.operations,
  price_source: m.priceSource,
  ceiling_input_price: cnyNumber(m.ceiling.input, 4),
  ceiling_output_price: cnyNumber(m.ceiling.output, 4),
  ceiling_per_image_price: m.ceiling.perImage === undefined ? null : cnyNumber(m.ceiling.perImage, 4),
  ceiling_source: m.ceilingSource,
});

const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
const byProviderThenModel = (a: CatalogModel, b: CatalogModel) => order(a.provider, b.provider) || order(a.id, b.id);

/** Prices change which candidates serve a model and what they cost, so every write invalidates the router's snapshot. */
export async function modelPriceRoutes(root: FastifyInstance, deps: { catalog: ModelCatalog; auth: AuthHooks; onChange?: () => void }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { catalog, auth } = deps;
  const tags = ['model prices'];
  const onRequest = auth.sessionWithRole('admin');

  app.get('/api/v1/admin/model-prices', { onRequest, schema: { tags, summary: 'The price list buyers are shown', response: { 200: ModelPriceList } } }, async () => {
    const models = [...(await catalog.models()).values()].sort(byProviderThenModel);
    return studioOk(models.map(priceView));
  });

  app.put(
    '/api/v1/admin/model-prices/:model',
    { onRequest, schema: { tags, summary: 'Set a model\'s price', params: ModelPriceParams, body: PutModelPriceBody, response: { 200: ModelPriceResponse } } },
    async (req) => {
      const b = req.body;
      const model = await catalog.setPrice(req.params.model, { provider: b.provider, input: b.input_price, output: b.output_price, perImage: b.per_image_price });
      deps.onChange?.();
      return studioOk(priceView(model));
    },
  );

  app.delete('/api/v1/admin/model-prices/:model', { onRequest, schema: { tags, summary: 'Take a model off the price list', params: ModelPriceParams, response: { 200: StudioEmpty } } }, async (req) => {
    if (!(await catalog.removePrice(req.params.model))) throw notFound('Operator price for this model');
    deps.onChange?.();
    return studioOk(null);
  });

  // A ceiling bounds what packages may ask when they are published or re-priced; packages already on sale above a
  // lowered price are skipped by the gateway, so no write here needs to touch them.
  app.put(
    '/api/v1/admin/model-prices/:model/ceiling',
    {
      onRequest,
      schema: {
        tags, summary: 'Set the most a package may ask for a model', params: ModelPriceParams, body: PutModelCeilingBody, response: { 200: ModelPriceResponse },
        description: 'Sets the most a supplier package may ask for a model on the price list (CNY per 1M tokens, per image for `per_image_price`). Publishing or re-pricing a package above it is refused. Without a ceiling, the model\'s price × 1.5 applies. 404 for a model not on the price list.',
      },
    },
    async (req) => {
      if (!(await catalog.get(req.params.model))) throw notFound('Model on the price list');
      const b = req.body;
      await catalog.setCeiling(req.params.model, { input: b.input_price, output: b.output_price, perImage: b.per_image_price });
      return studioOk(priceView((await catalog.get(req.params.model)) as CatalogModel));
    },
  );

  app.delete(
    '/api/v1/admin/model-prices/:model/ceiling',
    { onRequest, schema: { tags, summary: 'Drop a model\'s price ceiling', params: ModelPriceParams, response: { 200: StudioEmpty }, description: 'Drops the operator\'s ceiling: the model\'s price × 1.5 applies again.' } },
    async (req) => {
      if (!(await catalog.removeCeiling(req.params.model))) throw notFound('Operator ceiling for this model');
      return studioOk(null);
    },
  );
}
