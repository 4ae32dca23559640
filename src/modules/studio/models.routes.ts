import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { CreateModelBody, ModelIdParams, ModelListQuery, ModelListResponse, ModelResponse, UpdateModelBody } from './models.schema.ts';
import type { ModelRegistry, RegistryModel, RegistryModelPatch } from './models.service.ts';

const publicModel = (m: RegistryModel) => ({
  id: m.id, name: m.name, provider: m.provider, model_name: m.modelName, is_active: m.isActive, credits_cost: m.creditsCost,
});

const adminModel = (m: RegistryModel) => ({
  ...publicModel(m),
  api_base: m.apiBase,
  config: m.config,
  has_api_key: m.hasApiKey,
  key_hint: m.keyHint,
  created_at: formatStudioTime(m.createdAt),
  updated_at: formatStudioTime(m.updatedAt),
});

export async function registryRoutes(root: FastifyInstance, deps: { registry: ModelRegistry; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { registry, auth } = deps;
  const tags = ['models'];
  const operator = auth.sessionWithRole('admin');

  // Everyone sees the active models; only operators can ask for the inactive ones (`is_active=false`).
  app.get('/api/v1/models', { onRequest: auth.session, schema: { tags, summary: 'Studio models', querystring: ModelListQuery, response: { 200: ModelListResponse } } }, async (req) => {
    const isAdmin = principalOf(req).role === 'admin';
    const models = await registry.list({ provider: req.query.provider, isActive: req.query.is_active ?? true, includeInactive: isAdmin });
    return studioOk(models.map(isAdmin ? adminModel : publicModel));
  });

  app.post('/api/v1/models', { onRequest: operator, schema: { tags, summary: 'Add a studio model (operators)', body: CreateModelBody, response: { 200: ModelResponse } } }, async (req) => {
    const b = req.body;
    const model = await registry.create({
      name: b.name, provider: b.provider, modelName: b.model_name, apiKey: b.api_key, apiBase: b.api_base, config: b.config,
      creditsCost: b.credits_cost, isActive: b.is_active,
    });
    return studioOk(adminModel(model));
  });

  app.put(
    '/api/v1/models/:id',
    { onRequest: operator, schema: { tags, summary: 'Change a studio model (operators)', params: ModelIdParams, body: UpdateModelBody, response: { 200: ModelResponse } } },
    async (req) => {
      const b = req.body;
      const patch: RegistryModelPatch = {
        name: b.name, provider: b.provider, modelName: b.model_name, apiKey: b.api_key, apiBase: b.api_base, config: b.config,
        creditsCost: b.credits_cost, isActive: b.is_active,
      };
      return studioOk(adminModel(await registry.update(req.params.id, patch)));
    },
  );

  app.delete('/api/v1/models/:id', { onRequest: operator, schema: { tags, summary: 'Delete a studio model (operators)', params: ModelIdParams, response: { 200: StudioEmpty } } }, async (req) => {
    await registry.remove(req.params.id);
    return studioOk(null);
  });
}
