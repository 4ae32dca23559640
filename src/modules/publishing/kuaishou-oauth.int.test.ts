import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKuaishou, type FakeKuaishou } from '../../../test/fakes/kuaishou.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { pngOf } from '../../../test/helpers/images.ts';
import { startPublishing, type Publisher, type PublishingHarness } from '../../../test/helpers/publishing.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import { createFileStore, fileKey } from '../../platform/files.ts';
import { createCreationService } from '../studio/creations.service.ts';
import { publishBindings } from './publishing.tables.ts';

// Binding Kuaishou by its OAuth authorisation, end to end against the fake open platform: the authorise URL, the
// consent page's redirect, the callback that checks the state and exchanges the code, the sealed binding, and a video
// published through it. A state that is reused, expired, another browser's or forged binds nothing and spends no code.

const AUTHORIZE = '/api/v1/publish/platforms/kuaishou/authorize';
const CALLBACK = '/api/v1/publish/platforms/kuaishou/callback';
const PUBLIC = 'https://tollgate.test';
const MP4 = Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.from('a clip of the sea at dusk')]);

describe.each(DB_TIERS)('Kuaishou OAuth binding on $name', (tier) => {
  let h: PublishingHarness;
  let fake: FakeKuaishou;
  let dataDir: string;
  const masterKey = crypto.randomBytes(32).toString('hex');
  const box = createSecretBox([masterKey]);

  const exchanges = () => fake.requests.filter((r) => r.path === '/oauth2/access_token').length;
  const bindingsOf = (p: Publisher) =>
    h.database.db.select().from(publishBindings).where(and(eq(publishBindings.userId, p.id), eq(publishBindings.platform, 'kuaishou'), isNull(publishBindings.deletedAt)));

  async function authorise(p: Publisher) {
    const res = await h.request({ method: 'GET', url: AUTHORIZE, headers: p.auth });
    expect(res.statusCode, res.body).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    return { res, url: new URL(res.json().data.url as string), setCookie, cookie: setCookie.split(';')[0] as string };
  }
  /** The user approves (or not, as `fake.consent` says) on Kuaishou's page: where Kuaishou sends the browser. */
  async function consent(url: URL): Promise<URL> {
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') as string);
  }
  async function callback(back: URL, cookie?: string): Promise<URL> {
    const res = await h.request({ method: 'GET', url: `${back.pathname}${back.search}`, headers: cookie ? { cookie } : {} });
    expect(res.statusCode, res.body).toBe(302);
    expect(res.headers['set-cookie']).toMatch(/Max-Age=0/);
    return new URL(String(res.headers.location));
  }
  const refusedWith = (landing: URL, reason: string) => {
    expect(`${landing.origin}${landing.pathname}`).toBe(`${PUBLIC}/studio/publishing`);
    expect(Object.fromEntries(landing.searchParams)).toMatchObject({ kuaishou: 'error', reason });
  };

  beforeAll(async () => {
    fake = await startFakeKuaishou();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-ks-oauth-'));
    h = await startPublishing(tier, {
      env: {
        DATA_DIR: dataDir, MASTER_KEY: masterKey, PUBLIC_BASE_URL: PUBLIC, PUBLISH_KUAISHOU_BASE_URL: fake.url,
        KUAISHOU_APP_ID: fake.app.app_id, KUAISHOU_APP_SECRET: fake.app.app_secret,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the Kuaishou authorise URL for the server\'s app, with a state only the asking browser can use', async () => {
    const alice = await h.creator();
    const { res, url, setCookie } = await authorise(alice);
    expect(res.json()).toMatchObject({ code: 200, data: { expires_in: 600 } });
    expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      app_id: fake.app.app_id, scope: 'user_info,user_video_publish', response_type: 'code', ua: 'pc', redirect_uri: `${PUBLIC}${CALLBACK}`, state: expect.any(String),
    });
    expect(setCookie).toMatch(new RegExp(`Path=${CALLBACK}; Max-Age=600; HttpOnly; SameSite=Lax; Secure$`));
    expect(setCookie).not.toContain(url.searchParams.get('state') as string);
    expect((await h.request({ method: 'GET', url: AUTHORIZE })).statusCode).toBe(401);
  });

  it('binds the authorised account sealed, answers and logs no token, and publishes a video through it', async () => {
    const alice = await h.creator();
    const start = await authorise(alice);
    const back = await consent(start.url);
    const code = back.searchParams.get('code') as string;
    const landing = await callback(back, start.cookie);
    expect(landing.toString()).toBe(`${PUBLIC}/studio/publishing?kuaishou=bound`);
    // The callback's request line is logged with the authorisation code withheld.
    expect(code).toBeTruthy();
    expect(h.logs().some((line) => line.includes('/kuaishou/callback?code=[Redacted]'))).toBe(true);
    for (const line of h.logs()) expect(line).not.toContain(code);

    const platforms = (await h.request({ method: 'GET', url: '/api/v1/publish/platforms', headers: alice.auth })).json().data as Record<string, unknown>[];
    expect(platforms.find((p) => p.platform === 'kuaishou')).toMatchObject({ bound: true, account_name: '快手测试号', capability: 'api_publish' });
    const [row] = await bindingsOf(alice);
    const stored = JSON.parse(box.decrypt(row?.credentials as string)) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['access_token', 'open_id', 'refresh_token']);
    for (const secret of [stored.access_token, stored.refresh_token, fake.app.app_secret] as string[]) {
      expect(row?.credentials).not.toContain(secret);
      for (const body of h.responses) expect(body).not.toContain(secret);
      for (const line of h.logs()) expect(line).not.toContain(secret);
    }

    const files = createFileStore({ store: 'local', localRoot: path.join(dataDir, 'files'), urlTtlSeconds: 3600 });
    const creations = createCreationService({ database: h.database, clock: h.clock, fileUrl: (key) => key });
    const videoKey = fileKey(['videos', String(alice.id), 'sea.mp4']);
    const posterKey = fileKey(['videos', String(alice.id), 'sea.png']);
    await files.put(videoKey, MP4, 'video/mp4');
    const poster = Buffer.from(pngOf(320, 180, 16), 'base64');
    await files.put(posterKey, poster, 'image/png');
    const video = await creations.save({
      userId: alice.id, type: 'video', title: '海边日落', content: '海边的日落',
      files: [{ key: videoKey, contentType: 'video/mp4', size: MP4.length }, { key: posterKey, contentType: 'image/png', size: poster.length }],
    });
    const res = await h.request({ method: 'POST', url: '/api/v1/publish', headers: alice.auth, payload: { creation_id: video.id, platforms: ['kuaishou'] } });
    expect(res.statusCode, res.body).toBe(200);
    await h.runDue();
    const view = (await h.request({ method: 'GET', url: `/api/v1/publish/${res.json().data.publish_id}`, headers: alice.auth })).json().data;
    expect(view.platforms[0]).toMatchObject({ platform: 'kuaishou', state: 'published', url: `https://www.kuaishou.com/short-video/${fake.photos[0]?.photoId}` });
    expect(fake.photos).toHaveLength(1);
    expect(fake.photos[0]?.video).toEqual(MP4);

    // The same state again (the same browser, the same code): refused before Kuaishou is asked.
    const spent = exchanges();
    refusedWith(await callback(await consent(start.url), start.cookie), 'invalid_state');
    expect(exchanges()).toBe(spent);
    expect((await bindingsOf(alice)).map((b) => b.id)).toEqual([row?.id]);
  });

  it('refuses an expired state, another browser\'s state and a forged one, binding nothing and spending no code', async () => {
    const [alice, bob] = [await h.creator(), await h.creator()];
    const before = exchanges();

    const late = await authorise(bob);
    const lateBack = await consent(late.url);
    h.clock.advance(601_000);
    refusedWith(await callback(lateBack, late.cookie), 'invalid_state');

    const hers = await authorise(alice);
    const his = await authorise(bob);
    const hersBack = await consent(hers.url);
    refusedWith(await callback(hersBack, his.cookie), 'invalid_state');
    refusedWith(await callback(hersBack), 'invalid_state');

    // Her state with his user id (or anything changed): the MAC no longer matches, even with her cookie.
    const forged = new URL(hersBack);
    forged.searchParams.set('state', (forged.searchParams.get('state') as string).replace(/^\d+\./, `${bob.id}.`));
    refusedWith(await callback(forged, hers.cookie), 'invalid_state');
    refusedWith(await callback(new URL(`${PUBLIC}${CALLBACK}?code=abc&state=1.9999999999.AAAAAAAAAAAAAAAAAAAAAA.${'0'.repeat(64)}`), hers.cookie), 'invalid_state');

    expect(exchanges()).toBe(before);
    expect(await bindingsOf(alice)).toEqual([]);
    expect(await bindingsOf(bob)).toEqual([]);
    // Her own browser may still finish her authorisation: the refusals spent nothing of it.
    expect((await callback(hersBack, hers.cookie)).searchParams.get('kuaishou')).toBe('bound');
  });

  it('binds nothing when Kuaishou refuses the code, the user declines, or publishing was not allowed', async () => {
    const carol = await h.creator();
    fake.failNext('/oauth2/access_token', 100200105);
    const refused = await authorise(carol);
    const landing = await callback(await consent(refused.url), refused.cookie);
    refusedWith(landing, 'refused');
    expect(landing.searchParams.get('code')).toBe('100200105');

    fake.consent = { approve: false };
    const declined = await authorise(carol);
    refusedWith(await callback(await consent(declined.url), declined.cookie), 'denied');

    fake.consent = { approve: true, scopes: ['user_info'] };
    const narrow = await authorise(carol);
    refusedWith(await callback(await consent(narrow.url), narrow.cookie), 'no_publish_scope');
    fake.consent = { approve: true };

    expect(await bindingsOf(carol)).toEqual([]);
  });

  it('keeps the pair Kuaishou renewed while checking a manual bind whose access token had expired', async () => {
    const erin = await h.creator();
    const given = fake.grant();
    fake.expire(given.access_token);
    const res = await h.request({
      method: 'POST', url: '/api/v1/publish/platforms/bind', headers: erin.auth,
      payload: { platform: 'kuaishou', credentials: { app_id: fake.app.app_id, app_secret: fake.app.app_secret, ...given } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [row] = await bindingsOf(erin);
    const stored = JSON.parse(box.decrypt(row?.credentials as string)) as Record<string, string>;
    // Kuaishou retired the given refresh token when it renewed: keeping it would fail at the first publish.
    expect(stored.refresh_token).not.toBe(given.refresh_token);
    expect(stored.access_token).not.toBe(given.access_token);
    expect(stored.app_id).toBe(fake.app.app_id);
  });

  it('answers 40008 naming the settings when no Kuaishou app is configured, and the manual bind still works', async () => {
    const bare = await startPublishing(tier, { env: { PUBLISH_KUAISHOU_BASE_URL: fake.url } });
    try {
      const dave = await bare.creator();
      const res = await bare.request({ method: 'GET', url: AUTHORIZE, headers: dave.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 40008, data: null });
      expect(res.json().message).toMatch(/KUAISHOU_APP_ID and KUAISHOU_APP_SECRET/);
      expect(res.headers['set-cookie']).toBeUndefined();
      const manual = await bare.request({
        method: 'POST', url: '/api/v1/publish/platforms/bind', headers: dave.auth,
        payload: { platform: 'kuaishou', credentials: { app_id: fake.app.app_id, app_secret: fake.app.app_secret, ...fake.grant() } },
      });
      expect(manual.statusCode, manual.body).toBe(200);
      expect(manual.json().data).toMatchObject({ platform: 'kuaishou', bound: true });
    } finally {
      await bare.close();
    }
  });
});
