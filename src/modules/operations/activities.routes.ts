import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { formatStudioTime, type Clock } from '../../platform/time.ts';
import { creditsOf } from '../commerce/pricing.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { ActivityCreated, ActivityIdParams, ActivityListQuery, ActivityPage, CreateActivityBody, Participated } from './activities.schema.ts';
import type { ActivityService } from './activities.service.ts';
import { activityStatus } from './activity-effects.ts';
import type { ActivityRow } from './operations.tables.ts';

function activityView(a: ActivityRow, participated: boolean, now: Date) {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    description: a.description,
    config: a.config,
    start_time: formatStudioTime(a.startsAt),
    end_time: formatStudioTime(a.endsAt),
    status: activityStatus(a, now),
    participated,
    created_at: formatStudioTime(a.createdAt),
  };
}

export async function activityRoutes(root: FastifyInstance, deps: { activities: ActivityService; auth: AuthHooks; clock: Clock }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { activities, auth, clock } = deps;
  const tags = ['activities'];

  app.post(
    '/api/v1/operation/activities',
    { onRequest: auth.sessionWithRole('admin'), schema: { tags, summary: 'Create an activity (operators)', body: CreateActivityBody, response: { 200: ActivityCreated } } },
    async (req) => {
      const b = req.body;
      const a = await activities.create(principalOf(req), {
        name: b.name, type: b.type, description: b.description, config: b.config, startsAt: b.start_time, endsAt: b.end_time,
      });
      return studioOk({ id: a.id, name: a.name, status: activityStatus(a, clock.now()) }, '活动创建成功');
    },
  );

  app.get(
    '/api/v1/operation/activities',
    { onRequest: auth.session, schema: { tags, summary: 'List activities (status computed from the window, UTC+8)', querystring: ActivityListQuery, response: { 200: ActivityPage } } },
    async (req) => {
      const q = req.query;
      const { rows, total } = await activities.page(principalOf(req), q.status, pageWindow(q));
      const now = clock.now();
      return studioOk(pageOf(q, total, rows.map((r) => activityView(r.activity, r.participated, now))));
    },
  );

  app.post(
    '/api/v1/operation/activities/:activity_id/participate',
    { onRequest: auth.session, schema: { tags, summary: 'Take part in an activity (once; 40010 outside its window)', params: ActivityIdParams, response: { 200: Participated } } },
    async (req) => {
      const { activity, reward } = await activities.participate(principalOf(req), req.params.activity_id);
      return studioOk({ activity_id: activity.id, type: activity.type, status: 'completed' as const, reward_credits: creditsOf(reward) }, '参与成功');
    },
  );
}
