import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeXiaohongshu, type FakeXiaohongshu } from '../../../../test/fakes/xiaohongshu.ts';
import { memoryJob } from '../../../../test/helpers/publish-run.ts';
import { PlatformError, type Outcome, type PublishAsset, type PublishContent } from '../adapter.ts';
import { createXhsShareSigner, createXiaohongshuAdapter, MARGIN_MS, shareTokenJob, shareTokenMatches, xhsSignature, type XhsShareConfig } from './xiaohongshu.ts';

// Xiaohongshu's user-confirmed share: the app's token, the note's media stored as the job's files, a verify config
// the JS SDK accepts, and a share page link whose token finds the job — never a claim that the note was posted.

const APP = { app_key: 'red.TestAppKey01', app_secret: 'f13a2266d1e2c32a553cb7a42ea63c48' };
const BASE = 'https://tollgate.test';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const JPG = Buffer.from('ffd8ffe000104a464946', 'hex');
const MP4 = Buffer.from('000000186674797069736f6d', 'hex');
const asset = (name: string, contentType: string, bytes: Buffer): PublishAsset => ({ name, contentType, size: bytes.length, bytes: async () => bytes });

function note(over: Partial<PublishContent> = {}): PublishContent {
  return {
    creationId: 3, type: 'image', title: '春日', text: '樱花 & 柳',
    html: '<p><img src="/files/images/7/a.png" alt=""></p>\n<p>樱花 &amp; 柳</p>\n<ul>\n<li>湖边</li>\n</ul>\n', summary: '樱花 & 柳',
    cover: asset('a.png', 'image/png', PNG),
    images: [{ ...asset('a.png', 'image/png', PNG), ref: '/files/images/7/a.png' }, { ...asset('b.jpg', 'image/jpeg', JPG), ref: '/files/images/7/b.jpg' }],
    ...over,
  };
}
const video = () => note({ type: 'video', title: '海边日落', html: '<p>一段视频</p>\n', images: [], cover: asset('c.jpg', 'image/jpeg', JPG), video: asset('clip.mp4', 'video/mp4', MP4) });

let t = Date.parse('2026-03-01T02:00:00Z');
const now = () => new Date(t);
const actionOf = (outcome: Outcome) => {
  if (outcome.kind !== 'needs_user_action') throw new Error(`expected a user action, got ${outcome.kind}`);
  return outcome.action;
};

