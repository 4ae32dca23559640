import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/platform/web.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { DB_TIERS } from '../helpers/database.ts';

// The web console is served at `/`: its files, and index.html for a browser's page load of any client route — while
// every API prefix keeps answering unknown paths in its own envelope, whatever the Accept header says.

const html = { accept: 'text/html,application/xhtml+xml' };

describe('the web console served by the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DB_TIERS[0] as (typeof DB_TIERS)[number]);
  });
  afterAll(() => t?.close());

  it('serves index.html at / and for client routes a browser loads, fresh every time', async () => {
    const index = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
    for (const url of ['/', '/keys', '/supply/packages', '/admin/withdrawals?status=pending']) {
      const res = await t.request({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/text\/html/);
      expect(res.body, url).toBe(index);
    }
    expect((await t.request({ method: 'GET', url: '/keys', headers: html })).headers['cache-control']).toBe('no-cache');
  });

  it('serves the hashed assets as immutable', async () => {
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8'))?.[1] as string;
    const res = await t.request({ method: 'GET', url: asset });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toMatch(/immutable/);
  });

  it('keeps API 404s in their envelopes, even for a browser', async () => {
    const studio = await t.request({ method: 'GET', url: '/api/v1/nothing', headers: html });
    expect(studio.statusCode).toBe(404);
    expect(studio.json()).toMatchObject({ code: 404, data: null });
    const supply = await t.request({ method: 'GET', url: '/api/v1/supply/nothing/here', headers: html });
    expect(supply.json().error.code).toBe('SUP_ACC_4041');
    const openai = await t.request({ method: 'GET', url: '/v1/nothing', headers: html });
    expect(openai.json().error).toBeDefined();
    const legacy = await t.request({ method: 'GET', url: '/1/nothing', headers: html });
    expect(legacy.json()).toEqual({ error: expect.any(String) });
  });

  it('answers a non-browser request for an unknown page with a 404, not the console', async () => {
    const res = await t.request({ method: 'GET', url: '/keys' });
    expect(res.statusCode).toBe(404);
  });
});
