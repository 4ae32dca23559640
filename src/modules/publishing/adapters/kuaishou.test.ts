import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKuaishou, type FakeKuaishou } from '../../../../test/fakes/kuaishou.ts';
import { PlatformError, type Outcome, type Progress, type PublishAsset, type PublishContent, type PublishRun } from '../adapter.ts';
import { memoryJob as sharedMemoryJob } from '../../../../test/helpers/publish-run.ts';
import { createKuaishouAdapter, kuaishouEndpoint } from './kuaishou.ts';
import { kuaishouTokens } from './kuaishou-token.ts';

const JPG = Buffer.from('ffd8ffe000104a4649460001', 'hex');
const MP4 = Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.from('a clip of the sea at dusk')]);
const asset = (name: string, contentType: string, bytes: Buffer): PublishAsset => ({ name, contentType, size: bytes.length, bytes: async () => bytes });

function clip(over: Partial<PublishContent> = {}): PublishContent {
  return {
    creationId: 5, type: 'video', title: '海边日落', text: '海边的日落，慢镜头', html: '<p>海边的日落，慢镜头</p>\n', summary: '海边的日落，慢镜头',
    cover: asset('cover.jpg', 'image/jpeg', JPG), images: [], video: asset('clip.mp4', 'video/mp4', MP4), ...over,
  };
}

const memoryJob = (credentials: Record<string, string>, content = clip()) => sharedMemoryJob({ content, credentials, jobId: 52 });

let fake: FakeKuaishou;
let creds: Record<string, string>;
beforeEach(async () => {
  fake = await startFakeKuaishou();
  creds = { app_id: fake.app.app_id, app_secret: fake.app.app_secret, ...fake.grant() };
});
afterEach(() => fake.close());

const kuaishou = (chunkBytes?: number) => createKuaishouAdapter({ baseUrl: fake.url, ...(chunkBytes ? { chunkBytes } : {}) });
const calls = (path: string) => fake.requests.filter((r) => r.path === path).length;
const urlOf = (id: string) => `https://www.kuaishou.com/short-video/${id}`;

