import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_SECRET } from '../../../test/fakes/wechat-mp.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startPublishing, type Publisher, type PublishingHarness } from '../../../test/helpers/publishing.ts';
import { publishBindings } from './publishing.tables.ts';

// The studio spec's 发布 routes end to end: bindings (checked with the platform, stored sealed, never answered),
// publishing a creation to WeChat through the fake official-account API, the studio envelope's 40008 and 40009, and
// another user's publish answering 404.

type Json = Record<string, any>;

describe.each(DB_TIERS)('publishing routes on $name', (tier) => {
  let h: PublishingHarness;
  let alice: Publisher;

  const get = async (p: Publisher, url: string) => {
    const res = await h.request({ method: 'GET', url, headers: p.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as Json;
  };
  const publish = (p: Publisher, payload: Json, headers: Record<string, string> = {}) =>
    h.request({ method: 'POST', url: '/api/v1/publish', headers: { ...p.auth, ...headers }, payload });

  beforeAll(async () => {
    h = await startPublishing(tier);
    alice = await h.creator();
  });
  afterAll(() => h?.close());

  it('lists the five platforms with what each allows; only the export needs no binding', async () => {
    const platforms = (await get(alice, '/api/v1/publish/platforms')) as Json[];
    expect(platforms.map((p) => [p.platform, p.capability, p.bound])).toEqual([
      ['wechat', 'api_publish', false],
      ['xiaohongshu', 'share', false],
      ['douyin', 'share', false],
      ['kuaishou', 'api_publish', false],
      ['toutiao', 'export', true],
    ]);
    expect(platforms[0]?.credential_fields).toEqual([expect.objectContaining({ name: 'app_id', secret: false }), expect.objectContaining({ name: 'app_secret', secret: true })]);
  });

  it('states per platform and account type what is possible, and which type a bound account is', async () => {
    const platforms = (await get(alice, '/api/v1/publish/platforms')) as Json[];
    const types = Object.fromEntries(platforms.map((p) => [p.platform, p.account_types.map((t: Json) => [t.type, t.capability, t.applies])]));
    expect(types).toEqual({
      wechat: [['verified_official_account', 'api_publish', false], ['unverified_official_account', 'draft_only', false]],
      xiaohongshu: [['any_account', 'share', false]],
      douyin: [['any_account', 'share', false]],
      kuaishou: [['authorised_account', 'api_publish', false]],
      // Nothing to bind: every account gets the export.
      toutiao: [['any_account', 'export', true]],
    });
    for (const p of platforms) for (const t of p.account_types) expect(t.label).toMatch(/账号|服务号/);
  });

  it('refuses credentials the platform refuses with 40009, and malformed ones with 400, binding nothing', async () => {
    const bob = await h.creator();
    const wrong = await h.request({
      method: 'POST', url: '/api/v1/publish/platforms/bind', headers: bob.auth,
      payload: { platform: 'wechat', credentials: { app_id: 'wx0123456789abcdef', app_secret: 'f'.repeat(32) } },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ code: 40009 });
    expect(wrong.body).not.toContain('f'.repeat(32));
    const malformed = await h.request({
      method: 'POST', url: '/api/v1/publish/platforms/bind', headers: bob.auth, payload: { platform: 'wechat', credentials: { app_id: 'nope' } },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toMatch(/app_id|app_secret/);
    expect(((await get(bob, '/api/v1/publish/platforms')) as Json[]).find((p) => p.platform === 'wechat')?.bound).toBe(false);
  });

  it('binds WeChat after fetching a token, keeps the secret sealed, and never answers a character of it', async () => {
    await h.bindWechat(alice);
    const wechat = ((await get(alice, '/api/v1/publish/platforms')) as Json[])[0] as Json;
    expect(wechat).toMatchObject({ platform: 'wechat', bound: true, account_type: 'official_account', capability: 'api_publish' });
    expect(wechat.account_types.filter((t: Json) => t.applies).map((t: Json) => t.type)).toEqual(['verified_official_account']);
    expect(wechat.note).toMatch(/draft/i);
    const [row] = await h.database.db.select().from(publishBindings).where(eq(publishBindings.userId, alice.id));
    expect(row?.credentials).not.toContain(FAKE_SECRET);
    for (const body of h.responses) expect(body).not.toContain(FAKE_SECRET);
    for (const line of h.logs()) expect(line).not.toContain(FAKE_SECRET);
  });

  it('answers 40008 for a platform that is not bound and 40009 for a creation the platform cannot take', async () => {
    const writing = await h.writing(alice);
    const unbound = await publish(alice, { creation_id: writing.id, platforms: ['douyin'] });
    expect(unbound.statusCode).toBe(400);
    expect(unbound.json()).toMatchObject({ code: 40008, data: null });
    expect(unbound.json().message).toContain('抖音');
    // A WeChat article needs a cover: plain writing has none.
    const noCover = await publish(alice, { creation_id: writing.id, platforms: ['wechat'] });
    expect(noCover.statusCode).toBe(400);
    expect(noCover.json()).toMatchObject({ code: 40009 });
    expect(noCover.json().message).toMatch(/cover/i);
  });

  it('publishes a writing creation with a cover to WeChat: upload, one draft, submit, poll until published', async () => {
    const cover = await h.image(alice);
    const writing = await h.writing(alice);
    const res = await publish(alice, { creation_id: writing.id, platforms: ['wechat'], cover_creation_id: cover.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ code: 200, message: '发布任务已创建', data: { status: 'pending', platforms: [{ platform: 'wechat', state: 'queued' }] } });
    const id = res.json().data.publish_id as number;

    await h.runDue();
    let view = await get(alice, `/api/v1/publish/${id}`);
    expect(view.platforms[0]).toMatchObject({ state: 'submitted', platform_ids: { thumb_media_id: expect.any(String), draft_media_id: expect.any(String), publish_id: expect.any(String) } });
    expect(view.status).toBe('publishing');

    h.clock.advance(31_000);
    h.wechat.advance(31_000);
    await h.runDue();
    view = await get(alice, `/api/v1/publish/${id}`);
    expect(view).toMatchObject({ status: 'published', creation_title: '春日随笔', platforms: [{ state: 'published', url: expect.stringMatching(/^https?:\/\//), error: null }] });
    const draftsOfIt = h.wechat.drafts.filter((d) => d.articles[0]?.title === '春日随笔');
    expect(draftsOfIt).toHaveLength(1);
    expect(draftsOfIt[0]?.articles[0]?.content).toContain('春天');
    expect(h.wechat.publishes.filter((p) => p.mediaId === draftsOfIt[0]?.mediaId)).toHaveLength(1);

    const history = await get(alice, '/api/v1/publish/history?page=1&page_size=20');
    expect(history).toMatchObject({ page: 1, page_size: 20 });
    expect(history.items[0]).toMatchObject({ publish_id: id, status: 'published' });

    // The same post again is refused: a creation is never posted twice to the same account.
    const again = await publish(alice, { creation_id: writing.id, platforms: ['wechat'], cover_creation_id: cover.id });
    expect(again.statusCode).toBe(409);
  });

  it('ends at "draft created: publish it in the backend" when the account may not publish by API (48001)', async () => {
    h.wechat.setVerified('wx0123456789abcdef', false);
    try {
      const cover = await h.image(alice);
      const writing = await h.writing(alice, '未认证账号的文章');
      const id = (await publish(alice, { creation_id: writing.id, platforms: ['wechat'], cover_creation_id: cover.id })).json().data.publish_id;
      await h.runDue();
      const view = await get(alice, `/api/v1/publish/${id}`);
      expect(view).toMatchObject({ status: 'needs_user_action', platforms: [{ state: 'needs_user_action', error: null, action: { kind: 'publish_in_backend' } }] });
      expect(view.platforms[0].platform_ids.draft_media_id).toEqual(expect.any(String));
      // WeChat has shown what this account is: the platforms list says so from now on.
      const wechat = ((await get(alice, '/api/v1/publish/platforms')) as Json[]).find((p) => p.platform === 'wechat') as Json;
      expect(wechat).toMatchObject({ bound: true, capability: 'draft_only' });
      expect(wechat.account_types).toEqual([
        expect.objectContaining({ type: 'verified_official_account', capability: 'api_publish', applies: false }),
        expect.objectContaining({ type: 'unverified_official_account', capability: 'draft_only', applies: true }),
      ]);

      const confirmed = await h.request({
        method: 'POST', url: `/api/v1/publish/${id}/platforms/wechat/confirm`, headers: alice.auth, payload: { url: 'https://mp.weixin.qq.com/s/abc' },
      });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(confirmed.json().data).toMatchObject({ status: 'published', platforms: [{ state: 'published', confirmed_by_user: true, url: 'https://mp.weixin.qq.com/s/abc' }] });
    } finally {
      h.wechat.setVerified('wx0123456789abcdef', true);
    }
  });

  it('answers the same publish for the same Idempotency-Key, and exports a Toutiao bundle to download', async () => {
    const writing = await h.writing(alice, '# 头条\n\n导出的文章');
    const headers = { 'idempotency-key': `pub-${writing.id}-abcdef` };
    const first = await publish(alice, { creation_id: writing.id, platforms: ['toutiao'] }, headers);
    const second = await publish(alice, { creation_id: writing.id, platforms: ['toutiao'] }, headers);
    expect(first.statusCode, first.body).toBe(200);
    expect(second.json().data.publish_id).toBe(first.json().data.publish_id);

    await h.runDue();
    const view = await get(alice, `/api/v1/publish/${first.json().data.publish_id}`);
    expect(view.platforms[0]).toMatchObject({ state: 'needs_user_action', action: { kind: 'export', download_url: expect.any(String) } });
    const link = new URL(view.platforms[0].action.download_url);
    const file = await h.request({ method: 'GET', url: `${link.pathname}${link.search}` });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('keeps every publish to its owner: another user gets 404, no token gets 401', async () => {
    const writing = await h.writing(alice);
    const id = (await publish(alice, { creation_id: writing.id, platforms: ['toutiao'] })).json().data.publish_id;
    const mallory = await h.creator();
    for (const url of [`/api/v1/publish/${id}`]) expect((await h.request({ method: 'GET', url, headers: mallory.auth })).statusCode).toBe(404);
    expect((await h.request({ method: 'POST', url: `/api/v1/publish/${id}/retry`, headers: mallory.auth, payload: {} })).statusCode).toBe(404);
    expect((await h.request({ method: 'POST', url: `/api/v1/publish/${id}/platforms/toutiao/confirm`, headers: mallory.auth, payload: {} })).statusCode).toBe(404);
    expect((await publish(mallory, { creation_id: writing.id, platforms: ['toutiao'] })).statusCode).toBe(404);
    expect((await get(mallory, '/api/v1/publish/history')).total).toBe(0);
    for (const [method, url] of [['GET', '/api/v1/publish/platforms'], ['POST', '/api/v1/publish/platforms/bind'], ['POST', '/api/v1/publish'], ['GET', '/api/v1/publish/history'], ['GET', `/api/v1/publish/${id}`], ['DELETE', '/api/v1/publish/platforms/wechat']] as const) {
      expect((await h.request({ method, url, payload: method === 'POST' ? {} : undefined })).statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    const writing = await h.writing(alice);
    for (const payload of [
      { creation_id: writing.id, platforms: [] },
      { creation_id: writing.id, platforms: ['myspace'] },
      { creation_id: 'x', platforms: ['toutiao'] },
      { creation_id: writing.id, platforms: ['toutiao'], schedule_time: 'tomorrow' },
      { creation_id: writing.id, platforms: ['toutiao'], schedule_time: '2020-01-01T10:00:00' },
      { creation_id: writing.id, platforms: ['toutiao'], schedule_time: '2026-02-30T10:00:00' },
      { creation_id: writing.id, platforms: ['toutiao'], extra: 1 },
    ]) {
      const res = await publish(alice, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const before = (await get(alice, '/api/v1/publish/history')).total;
    expect((await get(alice, '/api/v1/publish/history')).total).toBe(before);
  });
});