describe('Xiaohongshu (share in the app)', () => {
  let fake: FakeXiaohongshu;
  beforeEach(async () => {
    t = Date.parse('2026-03-01T02:00:00Z');
    fake = await startFakeXiaohongshu({ apps: { [APP.app_key]: APP.app_secret }, now });
  });
  afterEach(() => fake.close());
  const xhs = () => createXiaohongshuAdapter({ baseUrl: fake.url, publicBaseUrl: `${BASE}/`, now });

  it('verifies the app by fetching a signed access token', async () => {
    expect(await xhs().verify(APP)).toMatchObject({ capability: 'share', accountType: 'open_platform_app' });
    expect(fake.tokens).toHaveLength(1);
  });

  it('reports a refused secret without quoting it, even when Xiaohongshu does', async () => {
    const wrong = { ...APP, app_secret: '0123456789abcdef0123456789abcdef' };
    const err = (await xhs().verify(wrong).catch((e: unknown) => e)) as PlatformError;
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ code: '-2', retryable: false });
    expect(err.message).toMatch(/app_key and app_secret/);
    expect(err.message).not.toContain(wrong.app_secret);
    expect(((await xhs().verify({ ...APP, app_key: 'red.nobody' }).catch((e: unknown) => e)) as PlatformError).code).toBe('-1');
  });

  it('links the job to the share page, with the note’s pictures stored and a config the SDK accepts, never claiming it was posted', async () => {
    const job = memoryJob({ content: note(), credentials: APP });
    const action = actionOf(await xhs().run(job.run()));
    expect(action).toMatchObject({ kind: 'share', fileKey: 'publish/7/41-xiaohongshu-bundle.zip' });
    expect(action.message).toMatch(/has not been posted/);
    expect(action.shareUrl).toMatch(/^https:\/\/tollgate\.test\/share\/xiaohongshu\/41\.[A-Za-z0-9_-]{43}$/);
    const token = action.shareUrl!.slice(`${BASE}/share/xiaohongshu/`.length);
    expect(job.stored.share_token).toBe(token);
    expect(shareTokenJob(token)).toBe(41);
    expect(shareTokenMatches(job.stored.share_token, token)).toBe(true);
    expect(shareTokenMatches(job.stored.share_token, `41.${'A'.repeat(43)}`)).toBe(false);

    expect(job.stored.share_note).toEqual({
      type: 'normal', title: '春日', content: '樱花 & 柳\n\n• 湖边',
      images: ['publish/7/41-xiaohongshu-image-01.png', 'publish/7/41-xiaohongshu-image-02.jpg'],
    });
    expect(job.files.get('publish/7/41-xiaohongshu-image-01.png')).toEqual({ contentType: 'image/png', bytes: PNG });
    expect(job.files.get('publish/7/41-xiaohongshu-image-02.jpg')).toEqual({ contentType: 'image/jpeg', bytes: JPG });

    const share = job.stored.share as XhsShareConfig;
    expect(share).toMatchObject({ appKey: APP.app_key, expires_at: new Date(t + 24 * 3600_000).toISOString() });
    expect(share.signature).toBe(xhsSignature(APP.app_key, share.nonce, share.timestamp, fake.tokens[0]!.token));
    expect(fake.checkShare(share)).toBe(true);
    expect(fake.checkShare({ ...share, nonce: `${share.nonce}x` })).toBe(false);
    expect(JSON.stringify(job.stored)).not.toContain(APP.app_secret);
    expect(JSON.stringify(job.stored)).not.toContain(fake.tokens[0]!.token);
  });

  it('shares a video note with its video and cover', async () => {
    const job = memoryJob({ content: video(), credentials: APP });
    await xhs().run(job.run());
    expect(job.stored.share_note).toEqual({
      type: 'video', title: '海边日落', content: '一段视频', images: [],
      video: 'publish/7/41-xiaohongshu-video.mp4', cover: 'publish/7/41-xiaohongshu-cover.jpg',
    });
    expect(job.files.get('publish/7/41-xiaohongshu-video.mp4')?.bytes).toEqual(MP4);
  });

  it('keeps the link and the stored media on a re-run, reusing the config while its token lives and signing afresh after', async () => {
    const job = memoryJob({ content: note(), credentials: APP });
    const first = actionOf(await xhs().run(job.run()));
    const share = job.stored.share;
    t += 3600_000;
    expect(actionOf(await xhs().run(job.run())).shareUrl).toBe(first.shareUrl);
    expect(job.stored.share).toEqual(share);
    expect(fake.tokens).toHaveLength(1);
    t += 23 * 3600_000;
    expect(actionOf(await xhs().run(job.run())).shareUrl).toBe(first.shareUrl);
    expect(job.stored.share).not.toEqual(share);
    expect(fake.checkShare(job.stored.share as XhsShareConfig)).toBe(true);
    expect(fake.tokens).toHaveLength(2);
    expect(job.files.size).toBe(3);
  });

  it('refuses a note with neither an image nor a video', () => {
    expect(xhs().refuse(note({ images: [] }))).toBe('a Xiaohongshu note needs at least one image or a video');
    expect(xhs().refuse(note())).toBeNull();
    expect(xhs().refuse(video())).toBeNull();
    expect(xhs().refuse(note({ type: 'ppt' }))).toMatch(/cannot be posted/);
  });

  it('signs a fresh config for the share page only when the saved one is within the margin of its end', async () => {
    const signer = createXhsShareSigner({ baseUrl: fake.url, now });
    const first = await signer.current(APP, undefined);
    expect(first.renewed).toBe(true);
    expect(fake.tokens).toHaveLength(1);
    t += 24 * 3600_000 - MARGIN_MS - 1000;
    expect(await signer.current(APP, first.config)).toEqual({ config: first.config, renewed: false });
    expect(fake.tokens).toHaveLength(1);
    t += 2000;
    const next = await signer.current(APP, first.config);
    expect(next.renewed).toBe(true);
    expect(fake.tokens).toHaveLength(2);
    expect(fake.checkShare(next.config)).toBe(true);
    expect((await signer.current(APP, { appKey: APP.app_key })).renewed).toBe(true);
    await expect(signer.current({ app_key: APP.app_key }, undefined)).rejects.toMatchObject({ code: 'credentials' });
  });

  it('reads only its own shape as a share token', () => {
    const random = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO_-';
    expect(shareTokenJob(`7.${random}`)).toBe(7);
    for (const bad of ['', 'abc', `0.${random}`, `07.${random}`, `7.${random.slice(1)}`, `7.${random}x`, `7.${random.slice(1)}=`, `${'9'.repeat(17)}.${random}`, `7 .${random}`]) {
      expect(shareTokenJob(bad)).toBeUndefined();
    }
    expect(shareTokenMatches(undefined, `7.${random}`)).toBe(false);
  });
});
