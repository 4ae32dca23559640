import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_APPID, FAKE_SECRET, startFakeWechatMp, type FakeWechatMp } from '../../../../test/fakes/wechat-mp.ts';
import { PlatformError, type Progress, type PublishAsset, type PublishContent, type PublishRun } from '../adapter.ts';
import { memoryJob } from '../../../../test/helpers/publish-run.ts';
import { createWechatAdapter } from './wechat.ts';
import { createWechatClient } from './wechat-client.ts';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => (b.reduce((c, x) => CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])));
  return Buffer.concat([head, Buffer.from(type, 'ascii'), data, crc]);
}
/** A valid 1×1 RGB PNG of one colour; `padding` bytes of an ancillary chunk make it as large as a test needs. */
function png(red: number, padding = 0): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  const extra = padding ? [chunk('tEXt', Buffer.alloc(padding, 0x61))] : [];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra,
    chunk('IDAT', deflateSync(Buffer.from([0, red, 80, 160]))), chunk('IEND', Buffer.alloc(0))]);
}
const asset = (name: string, contentType: string, bytes: Buffer): PublishAsset => ({ name, contentType, size: bytes.length, bytes: async () => bytes });
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

const REF = '/files/images/7/body.png';
function article(over: Partial<PublishContent> = {}): PublishContent {
  return {
    creationId: 1, type: 'writing', title: '春天的第一篇', text: '# 春天\n\n![body](/files/images/7/body.png)',
    html: `<h1>春天</h1>\n<p><img src="${REF}" alt="body"></p>\n`, summary: '春天', cover: asset('cover.png', 'image/png', png(200)),
    images: [{ ...asset('body.png', 'image/png', png(10)), ref: REF }], ...over,
  };
}

let fake: FakeWechatMp;
beforeEach(async () => {
  fake = await startFakeWechatMp();
});
afterEach(() => fake.close());

const clock = () => ({ now: () => fake.now() });
const adapter = () => createWechatAdapter({ baseUrl: fake.baseUrl, pollSeconds: 7, clock: clock() });
const client = () => createWechatClient({ baseUrl: fake.baseUrl, clock: clock() });
const cred = { appId: FAKE_APPID, appSecret: FAKE_SECRET };
const tokenFetches = () => fake.calls.filter((c) => c.path === '/cgi-bin/stable_token');
/** Each stable_token request's force_refresh, in order. */
const forced = () => tokenFetches().map((c) => (c.body as { force_refresh?: boolean }).force_refresh ?? false);

/** One run object over a stored progress that its saves change in place, so running it again resumes. */
function memoryRun(content = article(), progress: Progress = {}) {
  const job = memoryJob({ content, credentials: { app_id: FAKE_APPID, app_secret: FAKE_SECRET }, progress, jobId: 1 });
  return { r: { ...job.run(), progress: job.stored }, progress: job.stored, states: job.states };
}

/** Nothing a user sees may hold the secret, a token, or a URL that carries one. */
function expectClean(err: unknown): PlatformError {
  expect(err).toBeInstanceOf(PlatformError);
  const { message } = err as PlatformError;
  for (const secret of [FAKE_SECRET, ...fake.accounts.get(FAKE_APPID)!.issued]) expect(message).not.toContain(secret);
  expect(message).not.toContain('access_token=');
  return err as PlatformError;
}
const failure = (p: Promise<unknown>) => p.then(() => expect.fail('expected a PlatformError'), expectClean);

