import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageOf, StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { CreationIdParams, CreationListQuery, CreationPageResponse, CreationResponse, UpdateCreationBody } from './creations.schema.ts';
import type { CreationService } from './creations.service.ts';

// The studio spec's creations: GET /api/v1/creations and GET/PUT/DELETE /api/v1/creations/{id}, for their owner only.

export async function creationRoutes(root: FastifyInstance, deps: { creations: CreationService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { creations, auth } = deps;
  const tags = ['creations'];
  const onRequest = auth.session;

  app.get(
    '/api/v1/creations',
    { onRequest, schema: { tags, summary: 'Your creations, newest first', querystring: CreationListQuery, response: { 200: CreationPageResponse } } },
    async (req) => {
      const q = req.query;
      const { rows, total } = await creations.list(principalOf(req).userId, { type: q.type, page: q.page, pageSize: q.page_size });
      return studioOk(pageOf(q, total, rows.map(creations.view)));
    },
  );

  app.get(
    '/api/v1/creations/:id',
    { onRequest, schema: { tags, summary: 'One of your creations', params: CreationIdParams, response: { 200: CreationResponse } } },
    async (req) => studioOk(creations.view(await creations.get(principalOf(req).userId, req.params.id))),
  );

  app.put(
    '/api/v1/creations/:id',
    {
      onRequest,
      schema: { tags, summary: 'Change the title or text of a creation', params: CreationIdParams, body: UpdateCreationBody, response: { 200: CreationResponse } },
    },
    async (req) => studioOk(creations.view(await creations.update(principalOf(req).userId, req.params.id, req.body)), '作品已更新'),
  );

  app.delete(
    '/api/v1/creations/:id',
    { onRequest, schema: { tags, summary: 'Delete a creation', params: CreationIdParams, response: { 200: StudioEmpty } } },
    async (req) => {
      await creations.remove(principalOf(req).userId, req.params.id);
      return studioOk(null, '作品已删除');
    },
  );
}
