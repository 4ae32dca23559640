import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { studioOk } from '../../platform/envelopes.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { VideoGenerateBody, VideoStatusResponse, VideoTaskParams, VideoTaskResponse } from './video.schema.ts';
import type { VideoService } from './video.service.ts';

// The studio spec's video generation: submit a task, then poll its status (the creator's own tasks only).

const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

export async function videoRoutes(root: FastifyInstance, deps: { video: VideoService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { video, auth } = deps;
  const tags = ['video'];
  const onRequest = auth.session;

  app.post(
    '/api/v1/video/generate',
    {
      onRequest,
      config: { studioRateLimit: 'ai' },
      schema: {
        tags,
        summary: 'Start a video generation task',
        description:
          'Holds the credits and submits the task to the provider once. Poll `/api/v1/video/{task_id}/status`; the credits are settled when the video is ready and returned if the task fails or times out. ' +
          'An `Idempotency-Key` makes a retry answer the same task without charging again.',
        body: VideoGenerateBody,
        headers: IdempotencyHeaders,
        response: { 200: VideoTaskResponse },
      },
    },
    async (req) => studioOk(await video.submit(principalOf(req).userId, req.body, idempotencyKeyOf(req)), '任务已创建'),
  );

  app.get(
    '/api/v1/video/:task_id/status',
    { onRequest, schema: { tags, summary: 'A video task\'s progress and, once completed, its video', params: VideoTaskParams, response: { 200: VideoStatusResponse } } },
    async (req) => studioOk(await video.status(principalOf(req).userId, req.params.task_id)),
  );
}
