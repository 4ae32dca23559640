import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { checkPackage } from '../../../test/helpers/pptx.ts';
import { startStudio, type Creator, type StudioHarness } from '../../../test/helpers/studio.ts';
import { FAKE_MP4, PNG_SIGNATURE } from '../../../test/fakes/dashscope.ts';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';

// Image, PPT and video through the app: files copied into Tollgate's store and linked by signed URLs (never the
// provider's), credits settled once or released on every failure, the video task polled by its job.

const outlineJson = JSON.stringify({
  title: '产品发布会', subtitle: '2026 春季',
  slides: [
    { layout: 'title', title: '产品发布会', subtitle: '2026 春季' },
    { layout: 'bullets', title: '产品介绍', bullets: ['一站式创作', '积分透明', { text: '失败自动退还', level: 1 }], notes: '先讲痛点' },
    { layout: 'two_column', title: '前后对比', left: { heading: '以前', bullets: ['手工整理'] }, right: { heading: '现在', bullets: ['一键生成'] } },
    { layout: 'table', title: '市场分析', columns: ['市场', '规模'], rows: [['国内', '100亿'], ['海外', '50亿']] },
    { layout: 'closing', title: '谢谢' },
  ],
});

describe.each(DB_TIERS)('image, PPT and video on $name', (tier) => {
  let s: StudioHarness;
  let openai: FakeUpstream;
  let dalle = 0;
  const post = (c: Creator, url: string, payload: object, key?: string) =>
    s.t.request({ method: 'POST', url, headers: { ...c.auth, ...(key ? { 'idempotency-key': key } : {}) }, payload });
  /** A signed link's path and query, fetched from the app like a browser would. */
  const download = (link: string) => s.t.app.inject({ method: 'GET', url: link.replace(/^https?:\/\/[^/]+/, '') });
  const runJob = async (name: string, data: object) => {
    const job = s.t.app.tollgateJobs.find((j) => j.name === name);
    if (!job) throw new Error(`no job ${name}`);
    return job.handler(data);
  };

  beforeAll(async () => {
    s = await startStudio(tier);
    s.dashscope.tasks.queriesToSucceed = 1;
    openai = await startFakeOpenAi();
    const model = await s.t.request({
      method: 'POST', url: '/api/v1/models', headers: s.admin,
      payload: { name: 'fake dall-e', provider: 'openai', model_name: 'dall-e-3', api_key: 'sk-fake-openai-images-0001', api_base: `${openai.url}/v1`, credits_cost: 25 },
    });
    dalle = model.json().data.id;
  });
  afterAll(async () => {
    await s?.close();
    await openai?.close();
  });


  it('answers 401 without a session on every media route, and starts nothing', async () => {
    const before = s.dashscope.requests.length;
    for (const [url, payload] of [
      ['/api/v1/image/generate', { prompt: '猫', size: '1024x1024' }],
      ['/api/v1/ppt/generate', { topic: '产品发布会', slides: 5 }],
      ['/api/v1/video/generate', { prompt: '海浪', duration: 5 }],
    ] as const) {
      const res = await s.t.request({ method: 'POST', url, payload });
      expect(res.statusCode, url).toBe(401);
      expect(res.json()).toMatchObject({ code: 401, data: null });
    }
    expect((await s.t.request({ method: 'GET', url: '/api/v1/video/vid_anything/status' })).statusCode).toBe(401);
    expect(s.dashscope.requests.length).toBe(before);
  });
  it('copies an OpenAI-format image (a link or inline bytes) into the store; a dead link releases the credits', async () => {
    const c = await s.creator(100);
    for (const marker of ['[[hosted]]', '[[b64]]']) {
      const res = await post(c, '/api/v1/image/generate', { prompt: `海边日落 ${marker}`, model_id: dalle });
      expect(res.json()).toMatchObject({ code: 200, data: { credits_used: 25 } });
      expect(res.json().data.image_url).not.toContain(openai.url);
      expect((await download(res.json().data.image_url)).rawPayload.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    }
    expect(await s.balance(c)).toBe(50);
    const dead = await post(c, '/api/v1/image/generate', { prompt: '海边日落', model_id: dalle });
    expect(dead.json()).toMatchObject({ code: 40006, data: null });
    expect(await s.balance(c)).toBe(50);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('stores a Wanx image, links it signed, charges once and replays the key', async () => {
    const c = await s.creator(100);
    const key = crypto.randomUUID();
    const res = await post(c, '/api/v1/image/generate', { prompt: '一只可爱的猫咪在花园里玩耍', size: '1024x1024', model_id: s.models['wanx2.1-t2i-turbo'] }, key);
    expect(res.json()).toMatchObject({ code: 200, data: { credits_used: 20, image_url: expect.stringMatching(/\/files\/images\/.+signature=/) } });
    const { image_url: url, creation_id: creationId } = res.json().data;
    expect(url).not.toContain(s.dashscope.url);
    const image = await download(url);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toMatch(/^image\/png/);
    expect(image.rawPayload.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const tampered = url.replace(/signature=([0-9a-f])/, (_m: string, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect((await download(tampered)).statusCode).toBe(404);
    const submits = s.dashscope.tasks.submits.image;
    const again = await post(c, '/api/v1/image/generate', { prompt: '一只可爱的猫咪在花园里玩耍', size: '1024x1024', model_id: s.models['wanx2.1-t2i-turbo'] }, key);
    expect(again.json().data.creation_id).toBe(creationId);
    expect(s.dashscope.tasks.submits.image).toBe(submits);
    expect(await s.balance(c)).toBe(80);
    const creation = (await s.t.request({ method: 'GET', url: `/api/v1/creations/${creationId}`, headers: c.auth })).json().data;
    expect(creation).toMatchObject({ type: 'image', files: [{ content_type: 'image/png' }] });
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('releases the credits when the image task fails', async () => {
    const c = await s.creator(100);
    s.dashscope.tasks.scriptNext([{ status: 'FAILED', code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' }]);
    const res = await post(c, '/api/v1/image/generate', { prompt: '一只猫', model_id: s.models['wanx2.1-t2i-turbo'] });
    expect(res.json()).toMatchObject({ code: 40006, data: null });
    expect(await s.balance(c)).toBe(100);
    expect((await post(c, '/api/v1/image/generate', { prompt: '', model_id: s.models['wanx2.1-t2i-turbo'] })).statusCode).toBe(400);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('renders a PPTX from the model’s outline that passes the package checks', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.replies.push('```json\n' + outlineJson + '\n```');
    const res = await post(c, '/api/v1/ppt/generate', { topic: '产品发布会', outline: ['产品介绍', '核心功能', '市场分析'] });
    expect(res.json()).toMatchObject({ code: 200, data: { credits_used: 30, slides: 5 } });
    const file = await download(res.json().data.download_url);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-disposition']).toMatch(/attachment/);
    const pkg = await checkPackage(file.rawPayload);
    expect(pkg.slides).toBe(5);
    expect(await s.balance(c)).toBe(70);
  });

  it('asks once more after an invalid outline, and releases the credits when the repair fails too', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.replies.push('这不是JSON', '{"title": "x", "slides": [{"layout": "chart", "title": "y"}]}');
    const calls = s.dashscope.chat.calls;
    const res = await post(c, '/api/v1/ppt/generate', { topic: '产品发布会' });
    expect(res.json()).toMatchObject({ code: 40007, data: null });
    expect(s.dashscope.chat.calls).toBe(calls + 2);
    expect(await s.balance(c)).toBe(100);
    s.dashscope.chat.replies.push('not json', outlineJson);
    expect((await post(c, '/api/v1/ppt/generate', { topic: '产品发布会' })).json()).toMatchObject({ code: 200, data: { slides: 5 } });
  });

  it('replays a PPT for the same Idempotency-Key, and releases the credits when the model call fails', async () => {
    const c = await s.creator(100);
    const key = crypto.randomUUID();
    s.dashscope.chat.replies.push(outlineJson);
    const first = (await post(c, '/api/v1/ppt/generate', { topic: '年度总结' }, key)).json();
    const calls = s.dashscope.chat.calls;
    const again = (await post(c, '/api/v1/ppt/generate', { topic: '年度总结' }, key)).json();
    expect(again.data.ppt_id).toBe(first.data.ppt_id);
    expect(s.dashscope.chat.calls).toBe(calls);
    expect(await s.balance(c)).toBe(70);
    s.dashscope.chat.failNext(1);
    expect((await post(c, '/api/v1/ppt/generate', { topic: '年度总结' })).json()).toMatchObject({ code: 40006, data: null });
    expect(await s.balance(c)).toBe(70);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('submits a video once, polls it by its job, stores it and settles; another user sees 404', async () => {
    const c = await s.creator(100);
    const res = await post(c, '/api/v1/video/generate', { script: '城市夜景延时摄影', duration: 5, model_id: s.models['wanx2.1-t2v-turbo'] });
    expect(res.json()).toMatchObject({ code: 200, message: '任务已创建', data: { status: 'processing' } });
    const taskId = res.json().data.task_id as string;
    expect(await s.balance(c)).toBe(90);
    const status = () => s.t.request({ method: 'GET', url: `/api/v1/video/${taskId}/status`, headers: c.auth });
    expect((await status()).json().data).toMatchObject({ task_id: taskId, status: 'processing' });
    for (let i = 0; i < 5 && (await status()).json().data.status === 'processing'; i++) await runJob('studio.video.poll', { generationId: taskId });
    const done = (await status()).json().data;
    expect(done).toMatchObject({ status: 'completed', credits_used: 10 });
    expect(done.video_url).not.toContain(s.dashscope.url);
    expect((await download(done.video_url)).rawPayload).toEqual(FAKE_MP4);
    expect(s.dashscope.tasks.submits.video).toBe(1);
    expect(await s.balance(c)).toBe(90);
    const other = await s.creator(0);
    expect((await s.t.request({ method: 'GET', url: `/api/v1/video/${taskId}/status`, headers: other.auth })).statusCode).toBe(404);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
