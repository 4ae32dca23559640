import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Database } from '../../src/platform/db.ts';
import { createFileStore, fileKey } from '../../src/platform/files.ts';
import { startJobs, type JobRunner } from '../../src/platform/jobs.ts';
import { createCreationService } from '../../src/modules/studio/creations.service.ts';
import type { CreationRow } from '../../src/modules/studio/studio.tables.ts';
import { FAKE_APPID, FAKE_SECRET, startFakeWechatMp, type FakeWechatMp } from '../fakes/wechat-mp.ts';
import { registerUser } from './actors.ts';
import { buildTestApp, fakeClock, type BuiltTestApp } from './app.ts';
import type { DbTier } from './database.ts';
import { pngOf } from './images.ts';

// Publishing under test: the app over a database that outlives it (so a "restart" is a second app on the same data),
// a fake WeChat official-account API, an injected clock, and creators with writing and image creations.

type Headers = Record<string, string>;

export interface Publisher {
  id: number;
  auth: Headers;
}

export interface PublishingHarness {
  wechat: FakeWechatMp;
  clock: ReturnType<typeof fakeClock>;
  database: Database;
  app(): BuiltTestApp['app'];
  request(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Every response body, for checks that no secret ever left. */
  responses: string[];
  logs(): string[];
  creator(): Promise<Publisher>;
  writing(p: Publisher, content?: string, title?: string): Promise<CreationRow>;
  image(p: Publisher): Promise<CreationRow>;
  bindWechat(p: Publisher, appid?: string, secret?: string): Promise<void>;
  /** The minute's sweep, as pg-boss runs it. */
  runDue(): Promise<unknown>;
  /** Stops the app (not the database) and starts a new one on the same data and keys. */
  restart(): Promise<void>;
  /** A restart that then starts the job runner main.ts starts (pg-boss on the same database), attached to the app. */
  boot(): Promise<void>;
  close(): Promise<void>;
}

/** `env` adds to the app's settings (e.g. PUBLIC_BASE_URL for a browser test that listens on a port). */
export async function startPublishing(tier: DbTier, options: { env?: Record<string, string> } = {}): Promise<PublishingHarness> {
  const wechat = await startFakeWechatMp({ accounts: [{ appid: FAKE_APPID, secret: FAKE_SECRET, verified: true }] });
  const clock = fakeClock(new Date('2026-03-01T02:00:00Z'));
  const database = await tier.open();
  // Its own DATA_DIR, kept across the restart: the stored files outlive the process as they would on a disk.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-publish-'));
  const env = {
    DATA_DIR: dataDir,
    MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    PUBLISH_WECHAT_BASE_URL: wechat.baseUrl,
    PUBLISH_POLL_SECONDS: '30',
    ...options.env,
  };
  let built = await buildTestApp(database, { clock, env });
  await built.app.ready();
  const files = createFileStore(built.config.files);
  const creations = createCreationService({ database, clock, fileUrl: (key) => key });
  const responses: string[] = [];
  let jobs: JobRunner | undefined;
  async function stop() {
    await jobs?.stop();
    jobs = undefined;
    await built.app.close();
  }

  const h: PublishingHarness = {
    wechat, clock, database, responses,
    app: () => built.app,
    logs: () => built.logs,
    async request(opts) {
      const res = await built.app.inject(opts);
      responses.push(res.body);
      return res;
    },
    async creator() {
      const user = await registerUser({ request: (o: InjectOptions) => h.request(o) } as never);
      return { id: user.id, auth: user.auth };
    },
    writing: (p, content = '# 春日\n\n一篇关于春天的文章。', title = '春日随笔') =>
      creations.save({ userId: p.id, type: 'writing', toolType: 'wechat_article', title, content }),
    async image(p) {
      const key = fileKey(['images', String(p.id), `img-${crypto.randomUUID()}.png`]);
      const stored = await files.put(key, Buffer.from(pngOf(900, 500, 64), 'base64'), 'image/png');
      return creations.save({ userId: p.id, type: 'image', title: '封面', content: '一幅春天的画', files: [{ key, contentType: 'image/png', size: stored.size }] });
    },
    async bindWechat(p, appid = FAKE_APPID, secret = FAKE_SECRET) {
      const res = await h.request({
        method: 'POST', url: '/api/v1/publish/platforms/bind', headers: p.auth, payload: { platform: 'wechat', credentials: { app_id: appid, app_secret: secret } },
      });
      expect(res.statusCode, res.body).toBe(200);
    },
    runDue: () => (built.app.tollgateJobs.find((j) => j.name === 'publish.due') as { handler: (d: object) => Promise<unknown> }).handler({}),
    async restart() {
      await stop();
      built = await buildTestApp(database, { clock, env });
      await built.app.ready();
    },
    async boot() {
      await h.restart();
      jobs = await startJobs({ database, log: built.app.log }, built.app.tollgateJobs);
      built.app.tollgateJobQueue.attach(jobs);
    },
    async close() {
      await stop();
      await database.close();
      await wechat.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
