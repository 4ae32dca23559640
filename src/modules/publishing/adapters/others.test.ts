import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeDouyin, type FakeDouyin } from '../../../../test/fakes/douyin.ts';
import { PlatformError, type Progress, type PublishAsset, type PublishContent, type PublishRun } from '../adapter.ts';
import { memoryJob as sharedMemoryJob } from '../../../../test/helpers/publish-run.ts';
import { buildBundle, noteText } from './bundle.ts';
import { createDouyinAdapter, douyinSignature } from './douyin.ts';
import { createToutiaoAdapter } from './toutiao.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const JPG = Buffer.from('ffd8ffe000104a464946', 'hex');
const MP4 = Buffer.from('000000186674797069736f6d', 'hex');
const asset = (name: string, contentType: string, bytes: Buffer): PublishAsset => ({ name, contentType, size: bytes.length, bytes: async () => bytes });
const REF_A = '/files/images/7/a.png';
const REF_B = '/files/images/7/b&c.jpg';

function article(over: Partial<PublishContent> = {}): PublishContent {
  return {
    creationId: 3, type: 'writing', title: '春日 <札记>', text: '# 春\n\n![a](/files/images/7/a.png)',
    html: `<h1>春</h1>\n<p>第一段 &amp; 花</p>\n<p><img src="${REF_A}" alt="a"></p>\n<ul>\n<li>柳</li>\n</ul>\n<p><img src="/files/images/7/b&amp;c.jpg" alt=""></p>\n`,
    summary: '春 第一段 & 花', cover: asset('cover.jpg', 'image/jpeg', JPG),
    images: [{ ...asset('a.png', 'image/png', PNG), ref: REF_A }, { ...asset('b&c.jpg', 'image/jpeg', JPG), ref: REF_B }], ...over,
  };
}
const video = (over: Partial<PublishContent> = {}) =>
  article({ type: 'video', title: '海边日落', html: '<p>一段视频</p>\n', images: [], cover: undefined, video: asset('clip.mp4', 'video/mp4', MP4), ...over });

const memoryJob = (content: PublishContent, credentials: Record<string, string>) => sharedMemoryJob({ content, credentials });

const unzip = async (bytes: Buffer) => JSZip.loadAsync(bytes);
const names = (zip: JSZip) => Object.keys(zip.files).filter((n) => !zip.files[n]!.dir).sort();
async function refusal(p: Promise<unknown>, ...secrets: string[]): Promise<PlatformError> {
  const err = await p.then(() => expect.fail('expected a PlatformError'), (e: unknown) => e);
  expect(err).toBeInstanceOf(PlatformError);
  for (const s of secrets) expect((err as PlatformError).message).not.toContain(s);
  return err as PlatformError;
}

describe('ready-to-post bundles', () => {
  it('holds a whole HTML page whose images point at the bundle’s own files, with README, title, cover and images', async () => {
    const zip = await unzip(await buildBundle(article(), { platform: 'toutiao', format: 'html' }));
    expect(names(zip)).toEqual(['README.txt', 'article.html', 'cover.jpg', 'images/01.png', 'images/02.jpg', 'title.txt']);
    const page = await zip.file('article.html')!.async('string');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<title>春日 &lt;札记&gt;</title>');
    expect(page).toContain('<img src="images/01.png" alt="a">');
    expect(page).toContain('<img src="images/02.jpg" alt="">');
    expect(page).not.toContain('/files/');
    expect(Buffer.from(await zip.file('images/01.png')!.async('uint8array'))).toEqual(PNG);
    expect(Buffer.from(await zip.file('cover.jpg')!.async('uint8array'))).toEqual(JPG);
    expect(await zip.file('title.txt')!.async('string')).toBe('春日 <札记>\n');
    const readme = await zip.file('README.txt')!.async('string');
    expect(readme).toContain('mp.toutiao.com');
    expect(readme).toMatch(/如何发布/);
    expect(readme).toMatch(/How to post it/);
    expect(readme).toContain('images/02.jpg');
  });

  it('holds the title and plain text as note.txt for a note, and the video as video.mp4', async () => {
    const zip = await unzip(await buildBundle(video({ html: '<p>一段<strong>视频</strong></p>\n<p>第二段 &lt;b&gt;</p>\n' }), { platform: 'douyin', format: 'note' }));
    expect(names(zip)).toEqual(['README.txt', 'note.txt', 'title.txt', 'video.mp4']);
    expect(await zip.file('note.txt')!.async('string')).toBe('海边日落\n\n一段视频\n\n第二段 <b>\n');
    expect(Buffer.from(await zip.file('video.mp4')!.async('uint8array'))).toEqual(MP4);
  });

  it('makes the same files for the same creation', async () => {
    const a = await buildBundle(article(), { platform: 'xiaohongshu', format: 'note' });
    const b = await buildBundle(article(), { platform: 'xiaohongshu', format: 'note' });
    expect(names(await unzip(a))).toEqual(names(await unzip(b)));
    expect(a.equals(b)).toBe(true);
  });

  it('turns HTML into note text: lists as bullets, images dropped, entities decoded', () => {
    expect(noteText(article().html)).toBe('春\n\n第一段 & 花\n\n• 柳');
  });
});