/** A PlatformError whose message holds no secret, token or URL. */
async function refusal(p: Promise<unknown>): Promise<PlatformError> {
  const err = await p.then(() => expect.fail('expected a PlatformError'), (e: unknown) => e);
  expect(err).toBeInstanceOf(PlatformError);
  const { message } = err as PlatformError;
  for (const secret of [creds.app_secret, creds.access_token, creds.refresh_token]) expect(message).not.toContain(secret);
  expect(message).not.toMatch(/access_token=|http:\/\//);
  return err as PlatformError;
}

describe('Kuaishou binding', () => {
  it('verifies the authorisation by the user info and names the account', async () => {
    expect(await kuaishou().verify(creds)).toMatchObject({ accountName: '快手测试号', capability: 'api_publish' });
  });

  it('reports a refused token without quoting it (Kuaishou does) and asks to bind again', async () => {
    const err = await refusal(kuaishou().verify({ ...creds, access_token: 'ChFvYXV0aC5hY2Nlc3NUb2tlbhNotGranted000' }));
    expect(err).toMatchObject({ code: '100200102', retryable: false });
    expect(err.message).toMatch(/bind Kuaishou again/);
    expect(err.message).not.toContain('ChFvYXV0aC5hY2Nlc3NUb2tlbhNotGranted000');
  });

  it('renews an expired token once with the refresh token, and answers the renewed pair for the binding to keep', async () => {
    fake.expire(creds.access_token!);
    const check = await kuaishou().verify(creds);
    expect(check).toMatchObject({ accountName: '快手测试号' });
    expect(calls('/oauth2/refresh_token')).toBe(1);
    // Kuaishou retires the refresh token it renewed with: a binding that kept the given pair would fail at its next renewal.
    expect(check.renewed?.access_token).toBeTruthy();
    expect(check.renewed?.refresh_token).toBeTruthy();
    expect(check.renewed?.refresh_token).not.toBe(creds.refresh_token);
    fake.expire(check.renewed!.access_token!);
    expect(await kuaishou().verify({ ...creds, ...check.renewed })).toMatchObject({ accountName: '快手测试号' });
    expect(calls('/oauth2/refresh_token')).toBe(2);
  });

  it('answers no renewed credentials when the given token still works', async () => {
    expect((await kuaishou().verify(creds)).renewed).toBeUndefined();
  });

  it('asks to bind again when an expired token cannot be renewed', async () => {
    fake.expire(creds.access_token!);
    const { refresh_token: _, ...noRefresh } = creds;
    const err = await refusal(kuaishou().verify(noRefresh));
    expect(err).toMatchObject({ code: '100200108', retryable: false });
    expect(err.message).toMatch(/bind Kuaishou again/);
    await kuaishou().verify(creds); // spends the refresh token
    fake.expire(creds.access_token!);
    expect((await refusal(kuaishou().verify(creds))).message).toMatch(/Bind Kuaishou again/);
  });
});

describe('Kuaishou publishing', () => {
  it('uploads, publishes once and answers the photo’s URL', async () => {
    const job = memoryJob(creds);
    const outcome = await kuaishou().run(job.run());
    expect(fake.photos).toHaveLength(1);
    const [photo] = fake.photos;
    expect(outcome).toEqual({ kind: 'published', url: urlOf(photo!.photoId) });
    expect(photo!.video).toEqual(MP4);
    expect(photo!.cover).toEqual(JPG);
    expect(photo!.caption).toBe('海边日落 海边的日落，慢镜头');
    expect(job.stored).toMatchObject({ photo_id: photo!.photoId, uploaded: true, publish_requested: true });
    expect(job.states).toEqual(['uploading_assets', 'submitted']);
  });

  it('uploads a large video in fragments and completes it', async () => {
    const outcome = await kuaishou(8).run(memoryJob(creds).run());
    expect(outcome.kind).toBe('published');
    expect(calls('/api/upload/fragment')).toBe(Math.ceil(MP4.length / 8));
    expect(calls('/api/upload/complete')).toBe(1);
    expect(fake.photos[0]!.video).toEqual(MP4);
  });

  const steps = ['/openapi/photo/start_upload', '/api/upload', '/openapi/photo/publish'];
  for (const path of steps) {
    it(`resumes after Kuaishou was busy at ${path}, with exactly one post`, async () => {
      const job = memoryJob(creds);
      fake.failNext(path, 100200500);
      expect(await refusal(kuaishou().run(job.run()))).toMatchObject({ code: '100200500', retryable: true });
      expect(fake.photos).toHaveLength(0);
      expect((await kuaishou().run(job.run())).kind).toBe('published');
      expect(fake.photos).toHaveLength(1);
    });
  }

  for (const path of steps.slice(0, 2)) {
    it(`resumes after the answer from ${path} was lost, with exactly one post`, async () => {
      const job = memoryJob(creds);
      fake.failNext(path, 'drop');
      expect(await refusal(kuaishou().run(job.run()))).toMatchObject({ code: 'network', retryable: true });
      expect((await kuaishou().run(job.run())).kind).toBe('published');
      expect(fake.photos).toHaveLength(1);
      expect(fake.photos[0]!.video).toEqual(MP4);
    });
  }

  it('never publishes again when the publish answer was lost: it asks the user to look first', async () => {
    const job = memoryJob(creds);
    fake.failNext('/openapi/photo/publish', 'drop');
    await refusal(kuaishou().run(job.run()));
    expect(fake.photos).toHaveLength(1);
    for (let i = 0; i < 2; i += 1) {
      const outcome: Outcome = await kuaishou().run(job.run());
      expect(outcome).toMatchObject({ kind: 'needs_user_action', action: { kind: 'check_backend' } });
    }
    expect(calls('/openapi/photo/publish')).toBe(1);
    expect(fake.photos).toHaveLength(1);
  });

  it('takes a refusal of the post as final, and a later try publishes it once', async () => {
    const job = memoryJob(creds);
    fake.failNext('/openapi/photo/publish', 120003);
    const err = await refusal(kuaishou().run(job.run()));
    expect(err).toMatchObject({ code: '120003', retryable: false });
    expect(err.message).toMatch(/content rules/);
    expect(job.stored.publish_requested).toBe(false);
    expect((await kuaishou().run(job.run())).kind).toBe('published');
    expect(fake.photos).toHaveLength(1);
    expect(calls('/openapi/photo/start_upload')).toBe(1);
  });

  it('uploads afresh when Kuaishou says the video never arrived', async () => {
    const job = memoryJob(creds);
    fake.failNext('/openapi/photo/publish', 120002);
    expect((await refusal(kuaishou().run(job.run()))).code).toBe('120002');
    expect((await kuaishou().run(job.run())).kind).toBe('published');
    expect(calls('/openapi/photo/start_upload')).toBe(2);
    expect(fake.photos).toHaveLength(1);
  });

  it('renews an expired token mid-run and carries on with the new one', async () => {
    const job = memoryJob(creds);
    fake.expire(creds.access_token!);
    expect((await kuaishou().run(job.run())).kind).toBe('published');
    expect(calls('/oauth2/refresh_token')).toBe(1);
    expect(fake.photos).toHaveLength(1);
    // The renewed pair is kept in the binding: the retired refresh token is never used again, the new one renews next time.
    expect(job.credentials.access_token).not.toBe(creds.access_token);
    expect(job.credentials.refresh_token).not.toBe(creds.refresh_token);
    fake.expire(job.credentials.access_token!);
    expect((await kuaishou().run(memoryJob(job.credentials).run())).kind).toBe('published');
    expect(calls('/oauth2/refresh_token')).toBe(2);
  });

  it('waits while Kuaishou is still processing the video, then answers its URL', async () => {
    fake.pendingPolls = 1;
    const job = memoryJob(creds);
    expect(await kuaishou().run(job.run())).toEqual({ kind: 'pending', retryAfterSeconds: 60 });
    expect(await kuaishou().run(job.run())).toEqual({ kind: 'published', url: urlOf(fake.photos[0]!.photoId) });
    expect(calls('/openapi/photo/publish')).toBe(1);
  });

  it('refuses what Kuaishou does not take', () => {
    const ks = kuaishou();
    expect(ks.refuse(clip())).toBeNull();
    expect(ks.refuse(clip({ type: 'writing', video: undefined }))).toMatch(/videos only/);
    expect(ks.refuse(clip({ cover: undefined }))).toMatch(/needs a cover image/);
  });
});

describe('Kuaishou bindings made by authorising the server\'s app', () => {
  const app = () => ({ appId: fake.app.app_id, appSecret: fake.app.app_secret });
  const operatorKuaishou = () => createKuaishouAdapter({ baseUrl: fake.url, app: app() });
  const tokensOnly = () => ({ ...fake.grant(), open_id: 'f0042' });

  it('takes tokens without an app, and app_id only with app_secret', () => {
    const { credentials } = kuaishou();
    expect(credentials.safeParse(tokensOnly()).success).toBe(true);
    expect(credentials.safeParse({ ...tokensOnly(), app_id: fake.app.app_id }).success).toBe(false);
  });

  it('verifies, renews and publishes with the operator\'s app, whose secret is never stored in the binding', async () => {
    const granted = tokensOnly();
    expect(await operatorKuaishou().verify(granted)).toMatchObject({ accountName: '快手测试号' });
    fake.expire(granted.access_token);
    const job = memoryJob(granted);
    expect((await operatorKuaishou().run(job.run())).kind).toBe('published');
    expect(calls('/oauth2/refresh_token')).toBe(1);
    expect(Object.keys(job.credentials).sort()).toEqual(['access_token', 'open_id', 'refresh_token']);
    expect(JSON.stringify(job.credentials)).not.toContain(fake.app.app_secret);
  });

  it('asks to bind again with one\'s own app when the server\'s app is no longer set up', async () => {
    const err = await refusal(kuaishou().verify(tokensOnly()));
    expect(err).toMatchObject({ code: 'credentials', retryable: false });
    expect(err.message).toMatch(/no longer set up/);
    expect(fake.requests).toHaveLength(0);
  });

  it('exchanges an authorisation code once, and reports a spent one without quoting it', async () => {
    const endpoint = kuaishouEndpoint({ baseUrl: fake.url });
    const consent = await fetch(`${fake.url}/oauth2/authorize?app_id=${fake.app.app_id}&scope=user_info,user_video_publish&response_type=code&redirect_uri=https://tollgate.test/cb&state=s1`, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location') ?? '');
    const code = back.searchParams.get('code') as string;
    expect(back.searchParams.get('state')).toBe('s1');
    const first = await kuaishouTokens(endpoint, app(), { grant_type: 'authorization_code', code });
    expect(first).toMatchObject({ ok: true, tokens: { expires_in: 172800, scopes: ['user_info', 'user_video_publish'] } });
    expect(await kuaishou().verify({ ...creds, access_token: (first as { tokens: { access_token: string } }).tokens.access_token })).toMatchObject({ accountName: '快手测试号' });
    const again = await kuaishouTokens(endpoint, app(), { grant_type: 'authorization_code', code });
    expect(again).toMatchObject({ ok: false, result: 100200105 });
    expect(JSON.stringify(again)).not.toContain(code);
  });
});
