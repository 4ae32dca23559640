import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import type { JobDefinition, JobQueue } from '../../platform/jobs.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { StudioModule } from '../studio/studio.module.ts';
import type { Platform, PlatformAdapter } from './adapter.ts';
import { createDouyinAdapter } from './adapters/douyin.ts';
import { createKuaishouAdapter } from './adapters/kuaishou.ts';
import { createToutiaoAdapter } from './adapters/toutiao.ts';
import { createWechatAdapter } from './adapters/wechat.ts';
import { createXiaohongshuAdapter } from './adapters/xiaohongshu.ts';
import { createContentBuilder } from './content.ts';
import { kuaishouOAuthPlugin } from './kuaishou-oauth.routes.ts';
import { publishingRoutes } from './publishing.routes.ts';
import { createPublishingService } from './publishing.service.ts';
import { createPublishRunner } from './runner.ts';
import { xiaohongshuSharePlugin } from './share.routes.ts';

// Wires publishing (DESIGN.md §8): one adapter per platform, the service behind the routes, and the runner that
// pg-boss calls — at a publish's time, and every minute for whatever came due while the server was down.

export interface PublishingModuleDeps {
  config: Config;
  database: Database;
  clock: Clock;
  secrets: SecretBox;
  studio: Pick<StudioModule, 'creations' | 'files' | 'fileUrl' | 'fileUrlUntil'>;
  auth: AuthHooks;
  jobs: JobQueue;
}

export function publishingAdapters(config: Config, mediaUrl: (key: string, until: Date) => string): Map<Platform, PlatformAdapter> {
  const urls = config.publishing.baseUrls;
  const list: PlatformAdapter[] = [
    createWechatAdapter({ baseUrl: urls.wechat, pollSeconds: config.publishing.pollSeconds }),
    createXiaohongshuAdapter({ baseUrl: urls.xiaohongshu, publicBaseUrl: config.publicBaseUrl }),
    createDouyinAdapter({ baseUrl: urls.douyin, mediaUrl }),
    createKuaishouAdapter({ baseUrl: urls.kuaishou, app: config.kuaishouApp }),
    createToutiaoAdapter(),
  ];
  return new Map(list.map((a) => [a.platform, a]));
}

export async function publishingModule(app: FastifyInstance, d: PublishingModuleDeps) {
  const { database, clock, studio } = d;
  const adapters = publishingAdapters(d.config, studio.fileUrlUntil);
  const content = createContentBuilder({ files: studio.files });
  const runner = createPublishRunner({
    database, clock, adapters, box: d.secrets, content, creations: studio.creations, files: studio.files, log: app.log,
  });
  const publishing = createPublishingService({
    database, clock, adapters, box: d.secrets, content, creations: studio.creations, fileUrl: studio.fileUrl,
    enqueue: async (jobId, at) => {
      const wait = (at.getTime() - clock.now().getTime()) / 1000;
      await d.jobs.send('publish.run', { jobId }, { ...(wait > 0 ? { startAfterSeconds: wait } : {}), singletonKey: `publish-${jobId}` });
    },
  });
  await app.register(publishingRoutes, { publishing, auth: d.auth });
  await kuaishouOAuthPlugin(app, { config: d.config, clock, publishing, auth: d.auth });
  await xiaohongshuSharePlugin(app, { config: d.config, database, clock, box: d.secrets, fileUrl: studio.fileUrlUntil });

  const jobs: JobDefinition<object>[] = [
    { name: 'publish.run', handler: async (data) => ({ ran: await runner.runJob(Number((data as { jobId?: unknown }).jobId)) }) },
    // Every minute, and once at boot: jobs whose time came while no pg-boss job carried them (a crash, a lost send).
    { name: 'publish.due', cron: '* * * * *', onStart: true, handler: async () => ({ ran: await runner.runDue() }) },
  ];
  return { publishing, runner, jobs };
}
