import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import {
  BindBody,
  ConfirmBody,
  HistoryQuery,
  HistoryResponse,
  PlatformParams,
  PlatformResponse,
  PlatformsResponse,
  PublishBody,
  PublishIdParams,
  PublishJobParams,
  PublishResponse,
  RetryBody,
} from './publishing.schema.ts';
import type { PublishingService } from './publishing.service.ts';

// The studio spec's 发布 section, for the signed-in creator's own bindings and publishes only.

const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

export async function publishingRoutes(root: FastifyInstance, deps: { publishing: PublishingService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { publishing, auth } = deps;
  const tags = ['publishing'];
  const onRequest = auth.session;
  const userOf = (req: Parameters<typeof principalOf>[0]) => principalOf(req).userId;

  app.get(
    '/api/v1/publish/platforms',
    {
      onRequest,
      schema: {
        tags,
        summary: 'The platforms you can publish to, and what each allows',
        description: 'Per platform: bound or not, the account, and what it can do — `api_publish`, `draft_only`, `share` (confirm in the app) or `export` (post a bundle by hand).',
        response: { 200: PlatformsResponse },
      },
    },
    async (req) => studioOk(await publishing.platforms(userOf(req))),
  );

  app.post(
    '/api/v1/publish/platforms/bind',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Bind a platform account',
        description: 'Checks the credentials with the platform where it can, then stores them encrypted; they are never answered back. Binding again replaces the account.',
        body: BindBody,
        response: { 200: PlatformResponse },
      },
    },
    async (req) => studioOk(await publishing.bind(userOf(req), req.body.platform, req.body.credentials), '平台已绑定'),
  );

  app.delete(
    '/api/v1/publish/platforms/:platform',
    { onRequest, schema: { tags, summary: 'Unbind a platform account', params: PlatformParams, response: { 200: StudioEmpty } } },
    async (req) => {
      await publishing.unbind(userOf(req), req.params.platform);
      return studioOk(null, '平台已解绑');
    },
  );

  app.post(
    '/api/v1/publish',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Publish a creation now or at schedule_time',
        description:
          'One job per platform, run in the background; follow it at `/api/v1/publish/{publish_id}`. 40008 when a platform is not bound, 40009 when a platform cannot take this creation. ' +
          'A creation is never posted twice to the same account: a second publish while one is live or done answers 409. An `Idempotency-Key` makes a retry answer the same publish.',
        body: PublishBody,
        headers: IdempotencyHeaders,
        response: { 200: PublishResponse },
      },
    },
    async (req) => {
      const b = req.body;
      const view = await publishing.publish(userOf(req), {
        creationId: b.creation_id, platforms: b.platforms, scheduleTime: b.schedule_time, coverCreationId: b.cover_creation_id, idempotencyKey: idempotencyKeyOf(req),
      });
      return studioOk(view, '发布任务已创建');
    },
  );

  app.get(
    '/api/v1/publish/history',
    { onRequest, schema: { tags, summary: 'Your publishes, newest first, with each platform\'s state', querystring: HistoryQuery, response: { 200: HistoryResponse } } },
    async (req) => {
      const q = req.query;
      const { total, items } = await publishing.history(userOf(req), q);
      return studioOk({ total, page: q.page, page_size: q.page_size, items });
    },
  );

  app.get(
    '/api/v1/publish/:id',
    { onRequest, schema: { tags, summary: 'One publish and each platform\'s state', params: PublishIdParams, response: { 200: PublishResponse } } },
    async (req) => studioOk(await publishing.get(userOf(req), req.params.id)),
  );

  app.post(
    '/api/v1/publish/:id/retry',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Retry the failed platforms of a publish',
        description: 'Resumes each failed platform from the ids it already has (no second draft or post). `platform` limits it to one.',
        params: PublishIdParams,
        body: RetryBody,
        response: { 200: PublishResponse },
      },
    },
    async (req) => studioOk(await publishing.retry(userOf(req), req.params.id, req.body?.platform)),
  );

  app.post(
    '/api/v1/publish/:id/platforms/:platform/confirm',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Say you finished a platform by hand',
        description: 'For a platform waiting for you (a share, an export, a draft to publish in the backend): marks it published, with the post\'s link if you give one. Shown as confirmed by you.',
        params: PublishJobParams,
        body: ConfirmBody,
        response: { 200: PublishResponse },
      },
    },
    async (req) => studioOk(await publishing.confirm(userOf(req), req.params.id, req.params.platform, req.body?.url)),
  );
}
