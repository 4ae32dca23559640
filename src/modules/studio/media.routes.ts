import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { studioEnvelope, studioOk } from '../../platform/envelopes.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { clientGone } from './client-gone.ts';
import { ImageBody, type ImageService } from './image.service.ts';
import { PptBody, type PptService } from './ppt.service.ts';

// Image and PPT generation: one request, one answer; the file is in Tollgate's store, its link signed and expiring.

const ImageResponse = studioEnvelope(z.object({ image_url: z.string(), credits_used: z.number().int(), creation_id: z.number().int() }));
const PptResponse = studioEnvelope(z.object({ ppt_id: z.number().int(), download_url: z.string(), credits_used: z.number().int(), slides: z.number().int() }));

export async function mediaRoutes(root: FastifyInstance, deps: { image: ImageService; ppt: PptService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { auth } = deps;

  app.post('/api/v1/image/generate', {
    onRequest: auth.session,
    config: { studioRateLimit: 'ai' },
    schema: { tags: ['image'], summary: 'Generate an image', body: ImageBody, response: { 200: ImageResponse } },
  }, async (req, reply) => {
    const idempotencyKey = idempotencyKeyOf(req);
    const gone = clientGone(reply);
    try {
      return studioOk(await deps.image.generate(principalOf(req).userId, req.body, { idempotencyKey, signal: gone.signal }), '生成成功');
    } finally {
      gone.done();
    }
  });

  app.post('/api/v1/ppt/generate', {
    onRequest: auth.session,
    config: { studioRateLimit: 'ai' },
    schema: { tags: ['ppt'], summary: 'Generate a PPTX deck', body: PptBody, response: { 200: PptResponse } },
  }, async (req, reply) => {
    const idempotencyKey = idempotencyKeyOf(req);
    const gone = clientGone(reply);
    try {
      return studioOk(await deps.ppt.generate(principalOf(req).userId, req.body, { idempotencyKey, signal: gone.signal }), '生成成功');
    } finally {
      gone.done();
    }
  });
}
