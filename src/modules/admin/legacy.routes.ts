import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LegacyMessage } from '../../platform/envelopes.ts';
import { AppError, badRequest } from '../../platform/errors.ts';
import { formatCny } from '../../platform/money.ts';
import { formatLegacyTime } from '../../platform/time.ts';
import type { ApiKeyService } from '../identity/api-keys.service.ts';
import { maskKey } from '../identity/api-keys.service.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { UserRow } from '../identity/identity.tables.ts';
import type { OperatorSetupService } from '../identity/operator-setup.service.ts';
import type { UserService } from '../identity/users.service.ts';
import type { UsageService } from '../metering/usage.service.ts';
import type { ChannelService, ChannelView, ChannelWriter } from '../routing/channels.service.ts';
import {
  CreateLegacyKeyBody, CreateLegacyUserBody, LegacyIdParams, LegacyKey, LegacyUsage, LegacyUser, LegacyUserWithFlag, UpdateLegacyKeyBody, UsageQuery,
} from './legacy.schema.ts';

export interface LegacyDeps {
  users: UserService;
  apiKeys: ApiKeyService;
  channels: ChannelService;
  usage: UsageService;
  auth: AuthHooks;
  operatorSetup: OperatorSetupService;
}

const DAY_MS = 24 * 3600 * 1000;
const MAX_USAGE_RANGE_DAYS = 366;

const userView = (u: UserRow, token: string) => ({
  id: u.id,
  name: u.username,
  token,
  createdAt: formatLegacyTime(u.createdAt),
  updatedAt: formatLegacyTime(u.updatedAt),
  IsDelete: u.deletedAt !== null,
});

/** `/1/keys` writes are audited like the console's, in the legacy API's words. */
const keyWriter = (req: FastifyRequest): ChannelWriter => ({ userId: principalOf(req).userId, requestId: req.id, api: 'legacy' });

const keyView = (c: ChannelView) => ({
  id: c.id,
  key: '****' as const,
  key_hint: c.keyHint,
  name: c.name,
  ApiType: c.provider,
  endpoint: c.baseUrl ?? '',
  createdAt: formatLegacyTime(c.createdAt),
  updatedAt: formatLegacyTime(c.updatedAt),
});

