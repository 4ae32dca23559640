import { count, eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { UpdateCreationBody } from './creations.schema.ts';
import { createCreationService, type CreationService, type SaveCreationInput } from './creations.service.ts';
import { creations as creationsTable } from './studio.tables.ts';

// The studio spec's creations: GET /api/v1/creations (type filter, page/page_size/total) and GET/PUT/DELETE
// /api/v1/creations/{id}, owner only. The app does not mount these routes yet: the suite mounts them on the test app
// with auth hooks over the app's own database and JWT secret, so the app's logins are accepted as they will be there.

const STUDIO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const fileUrl = (key: string) => `https://files.test/${key}?sig=signed`;

type Headers = Record<string, string>;
type Item = { id: number; type: string; title: string; content: string } & Record<string, unknown>;

describe.each(DB_TIERS)('creations on $name', (tier) => {
  const clock = fakeClock();
  let t: TestApp;
  let creations: CreationService;
  let seq = 0;

  const request = (opts: InjectOptions) => t.request(opts);
  const save = (userId: number, over: Partial<SaveCreationInput> = {}) =>
    creations.save({ userId, type: 'writing', toolType: 'wechat_article', title: `作品 ${seq++}`, content: '文章内容...', ...over });
  const rowOf = async (id: number) => (await t.database.db.select().from(creationsTable).where(eq(creationsTable.id, id)))[0];
  async function listOf(headers: Headers, query = '') {
    const res = await request({ method: 'GET', url: `/api/v1/creations${query}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as { total: number; page: number; page_size: number; items: Item[] };
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { clock });
    // Saves as the generators do; the app's own routes answer (their links signed by the app).
    creations = createCreationService({ database: t.database, clock, fileUrl });
  });
  afterAll(() => t?.close());

  describe('GET /api/v1/creations', () => {
    it('pages the caller\'s creations newest first with total, page and page_size', async () => {
      const user = await registerUser(t);
      const ids: number[] = [];
      for (let i = 0; i < 25; i++) ids.push((await save(user.id, { title: `第${i}篇` })).id);
      const newestFirst = [...ids].reverse();

      const first = await listOf(user.auth);
      expect(first).toMatchObject({ total: 25, page: 1, page_size: 20 });
      expect(first.items.map((c) => c.id)).toEqual(newestFirst.slice(0, 20));

      const second = await listOf(user.auth, '?page=2&page_size=10');
      expect(second).toMatchObject({ total: 25, page: 2, page_size: 10 });
      expect(second.items.map((c) => c.id)).toEqual(newestFirst.slice(10, 20));

      const past = await listOf(user.auth, '?page=4&page_size=10');
      expect(past).toEqual({ total: 25, page: 4, page_size: 10, items: [] });
    });

    it('filters by type, counting only that type', async () => {
      const user = await registerUser(t);
      await save(user.id);
      const image = await save(user.id, { type: 'image', toolType: null, content: '' });
      await save(user.id, { type: 'ppt', toolType: null });
      const images = await listOf(user.auth, '?type=image');
      expect(images.total).toBe(1);
      expect(images.items.map((c) => c.id)).toEqual([image.id]);
      expect((await listOf(user.auth, '?type=video')).total).toBe(0);
      expect((await listOf(user.auth)).total).toBe(3);
    });

    it.each([
      ['page_size above 100', '?page_size=101'],
      ['page_size 0', '?page_size=0'],
      ['page 0', '?page=0'],
      ['an unknown type', '?type=music'],
    ])('answers 400 in the studio envelope to %s', async (_what, query) => {
      const user = await registerUser(t);
      const res = await request({ method: 'GET', url: `/api/v1/creations${query}`, headers: user.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });

    it('accepts page_size 100', async () => {
      const user = await registerUser(t);
      expect(await listOf(user.auth, '?page_size=100')).toEqual({ total: 0, page: 1, page_size: 100, items: [] });
    });
  });

  describe('GET /api/v1/creations/{id}', () => {
    it('answers the creation in the public shape: signed file links, documented meta only, times in UTC+8', async () => {
      const user = await registerUser(t);
      const row = await save(user.id, {
        type: 'image', toolType: null, title: '一只可爱的猫咪在花园里玩耍', content: '',
        files: [{ key: 'images/u1/cat.png', contentType: 'image/png', size: 2048 }],
        // Undocumented keys and ill-typed values (jsonb takes anything) are left out of the answer.
        meta: {
          model: 'wanx-v1', prompt: '一只可爱的猫咪', size: '1024x1024', slides: 2.5, duration: '30', provider_url: 'https://oss.example/tmp.png',
        } as unknown as SaveCreationInput['meta'],
      });
      const at = formatStudioTime(clock.now());
      expect(at).toMatch(STUDIO_TIME);
      const res = await request({ method: 'GET', url: `/api/v1/creations/${row.id}`, headers: user.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        code: 200, message: 'success',
        data: {
          id: row.id, type: 'image', tool_type: null, title: '一只可爱的猫咪在花园里玩耍', content: '', status: 'final',
          files: [{ url: expect.stringMatching(/\/files\/images\/u1\/cat\.png\?expires=\d+&signature=[0-9a-f]{64}$/), content_type: 'image/png', size: 2048 }],
          meta: { model: 'wanx-v1', prompt: '一只可爱的猫咪', size: '1024x1024' },
          created_at: at, updated_at: at,
        },
      });
    });

    it.each(['abc', '0x10', '0', '1e3'])('answers 400 to the id %s', async (id) => {
      const user = await registerUser(t);
      const res = await request({ method: 'GET', url: `/api/v1/creations/${id}`, headers: user.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });
  });

  describe('PUT /api/v1/creations/{id}', () => {
    it('changes the title, the content or both, and keeps the rest', async () => {
      const user = await registerUser(t);
      const row = await save(user.id, { content: '旧内容' });
      clock.advance(60_000);
      const put = async (payload: object) => {
        const res = await request({ method: 'PUT', url: `/api/v1/creations/${row.id}`, headers: user.auth, payload });
        expect(res.statusCode, res.body).toBe(200);
        return res.json();
      };
      const renamed = await put({ title: '  新标题  ' });
      expect(renamed).toMatchObject({ code: 200, data: { id: row.id, title: '新标题', content: '旧内容', tool_type: 'wechat_article' } });
      expect(renamed.data.updated_at).toMatch(STUDIO_TIME);
      expect(renamed.data.updated_at).not.toBe(renamed.data.created_at);
      expect((await put({ content: '更新后的内容\n第二段\t缩进' })).data).toMatchObject({ title: '新标题', content: '更新后的内容\n第二段\t缩进' });
      expect((await put({ title: '新标题2', content: '' })).data).toMatchObject({ title: '新标题2', content: '' });
      expect(await rowOf(row.id)).toMatchObject({ title: '新标题2', content: '', status: 'final' });
    });

    it.each([
      ['an empty body', {}],
      ['an empty title', { title: '   ' }],
      ['a title of 201 characters', { title: 'x'.repeat(201) }],
      ['content of 200 001 characters', { content: 'x'.repeat(200_001) }],
      ['an unknown field', { title: 'ok', status: 'truncated' }],
      ['a title that is not text', { title: 5 }],
    ])('answers 400 to %s and changes nothing', async (_what, payload) => {
      const user = await registerUser(t);
      const row = await save(user.id);
      const res = await request({ method: 'PUT', url: `/api/v1/creations/${row.id}`, headers: user.auth, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
      expect(await rowOf(row.id)).toEqual(row);
    });

    it.each([
      ['a NUL byte in the content', '{"content":"before\\u0000after"}'],
      ['an escape character in the title', '{"title":"bad\\u001btitle"}'],
    ])('answers 400 to %s and changes nothing', async (_what, payload) => {
      const user = await registerUser(t);
      const row = await save(user.id);
      const res = await request({
        method: 'PUT', url: `/api/v1/creations/${row.id}`, headers: { ...user.auth, 'content-type': 'application/json' }, payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
      expect(await rowOf(row.id)).toEqual(row);
    });

    it('refuses control characters in the schema too, wherever the body comes from', () => {
      expect(UpdateCreationBody.safeParse({ content: 'a\u0000b' }).success).toBe(false);
      expect(UpdateCreationBody.safeParse({ title: 'a\u0007b' }).success).toBe(false);
      expect(UpdateCreationBody.safeParse({ content: 'a\r\n\tb' }).success).toBe(true);
    });
  });

  describe('DELETE /api/v1/creations/{id}', () => {
    it('deletes it: then it is not found, not listed, and cannot be changed or deleted again', async () => {
      const user = await registerUser(t);
      const row = await save(user.id);
      const res = await request({ method: 'DELETE', url: `/api/v1/creations/${row.id}`, headers: user.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: 200, message: '作品已删除', data: null });
      for (const opts of [
        { method: 'GET' as const },
        { method: 'PUT' as const, payload: { title: 'back' } },
        { method: 'DELETE' as const },
      ]) {
        const again = await request({ ...opts, url: `/api/v1/creations/${row.id}`, headers: user.auth });
        expect(again.statusCode, opts.method).toBe(404);
        expect(again.json()).toEqual({ code: 404, message: 'Creation not found', data: null });
      }
      expect(await listOf(user.auth)).toMatchObject({ total: 0, items: [] });
      expect((await rowOf(row.id))?.title).toBe(row.title);
    });
  });

  describe('tenancy and auth', () => {
    it('answers 404 for another user\'s creation on get, put and delete, and leaves it as it was', async () => {
      const alice = await registerUser(t);
      const bob = await registerUser(t);
      const row = await save(alice.id);
      for (const opts of [{ method: 'GET' as const }, { method: 'PUT' as const, payload: { title: 'mine now' } }, { method: 'DELETE' as const }]) {
        const res = await request({ ...opts, url: `/api/v1/creations/${row.id}`, headers: bob.auth });
        expect(res.statusCode, opts.method).toBe(404);
        expect(res.json()).toEqual({ code: 404, message: 'Creation not found', data: null });
      }
      expect(await rowOf(row.id)).toEqual(row);
      expect((await listOf(bob.auth)).items.map((c) => c.id)).not.toContain(row.id);
      expect((await listOf(alice.auth)).items.map((c) => c.id)).toContain(row.id);
    });

    it('answers 401 without a token on every route', async () => {
      const alice = await registerUser(t);
      const row = await save(alice.id);
      for (const [method, url] of [
        ['GET', '/api/v1/creations'], ['GET', `/api/v1/creations/${row.id}`], ['PUT', `/api/v1/creations/${row.id}`], ['DELETE', `/api/v1/creations/${row.id}`],
      ] as const) {
        const res = await request({ method, url, ...(method === 'PUT' ? { payload: { title: 'x' } } : {}) });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json()).toMatchObject({ code: 401, data: null });
      }
      expect(await rowOf(row.id)).toEqual(row);
    });
  });

  describe('saving a generation\'s result', () => {
    const countFor = async (generationId: string) =>
      Number((await t.database.db.select({ n: count() }).from(creationsTable).where(eq(creationsTable.generationId, generationId)))[0]?.n);

    it('makes one creation per generation id, however often (and however concurrently) it is saved', async () => {
      const user = await registerUser(t);
      const first = await save(user.id, { generationId: 'gen_once', title: '第一次' });
      const again = await save(user.id, { generationId: 'gen_once', title: '重试' });
      expect(again).toEqual(first);
      const [a, b] = await Promise.all([
        save(user.id, { generationId: 'gen_race' }),
        save(user.id, { generationId: 'gen_race' }),
      ]);
      expect(a.id).toBe(b.id);
      expect(await countFor('gen_once')).toBe(1);
      expect(await countFor('gen_race')).toBe(1);
      expect((await creations.byGeneration(user.id, 'gen_once'))?.id).toBe(first.id);
    });

    it('does not bring a deleted creation back when its generation is saved again', async () => {
      const user = await registerUser(t);
      const row = await save(user.id, { generationId: 'gen_deleted' });
      await creations.remove(user.id, row.id);
      expect((await save(user.id, { generationId: 'gen_deleted' })).id).toBe(row.id);
      expect(await creations.byGeneration(user.id, 'gen_deleted')).toBeUndefined();
      expect(await countFor('gen_deleted')).toBe(1);
      expect((await listOf(user.auth)).total).toBe(0);
    });

    it('clips a long title, drops NUL characters PostgreSQL cannot store, and refuses an empty title', async () => {
      const user = await registerUser(t);
      const row = await save(user.id, { title: `  ${'题'.repeat(250)}  `, content: 'a\u0000b' });
      expect(row.title).toBe('题'.repeat(200));
      expect(row.content).toBe('ab');
      await expect(save(user.id, { title: ' \u0000 ' })).rejects.toMatchObject({ status: 400 });
    });

    it('keeps a streamed creation truncated until it is marked final, and only for its owner', async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const row = await save(user.id, { status: 'truncated', content: '写到一半' });
      const res = await request({ method: 'GET', url: `/api/v1/creations/${row.id}`, headers: user.auth });
      expect(res.json().data).toMatchObject({ status: 'truncated', content: '写到一半' });
      await expect(creations.setStatus(other.id, row.id, 'final', '全文')).rejects.toMatchObject({ status: 404 });
      expect(await creations.setStatus(user.id, row.id, 'final', '全文')).toMatchObject({ status: 'final', content: '全文' });
    });
  });
});
