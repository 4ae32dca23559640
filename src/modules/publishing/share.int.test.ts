import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeXiaohongshu, type FakeXiaohongshu } from '../../../test/fakes/xiaohongshu.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { pngOf } from '../../../test/helpers/images.ts';
import { startPublishing, type Publisher, type PublishingHarness } from '../../../test/helpers/publishing.ts';
import { publishJobs } from './publishing.tables.ts';

// The Xiaohongshu share end to end: a publish waits for the user with a link to the console's share page; the page's
// public API answers the note with reachable media and a verify config signed with a live access token (re-signed
// when it is close to its end), 404 for every token that does not open a waiting share, and no secret or token ever.
// The adapter and the share route sign on the wall clock, as the server wires them; the fake platform does too.

type Json = Record<string, any>;

const APP = { app_key: 'red.ShareAppKey01', app_secret: '9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e' };
const BASE = 'https://tollgate.test';
const SHARE_API = '/api/v1/publish/share/xiaohongshu/';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe.each(DB_TIERS)('Xiaohongshu share page API on $name', (tier) => {
  let h: PublishingHarness;
  let fake: FakeXiaohongshu;
  let alice: Publisher;
  let publishId: number;
  let token: string;

  const share = (t: string) => h.request({ method: 'GET', url: `${SHARE_API}${encodeURIComponent(t)}` });
  const jobRow = async () => (await h.database.db.select().from(publishJobs).where(eq(publishJobs.requestId, publishId)))[0]!;
  const view = async () => {
    const res = await h.request({ method: 'GET', url: `/api/v1/publish/${publishId}`, headers: alice.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as Json;
  };
  const expectGone = async (t: string) => {
    const res = await share(t);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toEqual({ code: 404, message: 'Share not found', data: null });
  };

  beforeAll(async () => {
    fake = await startFakeXiaohongshu({ apps: { [APP.app_key]: APP.app_secret } });
    h = await startPublishing(tier, { env: { PUBLISH_XIAOHONGSHU_BASE_URL: fake.url, PUBLIC_BASE_URL: BASE } });
    alice = await h.creator();
    const bound = await h.request({ method: 'POST', url: '/api/v1/publish/platforms/bind', headers: alice.auth, payload: { platform: 'xiaohongshu', credentials: APP } });
    expect(bound.statusCode, bound.body).toBe(200);
    const image = await h.image(alice);
    const made = await h.request({ method: 'POST', url: '/api/v1/publish', headers: alice.auth, payload: { creation_id: image.id, platforms: ['xiaohongshu'] } });
    expect(made.statusCode, made.body).toBe(200);
    publishId = made.json().data.publish_id;
    await h.runDue();
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('leaves the job waiting for the user with the share page’s link and the bundle as the fallback', async () => {
    const job = (await view()).platforms[0] as Json;
    expect(job).toMatchObject({ platform: 'xiaohongshu', state: 'needs_user_action', url: null, confirmed_by_user: false, action: { kind: 'share' } });
    expect(job.action.share_url).toMatch(/^https:\/\/tollgate\.test\/share\/xiaohongshu\/\d+\.[A-Za-z0-9_-]{43}$/);
    expect(job.action.download_url).toMatch(/^https:\/\/tollgate\.test\/files\/publish\/.+-xiaohongshu-bundle\.zip\?/);
    token = job.action.share_url.slice(`${BASE}/share/xiaohongshu/`.length);
  });

  it('answers the note with reachable media and a verify config signed with a live access token, without a session', async () => {
    const res = await share(token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { share_info: info, verify_config: verify } = res.json().data as Json;
    expect(info).toEqual({ type: 'normal', title: '封面', content: '一幅春天的画', images: [expect.stringMatching(/^https:\/\/tollgate\.test\/files\//)] });
    const image = await h.request({ method: 'GET', url: info.images[0].slice(BASE.length) });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.equals(Buffer.from(pngOf(900, 500, 64), 'base64'))).toBe(true);

    expect(Object.keys(verify).sort()).toEqual(['appKey', 'nonce', 'signature', 'timestamp']);
    expect(verify.appKey).toBe(APP.app_key);
    const live = fake.tokens.at(-1)!.token;
    expect(verify.signature).toBe(sha256(`appKey=${APP.app_key}&nonce=${verify.nonce}&timeStamp=${verify.timestamp}${live}`));
    expect(fake.checkShare(verify)).toBe(true);
  });

  it('reuses a config that has time left, and re-signs a stale one with one token call', async () => {
    const calls = fake.tokens.length;
    const first = (await share(token)).json().data.verify_config as Json;
    expect((await share(token)).json().data.verify_config).toEqual(first);
    expect(fake.tokens).toHaveLength(calls);

    const row = await jobRow();
    const stale = { ...(row.progress.share as Json), expires_at: new Date(Date.now() + 60_000).toISOString() };
    await h.database.db.update(publishJobs).set({ progress: { ...row.progress, share: stale } }).where(eq(publishJobs.id, row.id));
    const renewed = (await share(token)).json().data.verify_config as Json;
    expect(fake.tokens).toHaveLength(calls + 1);
    expect(renewed.signature).not.toBe(first.signature);
    expect(renewed.signature).toBe(sha256(`appKey=${APP.app_key}&nonce=${renewed.nonce}&timeStamp=${renewed.timestamp}${fake.tokens.at(-1)!.token}`));
    expect(fake.checkShare(renewed)).toBe(true);
    expect(((await jobRow()).progress.share as Json).signature).toBe(renewed.signature);
    expect((await share(token)).json().data.verify_config).toEqual(renewed);
    expect(fake.tokens).toHaveLength(calls + 1);
    expect((await jobRow()).state).toBe('needs_user_action');
  });

  it('answers 404 for a forged, unknown or malformed token, saying nothing more', async () => {
    const [id] = token.split('.');
    await expectGone(`${id}.${'A'.repeat(43)}`);
    await expectGone(`${Number(id) + 1000}.${token.split('.')[1]}`);
    await expectGone('not-a-token');
    await expectGone(`${token}x`);
    await expectGone('x'.repeat(90));
  });

  it('never answers the app secret or an access token', () => {
    const everything = h.responses.join('\n');
    expect(everything).not.toContain(APP.app_secret);
    for (const t of fake.tokens) expect(everything).not.toContain(t.token);
  });

  it('stops opening the share once the account is unbound, and once the user confirms the post (the user’s word, not Xiaohongshu’s)', async () => {
    const unbound = await h.request({ method: 'DELETE', url: '/api/v1/publish/platforms/xiaohongshu', headers: alice.auth });
    expect(unbound.statusCode, unbound.body).toBe(200);
    await expectGone(token);
    const res = await h.request({ method: 'POST', url: `/api/v1/publish/${publishId}/platforms/xiaohongshu/confirm`, headers: alice.auth, payload: {} });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.platforms[0]).toMatchObject({ state: 'published', confirmed_by_user: true });
    await expectGone(token);
  });
});