describe('Toutiao (export only)', () => {
  const toutiao = createToutiaoAdapter();

  it('binds without credentials and says Toutiao has no public publishing API', async () => {
    expect(toutiao.credentials.safeParse({}).success).toBe(true);
    expect(toutiao.credentials.safeParse({ token: 'x' }).success).toBe(false);
    const check = await toutiao.verify({});
    expect(check).toMatchObject({ capability: 'export', accountName: null });
    expect(check.note).toMatch(/no public publishing API/);
  });

  it('hands out one stored bundle to post at mp.toutiao.com, and the same one again on a re-run', async () => {
    const job = memoryJob(article(), {});
    const first = await toutiao.run(job.run());
    expect(first).toMatchObject({ kind: 'needs_user_action', action: { kind: 'export', fileKey: 'publish/7/41-toutiao-bundle.zip' } });
    expect(first.kind === 'needs_user_action' && first.action.message).toMatch(/mp\.toutiao\.com/);
    expect(job.stored.bundle_key).toBe('publish/7/41-toutiao-bundle.zip');
    expect(names(await unzip(job.files.get('publish/7/41-toutiao-bundle.zip')!.bytes))).toContain('article.html');
    expect(await toutiao.run(job.run())).toEqual(first);
    expect(job.files.size).toBe(1);
    expect(job.loads()).toBe(1);
  });

  it('refuses what Toutiao does not take', () => {
    expect(toutiao.refuse(article())).toBeNull();
    expect(toutiao.refuse(video())).toMatch(/articles and images/);
    expect(toutiao.refuse(article({ type: 'image', images: [] }))).toMatch(/no image/);
  });
});

let t = Date.parse('2026-03-01T02:00:00Z');
const now = () => new Date(t);