export async function legacyRoutes(root: FastifyInstance, deps: LegacyDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { users, apiKeys, channels, usage, auth, operatorSetup } = deps;
  const admin = { onRequest: auth.apiKeyWithRole('admin') };
  const tags = ['legacy admin (/1)'];

  // Beyond the legacy fields, `setup_url`: root has a legacy token but no console password, and this one-time link
  // (24 h) is how it gets one. It is also logged, for whoever runs the service rather than the script that called init.
  app.post('/1/users/init', { schema: { tags, summary: 'Create the root operator: its token, shown once, and a console setup link', response: { 200: LegacyUser.extend({ setup_url: z.string() }) } } }, async (req) => {
    const created = await users.createFirstAdmin({ username: 'root' }, async (tx, root) => ({
      token: (await apiKeys.issueLegacyToken(root.id, tx)).token,
      setup: await operatorSetup.issue(root.id, tx),
    }));
    if (!created) throw new AppError('FORBIDDEN', 'Already initialised');
    const { url, expiresAt } = created.result.setup;
    req.log.info({ userId: created.admin.id, setup_url: url, expires_at: expiresAt.toISOString() }, `open ${url} to set the root operator's console password`);
    const { IsDelete: _, ...view } = userView(created.admin, created.result.token);
    return { ...view, setup_url: url };
  });

  app.get('/1/me', { onRequest: auth.apiKey, schema: { tags, summary: 'The user this token belongs to', response: { 200: LegacyUser } } }, async (req) => {
    const user = await users.getLive(principalOf(req).userId);
    const { IsDelete: _, ...view } = userView(user, req.apiKey?.token ?? '');
    return view;
  });

  app.get('/1/users', { ...admin, schema: { tags, summary: 'All users', response: { 200: z.array(LegacyUserWithFlag) } } }, async () => {
    const all = await users.listLive();
    const tokens = await apiKeys.legacyKeysOf(all.map((u) => u.id));
    return all.map((u) => {
      const key = tokens.get(u.id);
      return userView(u, key ? maskKey(key.last4) : '');
    });
  });

  app.post('/1/users', { ...admin, schema: { tags, summary: 'Create a (postpaid) user and its token', body: CreateLegacyUserBody, response: { 200: LegacyUserWithFlag } } }, async (req) => {
    // Users made here are postpaid, as in the legacy tool: usage is recorded and costed, no balance needed.
    const { user, result } = await users.create({ username: req.body.name, role: 'user', billingMode: 'postpaid' }, (tx, u) =>
      apiKeys.issueLegacyToken(u.id, tx),
    );
    return userView(user, result.token);
  });

  app.delete('/1/users/:id', { ...admin, schema: { tags, summary: 'Delete a user', params: LegacyIdParams, response: { 200: LegacyMessage } } }, async (req) => {
    if (req.params.id === principalOf(req).userId) throw badRequest('You cannot delete yourself');
    await users.remove(req.params.id);
    return { message: 'ok' };
  });

  app.post('/1/users/:id/reset', { ...admin, schema: { tags, summary: "Replace a user's token", params: LegacyIdParams, response: { 200: LegacyUserWithFlag } } }, async (req) => {
    const { user, result } = await users.withLockedUser(req.params.id, (tx) => apiKeys.issueLegacyToken(req.params.id, tx));
    return userView(user, result.token);
  });

  app.get('/1/keys', { ...admin, schema: { tags, summary: 'Platform upstream keys (channels); the key itself is never shown', response: { 200: z.array(LegacyKey) } } }, async () =>
    (await channels.list()).map(keyView),
  );

  app.post('/1/keys', { ...admin, schema: { tags, summary: 'Add a platform upstream key (channel)', body: CreateLegacyKeyBody, response: { 200: LegacyKey } } }, async (req) =>
    keyView(
      await channels.create(keyWriter(req), {
        name: req.body.name,
        provider: req.body.api_type,
        credential: req.body.key,
        endpoint: req.body.endpoint || undefined,
      }),
    ),
  );

  // Our addition to the legacy API: rename a key, or point it elsewhere with the key given again.
  app.patch('/1/keys/:id', { ...admin, schema: { tags, summary: 'Rename or re-point an upstream key (moving it needs the key again)', params: LegacyIdParams, body: UpdateLegacyKeyBody, response: { 200: LegacyKey } } }, async (req) =>
    keyView(await channels.update(keyWriter(req), req.params.id, { name: req.body.name, provider: req.body.api_type, credential: req.body.key, endpoint: req.body.endpoint })),
  );

  app.delete('/1/keys/:id', { ...admin, schema: { tags, summary: 'Remove an upstream key', params: LegacyIdParams, response: { 200: LegacyMessage } } }, async (req) => {
    await channels.remove(keyWriter(req), req.params.id);
    return { message: 'ok' };
  });

  app.get('/1/usages', { ...admin, schema: { tags, summary: 'Usage records, filtered by user and time', querystring: UsageQuery, response: { 200: z.array(LegacyUsage) } } }, async (req) => {
    const { from, to } = req.query;
    if (to < from) throw badRequest('to must not be before from', { field: 'query.to' });
    // Both ends are inclusive, so the span counts the last day too.
    if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_USAGE_RANGE_DAYS) {
      throw badRequest(`the range may span at most ${MAX_USAGE_RANGE_DAYS} days`, { field: 'query.to' });
    }
    const totals = await usage.totalsByUser(from, new Date(to.getTime() + DAY_MS));
    return totals.map((t) => ({ cost: formatCny(t.costMicros, 6), userId: t.userId, totalUnit: t.totalTokens }));
  });
}
