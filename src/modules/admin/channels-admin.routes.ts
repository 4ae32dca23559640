import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { AppError } from '../../platform/errors.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { ChannelChange, ChannelService, ChannelView, ChannelWriter } from '../routing/channels.service.ts';
import type { Health } from '../routing/health.ts';
import type { ChannelProbe } from './channels-admin.probe.ts';
import {
  ChannelIdParams, ChannelList, ChannelResponse, ChannelTestResult, CreateChannelBody, TestChannelBody, UpdateChannelBody,
} from './channels-admin.schema.ts';
import { circuitView } from './operator-console.routes.ts';

// The platform channels in the console (studio envelope, admin role): the same ChannelService as the legacy `/1/keys`,
// so a channel made here is a key there and the other way round, under the same rules.

export interface ChannelsAdminDeps {
  channels: ChannelService;
  probe: ChannelProbe;
  /** The gateway's circuit breakers, read only: this node's view of each channel. */
  health: Pick<Health, 'view'>;
  auth: AuthHooks;
}

const writerOf = (req: FastifyRequest): ChannelWriter => ({ userId: principalOf(req).userId, requestId: req.id, api: 'console' });

/**
 * The studio envelope has no `field`, so an error that names one in its details names it in its message too, as zod's
 * do (`body.weight: …`): the console places the message next to that field.
 */
async function namingField<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const field = err instanceof AppError ? err.details?.field : undefined;
    if (!(err instanceof AppError) || !field || err.message.includes(field)) throw err;
    const named = new AppError(err.code, `${field}: ${err.message}`, err.details);
    named.headers = err.headers;
    throw named;
  }
}

/** A request body's routing settings in the service's words (absent stays absent: PATCH changes only what it names). */
const settingsOf = (b: { models?: string[] | null; weight?: number; priority?: number; rpm_limit?: number | null; max_concurrent?: number | null; enabled?: boolean }) => ({
  models: b.models, weight: b.weight, priority: b.priority, rpmLimit: b.rpm_limit, maxConcurrent: b.max_concurrent, enabled: b.enabled,
});

export async function channelsAdminRoutes(root: FastifyInstance, deps: ChannelsAdminDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { channels, probe, health, auth } = deps;
  const admin = { onRequest: auth.sessionWithRole('admin') };
  const tags = ['operators'];
  root.addHook('onClose', async () => probe.close());

  const channelView = (c: ChannelView) => ({
    id: c.id,
    name: c.name,
    provider: c.provider,
    base_url: c.baseUrl,
    models: c.models ?? null,
    weight: c.weight,
    priority: c.priority,
    rpm_limit: c.rpmLimit,
    max_concurrent: c.maxConcurrent,
    enabled: c.enabled,
    key_hint: c.keyHint,
    created_at: formatStudioTime(c.createdAt),
    updated_at: formatStudioTime(c.updatedAt),
    circuit: circuitView(health.view(`channel:${c.id}`)),
  });

  app.get(
    '/api/v1/admin/channels',
    {
      ...admin,
      schema: {
        tags, summary: 'Platform channels with their circuit state',
        description: 'The operators’ upstream accounts (also `/1/keys`): never the credential, only `key_hint`. The circuit is this node’s view.',
        response: { 200: ChannelList },
      },
    },
    async () => studioOk((await channels.list()).map(channelView)),
  );

  app.get(
    '/api/v1/admin/channels/:id',
    { ...admin, schema: { tags, summary: 'One platform channel', params: ChannelIdParams, response: { 200: ChannelResponse } } },
    async (req) => studioOk(channelView(await channels.get(req.params.id))),
  );

  app.post(
    '/api/v1/admin/channels',
    {
      ...admin,
      schema: {
        tags, summary: 'Add a platform channel',
        description: 'The key is write-only. `models` must be on the price list. Audited (`channel.create`); the router uses the channel from the next request.',
        body: CreateChannelBody, response: { 200: ChannelResponse },
      },
    },
    async (req) => {
      const b = req.body;
      const input = { name: b.name, provider: b.provider, credential: b.key, endpoint: b.endpoint, ...settingsOf(b) };
      return studioOk(channelView(await namingField(channels.create(writerOf(req), input))), '渠道已创建');
    },
  );

  app.patch(
    '/api/v1/admin/channels/:id',
    {
      ...admin,
      schema: {
        tags, summary: 'Change a platform channel',
        description: 'Any subset of the fields. Without `key` the stored key stays; changing `endpoint` or `provider` needs `key` again. Audited (`channel.update`).',
        params: ChannelIdParams, body: UpdateChannelBody, response: { 200: ChannelResponse },
      },
    },
    async (req) => {
      const b = req.body;
      const change: ChannelChange = { name: b.name, provider: b.provider, credential: b.key, endpoint: b.endpoint, ...settingsOf(b) };
      return studioOk(channelView(await namingField(channels.update(writerOf(req), req.params.id, change))), '渠道已更新');
    },
  );

  app.delete(
    '/api/v1/admin/channels/:id',
    { ...admin, schema: { tags, summary: 'Delete a platform channel', description: 'Audited (`channel.delete`); the key is no longer used.', params: ChannelIdParams, response: { 200: StudioEmpty } } },
    async (req) => {
      await channels.remove(writerOf(req), req.params.id);
      return studioOk(null, '渠道已删除');
    },
  );

  app.post(
    '/api/v1/admin/channels/:id/test',
    {
      ...admin,
      schema: {
        tags, summary: 'Send one test request through a platform channel',
        description:
          'One chat completion of at most 5 output tokens, sent as the relay sends it (adapter, upstream client, SSRF guard), enabled or not; ' +
          '`model` picks one the channel serves (no body: the first chat model it serves). ' +
          'Not billed, not recorded as usage, and counted on no circuit or cap. `ok: false` is an answer, not an error: `message` says what the upstream did, never with its key.',
        params: ChannelIdParams, body: TestChannelBody, response: { 200: ChannelTestResult },
      },
    },
    async (req) => {
      const r = await namingField(probe.test(req.params.id, req.body?.model));
      return studioOk({ ok: r.ok, status: r.status, latency_ms: r.latencyMs, model: r.model, message: r.message });
    },
  );
}