describe('Douyin (share schema)', () => {
  const APP = { client_key: 'awtestclientkey01', client_secret: '7802f4e6f243e659d51135445fe1a2b3' };
  const mediaUrl = (key: string) => `https://cdn.tollgate.test/${key}?signature=abc`;
  let fake: FakeDouyin;
  beforeEach(async () => {
    t = Date.parse('2026-03-01T02:00:00Z');
    fake = await startFakeDouyin({ apps: { [APP.client_key]: APP.client_secret }, now });
  });
  afterEach(() => fake.close());
  const douyin = () => createDouyinAdapter({ baseUrl: fake.url, mediaUrl, now });
  const share = (outcome: Awaited<ReturnType<ReturnType<typeof douyin>['run']>>) => {
    if (outcome.kind !== 'needs_user_action') throw new Error(`expected a user action, got ${outcome.kind}`);
    return outcome.action;
  };

  it('verifies the app by a client token and a share ticket', async () => {
    expect(await douyin().verify(APP)).toMatchObject({ capability: 'share' });
    expect(fake.calls).toEqual({ clientToken: 1, ticket: 1 });
  });

  it('reports a refused secret without quoting it; a busy Douyin is worth another try', async () => {
    const err = await refusal(douyin().verify({ ...APP, client_secret: 'ffffffffffffffffffffffffffffffff' }), 'ffffffffffffffffffffffffffffffff');
    expect(err).toMatchObject({ code: '10013', retryable: false });
    fake.failNext('/oauth/client_token/', 2100004);
    expect(await refusal(douyin().verify(APP))).toMatchObject({ code: '2100004', retryable: true });
  });

  it('keeps the client token out of a ticket refusal that quotes it', async () => {
    const stale = await startFakeDouyin({ apps: { [APP.client_key]: APP.client_secret }, now, ttlSeconds: 0 });
    try {
      const err = await refusal(createDouyinAdapter({ baseUrl: stale.url, mediaUrl, now }).verify(APP), APP.client_secret);
      expect(err).toMatchObject({ code: '2190008', retryable: false });
      expect(err.message).toContain('***');
      expect(err.message).not.toMatch(/clt\./);
    } finally {
      await stale.close();
    }
  });

  it('makes a share link the Douyin app accepts, with the job as state and the stored video’s public URL', async () => {
    const job = memoryJob(video(), APP);
    const action = share(await douyin().run(job.run()));
    expect(action).toMatchObject({ kind: 'share', fileKey: 'publish/7/41-douyin-bundle.zip', expiresAt: new Date(t + 7200_000).toISOString() });
    const opened = fake.openShare(action.shareUrl!);
    expect(opened).toMatchObject({ ok: true, params: { state: '41', title: '海边日落', share_to_publish: '1', client_key: APP.client_key } });
    expect(opened.params!.video_path).toBe(mediaUrl('publish/7/41-douyin-video.mp4'));
    expect(job.files.get('publish/7/41-douyin-video.mp4')).toEqual({ contentType: 'video/mp4', bytes: MP4 });
    expect(job.stored).toMatchObject({ share_url: action.shareUrl, media_key: 'publish/7/41-douyin-video.mp4' });
    expect(action.shareUrl).not.toContain(APP.client_secret);
  });

  it('is refused by the app when the signature does not match the ticket', async () => {
    const url = new URL(share(await douyin().run(memoryJob(video(), APP).run())).shareUrl!);
    const params = url.searchParams;
    expect(params.get('signature')).toMatch(/^[0-9a-f]{32}$/);
    params.set('signature', douyinSignature(params.get('nonce_str')!, 'not-the-ticket', params.get('timestamp')!));
    expect(fake.openShare(`snssdk1128://openplatform/share?${params}`)).toEqual({ ok: false, reason: 'signature' });
    params.set('timestamp', String(Number(params.get('timestamp')) + 1));
    expect(fake.openShare(`snssdk1128://openplatform/share?${params}`).ok).toBe(false);
  });

  it('reuses the share while the ticket lives and makes a fresh one after, storing the media once', async () => {
    const adapter = douyin();
    const job = memoryJob(video(), APP);
    const first = share(await adapter.run(job.run()));
    t += 3600_000;
    expect(share(await adapter.run(job.run())).shareUrl).toBe(first.shareUrl);
    expect(fake.calls.ticket).toBe(1);
    t += 3600_000;
    const fresh = share(await adapter.run(job.run()));
    expect(fresh.shareUrl).not.toBe(first.shareUrl);
    expect(fresh.expiresAt).toBe(new Date(t + 7200_000).toISOString());
    expect(fake.openShare(fresh.shareUrl!).ok).toBe(true);
    expect(fake.openShare(first.shareUrl!)).toEqual({ ok: false, reason: 'signature' });
    expect(fake.calls.ticket).toBe(2);
    expect(job.files.size).toBe(2);
  });

  it('shares an image through the editor, and refuses what Douyin does not take', async () => {
    const image = article({ type: 'image' });
    const opened = fake.openShare(share(await douyin().run(memoryJob(image, APP).run())).shareUrl!);
    expect(opened.params).toMatchObject({ image_path: mediaUrl('publish/7/41-douyin-image.png'), share_to_publish: '0' });
    expect(douyin().refuse(article())).toMatch(/videos and images/);
    expect(douyin().refuse(video({ video: undefined }))).toMatch(/no video file/);
  });
});