describe('WeChat official account adapter', () => {
  it('publishes once: cover material, body image URL in the draft, one submission, then the article URL', async () => {
    const wechat = adapter();
    const { r, progress, states } = memoryRun();
    expect(await wechat.run(r)).toEqual({ kind: 'pending', retryAfterSeconds: 7 });
    const outcome = await wechat.run(r);

    expect(fake.drafts).toHaveLength(1);
    expect(fake.publishes).toHaveLength(1);
    expect(outcome).toEqual({ kind: 'published', url: fake.publishes[0]!.articleUrl });
    expect(outcome).toMatchObject({ url: expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\/s\?/) });
    const [cover, body] = fake.uploads;
    expect(cover).toMatchObject({ kind: 'material', filename: 'cover.png', contentType: 'image/png' });
    expect(body).toMatchObject({ kind: 'uploadimg', filename: 'body.png' });
    const sent = fake.drafts[0]!.articles[0]!;
    expect(sent).toMatchObject({ title: '春天的第一篇', digest: '春天', thumb_media_id: cover!.mediaId, need_open_comment: 0, only_fans_can_comment: 0 });
    expect(sent.content).toContain(`<img src="${body!.url}"`);
    expect(sent.content).not.toContain('/files/');
    expect(progress).toMatchObject({ thumb_media_id: cover!.mediaId, image_urls: { [REF]: body!.url }, publish_id: fake.publishes[0]!.publishId, article_id: fake.publishes[0]!.articleId });
    expect(states).toEqual(['uploading_assets', 'draft_created', 'submitted']);
    expect(tokenFetches()).toHaveLength(1);
  });

  it('shares one token fetch among 10 concurrent calls', async () => {
    const wechat = client();
    const found = await Promise.all(Array.from({ length: 10 }, () => wechat.findDraftByThumb(cred, 'nothing')));
    expect(found).toEqual(Array(10).fill(undefined));
    expect(tokenFetches()).toHaveLength(1);
  });

  it.each([40001, 42001])('on %i refreshes once (forcing it when the same token comes back) and retries the call', async (errcode) => {
    fake.failNext('/cgi-bin/draft/add', errcode);
    fake.setPublishOutcome([0]);
    expect(await adapter().run(memoryRun().r)).toMatchObject({ kind: 'published' });
    expect(forced()).toEqual([false, false, true]);
    expect(fake.calls.filter((c) => c.path === '/cgi-bin/draft/add')).toHaveLength(2);
    expect(fake.drafts).toHaveLength(1);
  });

  it('takes the current token after another system forced a refresh', async () => {
    const wechat = client();
    await wechat.findDraftByThumb(cred, 'x');
    const forced = await fetch(`${fake.baseUrl}/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credential', appid: FAKE_APPID, secret: FAKE_SECRET, force_refresh: true }) });
    const { access_token } = (await forced.json()) as { access_token: string };
    await wechat.findDraftByThumb(cred, 'x');
    expect(fake.accounts.get(FAKE_APPID)!.current).toBe(access_token);
    expect(tokenFetches()).toHaveLength(3); // ours, the other system's, our refresh (not forced: the new one came back)
    expect(fake.calls.filter((c) => c.path === '/cgi-bin/draft/batchget')).toHaveLength(3);
  });

  it('keeps the old token valid for 5 minutes after the stable token rotates', async () => {
    const wechat = client();
    await wechat.findDraftByThumb(cred, 'x');
    fake.advance((7200 - 299) * 1000);
    await wechat.findDraftByThumb(cred, 'x');
    const [old, rotated] = fake.accounts.get(FAKE_APPID)!.issued;
    expect(rotated).toBeDefined();
    const list = (token: string) => fetch(`${fake.baseUrl}/cgi-bin/draft/batchget?access_token=${token}`, { method: 'POST', body: '{"offset":0,"count":20}' }).then((r) => r.json());
    expect(await list(old!)).toMatchObject({ total_count: 0 });
    fake.advance(300 * 1000);
    expect(await list(old!)).toMatchObject({ errcode: 42001 });
    expect(await list(rotated!)).toMatchObject({ total_count: 0 });
  });

  it('leaves the draft for the backend when the account may not publish by API (48001)', async () => {
    fake.setVerified(FAKE_APPID, false);
    const outcome = await adapter().run(memoryRun().r);
    expect(outcome).toEqual({ kind: 'needs_user_action', action: { kind: 'publish_in_backend', message: expect.stringContaining('Draft created') } });
    expect(fake.drafts).toHaveLength(1);
    expect(fake.publishes).toHaveLength(0);
  });

  it('reports each failed publish_status with its own code', async () => {
    const errors: PlatformError[] = [];
    for (const status of [2, 3, 4, 5, 6]) {
      fake.setPublishOutcome([status]);
      errors.push(await failure(adapter().run(memoryRun().r)));
    }
    expect(errors.map((e) => e.code)).toEqual(['publish_status_2', 'publish_status_3', 'publish_status_4', 'publish_status_5', 'publish_status_6']);
    expect(errors.every((e) => !e.retryable)).toBe(true);
    expect(new Set(errors.map((e) => e.message)).size).toBe(5);
    expect(errors[0]!.message).toContain('原创声明失败');
  });

  describe('resumes after a failure at each step, with one draft and at most one publish', () => {
    // The errcode each step is refused with besides a dropped connection ("system busy" on submit is its own case).
    const errcodes: Record<string, number> = {
      '/cgi-bin/stable_token': -1, '/cgi-bin/material/add_material': -1, '/cgi-bin/media/uploadimg': 45009,
      '/cgi-bin/draft/add': -1, '/cgi-bin/freepublish/submit': 45009, '/cgi-bin/freepublish/get': -1,
    };
    const faults = Object.entries(errcodes).flatMap(([path, errcode]) => [[path, 'drop'], [path, errcode]] as [string, number | 'drop'][]);
    it.each(faults)('%s fails with %s', async (path, fault) => {
      fake.setPublishOutcome([0]);
      fake.failNext(path, fault);
      const { r } = memoryRun();
      const err = await failure(adapter().run(r));
      expect(err.retryable).toBe(true);
      expect(err.code).toBe(fault === 'drop' ? 'network' : String(fault));
      expect(await adapter().run(r)).toMatchObject({ kind: 'published', url: fake.publishes[0]?.articleUrl });
      expect(fake.drafts).toHaveLength(1);
      expect(fake.publishes).toHaveLength(1);
      // A poll that failed is only polled again: the draft is not made again, nor the submission sent again.
      if (path === '/cgi-bin/freepublish/get') for (const step of ['/cgi-bin/draft/add', '/cgi-bin/freepublish/submit']) expect(fake.calls.filter((c) => c.path === step)).toHaveLength(1);
    });

    it('never submits again when a submission may have happened: check 发表记录, then find it once published', async () => {
      fake.failNext('/cgi-bin/freepublish/submit', 'drop');
      const wechat = adapter();
      const { r } = memoryRun();
      await failure(wechat.run(r));
      expect(await wechat.run(r)).toEqual({ kind: 'needs_user_action', action: { kind: 'check_backend', message: expect.stringContaining('发表记录') } });
      fake.advance(10 * 60_000);
      expect(await wechat.run(r)).toEqual({ kind: 'published', url: fake.publishes[0]!.articleUrl });
      expect(fake.publishes).toHaveLength(1);
    });

    it('treats "system busy" on submit as maybe submitted', async () => {
      fake.failNext('/cgi-bin/freepublish/submit', -1);
      const { r } = memoryRun();
      expect((await failure(adapter().run(r))).retryable).toBe(true);
      expect(await adapter().run(r)).toMatchObject({ kind: 'needs_user_action', action: { kind: 'check_backend' } });
      expect(fake.publishes).toHaveLength(0);
    });

    it('submits once more only after the user looked in the backend and found nothing', async () => {
      fake.setPublishOutcome([0]);
      fake.failNext('/cgi-bin/freepublish/submit', -1);
      const { r, progress } = memoryRun();
      await failure(adapter().run(r));
      expect(await adapter().run(r)).toMatchObject({ kind: 'needs_user_action', action: { kind: 'check_backend' } });
      progress.user_checked_backend = true;
      expect(await adapter().run(r)).toMatchObject({ kind: 'published' });
      expect(progress.user_checked_backend).toBe(false);
      expect(fake.publishes).toHaveLength(1);
    });
  });

  describe('verify', () => {
    const creds = (secret = FAKE_SECRET) => ({ app_id: FAKE_APPID, app_secret: secret });
    it('answers what the account can do', async () => {
      expect(await adapter().verify(creds())).toMatchObject({ accountName: null, accountType: 'official_account', capability: 'api_publish', note: expect.stringContaining('only create drafts') });
    });
    it('refuses a wrong AppSecret, saying to check it and never quoting it', async () => {
      const wrong = 'f'.repeat(32);
      const err = await failure(adapter().verify(creds(wrong)));
      expect(err).toMatchObject({ code: '40125', retryable: false });
      expect(err.message).toContain('AppSecret');
      expect(err.message).not.toContain(wrong);
    });
    it('says to whitelist the server IP on 40164', async () => {
      fake.failNext('/cgi-bin/stable_token', 40164);
      expect((await failure(adapter().verify(creds()))).message).toContain('IP whitelist');
    });
    it('checks the credentials format', () => {
      expect(adapter().credentials.safeParse(creds()).success).toBe(true);
      expect(adapter().credentials.safeParse({ app_id: 'gh_123', app_secret: FAKE_SECRET }).success).toBe(false);
      expect(adapter().credentials.safeParse({ ...creds(), extra: 'x' }).success).toBe(false);
    });
  });

  it('refuses body images WeChat would refuse before sending them, as the fake would', async () => {
    const wechat = client();
    await expect(wechat.uploadBodyImage(cred, asset('a.gif', 'image/gif', GIF))).rejects.toMatchObject({ code: 'body_image_type', retryable: false });
    await expect(wechat.uploadBodyImage(cred, asset('big.png', 'image/png', png(1, 1024 * 1024)))).rejects.toMatchObject({ code: 'body_image_size' });
    expect(fake.calls.filter((c) => c.path === '/cgi-bin/media/uploadimg')).toHaveLength(0);
    const token = await fetch(`${fake.baseUrl}/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credential', appid: FAKE_APPID, secret: FAKE_SECRET }) }).then((r) => r.json() as Promise<{ access_token: string }>);
    const upload = (bytes: Buffer, name: string) => {
      const form = new FormData();
      form.append('media', new Blob([new Uint8Array(bytes)]), name);
      return fetch(`${fake.baseUrl}/cgi-bin/media/uploadimg?access_token=${token.access_token}`, { method: 'POST', body: form }).then((r) => r.json());
    };
    expect(await upload(GIF, 'a.gif')).toMatchObject({ errcode: 40005 });
    expect(await upload(png(1, 1024 * 1024), 'big.png')).toMatchObject({ errcode: 40009 });
    expect(await upload(png(1), 'ok.png')).toEqual({ url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\//) });
  });

  it('cuts the token and the secret out of what WeChat says', async () => {
    const echoing: typeof fetch = async (url, init) => {
      const token = new URL(String(url)).searchParams.get('access_token');
      if (!token) return fetch(url, init);
      return new Response(JSON.stringify({ errcode: 40035, errmsg: `invalid args ${token} for ${FAKE_SECRET}` }));
    };
    const wechat = createWechatClient({ baseUrl: fake.baseUrl, fetch: echoing, clock: clock() });
    const err = await failure(wechat.submit(cred, 'media'));
    expect(err).toMatchObject({ code: '40035', retryable: false, message: expect.stringContaining('invalid args *** for ***') });
  });

  it('refuses content WeChat cannot take', () => {
    const wechat = adapter();
    expect(wechat.refuse(article())).toBeNull();
    expect(wechat.refuse(article({ cover: undefined }))).toMatch(/^WeChat articles need a cover image: /);
    expect(wechat.refuse(article({ title: '长'.repeat(65) }))).toContain('at most 64');
    expect(wechat.refuse(article({ html: 'x'.repeat(20_000) }))).toContain('fewer than 20000');
    expect(wechat.refuse(article({ images: [{ ...asset('a.gif', 'image/gif', GIF), ref: REF }] }))).toContain('JPG or PNG');
    expect(wechat.refuse(article({ type: 'video' }))).toContain('not video');
  });
});

