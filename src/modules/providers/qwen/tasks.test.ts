import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG_SIGNATURE, startFakeDashScope, type FakeDashScope } from '../../../../test/fakes/dashscope.ts';
import { deadUpstreamUrl, sendJson, startFakeServer } from '../../../../test/fakes/upstream.ts';
import { createDashScopeTasks, DashScopeTaskError, parseRetryAfter, type Size, type TaskSnapshot } from './tasks.ts';

// The DashScope task client against the fake DashScope over real HTTP: what studio jobs rely on — the submit's wire
// format, every task status, the errors a poller must tell apart (retry or give up), and that the key never leaks.

const KEY = 'sk-3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6';

let fake: FakeDashScope;
beforeAll(async () => {
  fake = await startFakeDashScope({ requireKey: KEY });
});
afterAll(() => fake.close());

const client = (over: { apiKey?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
  createDashScopeTasks({ baseUrl: over.baseUrl ?? fake.url, apiKey: () => over.apiKey ?? KEY, timeoutMs: over.timeoutMs ?? 2_000 });

/** Polls until the task leaves PENDING/RUNNING; returns every status seen and the last snapshot. */
async function pollToEnd(taskId: string, tasks = client()) {
  const seen: string[] = [];
  for (let i = 0; i < 10; i += 1) {
    const snapshot = await tasks.getTask(taskId);
    seen.push(snapshot.status);
    if (snapshot.status !== 'PENDING' && snapshot.status !== 'RUNNING') return { seen, snapshot };
  }
  throw new Error(`task ${taskId} never ended: ${seen.join(',')}`);
}

async function download(url: string) {
  const res = await request(url);
  return { status: res.statusCode, type: String(res.headers['content-type']), bytes: Buffer.from(await res.body.arrayBuffer()) };
}

async function failureOf(promise: Promise<unknown>): Promise<DashScopeTaskError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DashScopeTaskError);
  return err as DashScopeTaskError;
}

const video = (prompt = '一只猫在草地上奔跑') => client().submitVideo({ model: 'wanx2.1-t2v-turbo', prompt, durationSeconds: 5, size: '1280x720' });

describe('Wanx image tasks', () => {
  it('submits asynchronously in DashScope\'s format, polls to SUCCEEDED and gets links that serve PNGs', async () => {
    const { taskId } = await client().submitImage({ model: 'wanx2.1-t2i-turbo', prompt: '江南水乡 晨雾', negativePrompt: '模糊', size: '1024x1024', n: 2 });

    const sent = fake.lastRequest('/image-synthesis');
    expect(sent?.headers['x-dashscope-async']).toBe('enable');
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.body).toEqual({ model: 'wanx2.1-t2i-turbo', input: { prompt: '江南水乡 晨雾', negative_prompt: '模糊' }, parameters: { size: '1024*1024', n: 2 } });

    const { seen, snapshot } = await pollToEnd(taskId);
    expect(seen).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    expect(fake.tasks.queries(taskId)).toBe(3);
    expect(snapshot).toMatchObject({ taskId, status: 'SUCCEEDED', usage: { imageCount: 2 } });
    expect(snapshot.error).toBeUndefined();
    expect(snapshot.urls).toHaveLength(2);
    const images = await Promise.all(snapshot.urls.map(download));
    for (const image of images) {
      expect(image).toMatchObject({ status: 200, type: 'image/png' });
      expect(image.bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    }
    expect(images[0]?.bytes.equals(images[1]?.bytes ?? Buffer.alloc(0))).toBe(false);
  });

  it('leaves negative_prompt out when there is none', async () => {
    await client().submitImage({ model: 'wanx-v1', prompt: 'a lighthouse', size: '720x1280', n: 1 });
    expect(fake.lastRequest('/image-synthesis')?.body).toEqual({ model: 'wanx-v1', input: { prompt: 'a lighthouse' }, parameters: { size: '720*1280', n: 1 } });
  });

  it('refuses a size that is not WIDTHxHEIGHT without calling DashScope', async () => {
    const submits = fake.tasks.submits.image;
    const err = await failureOf(client().submitImage({ model: 'wanx-v1', prompt: 'x', size: 'large' as Size, n: 1 }));
    expect(err).toMatchObject({ code: 'invalid_size', retryable: false, status: undefined });
    expect(fake.tasks.submits.image).toBe(submits);
  });
});

describe('Wan video tasks: every status', () => {
  it('SUCCEEDED: one video link serving an MP4, and the seconds billed', async () => {
    const { taskId } = await video();
    expect(fake.lastRequest('/video-synthesis')?.body).toEqual({
      model: 'wanx2.1-t2v-turbo', input: { prompt: '一只猫在草地上奔跑' }, parameters: { duration: 5, size: '1280*720' },
    });
    const { snapshot } = await pollToEnd(taskId);
    expect(snapshot).toMatchObject({ status: 'SUCCEEDED', usage: { videoDuration: 5, videoCount: 1 } });
    expect(snapshot.urls).toHaveLength(1);
    const file = await download(snapshot.urls[0] as string);
    expect(file).toMatchObject({ status: 200, type: 'video/mp4' });
    expect(file.bytes.length).toBeGreaterThan(200);
    expect(file.bytes.subarray(4, 8).toString('ascii')).toBe('ftyp');
  });

  it('FAILED: DashScope\'s code and message, no links', async () => {
    fake.tasks.scriptNext(['PENDING', 'RUNNING', { status: 'FAILED', code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' }]);
    const { taskId } = await video();
    const { seen, snapshot } = await pollToEnd(taskId);
    expect(seen).toEqual(['PENDING', 'RUNNING', 'FAILED']);
    expect(snapshot).toEqual<TaskSnapshot>({
      taskId, status: 'FAILED', urls: [], error: { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' },
    });
  });

  it.each(['CANCELED', 'UNKNOWN'] as const)('%s: reported as is, no links, no error', async (status) => {
    fake.tasks.scriptNext(['PENDING', status]);
    const { taskId } = await video();
    const { snapshot } = await pollToEnd(taskId);
    expect(snapshot).toEqual<TaskSnapshot>({ taskId, status, urls: [] });
  });

  it('UNKNOWN for a task id DashScope never issued (or has forgotten)', async () => {
    const snapshot = await client().getTask('0f0e0d0c-0b0a-4909-8807-060504030201');
    expect(snapshot).toEqual<TaskSnapshot>({ taskId: '0f0e0d0c-0b0a-4909-8807-060504030201', status: 'UNKNOWN', urls: [] });
  });
});

describe('failures a poller must tell apart', () => {
  it('429 Throttling.RateQuota is retryable and carries Retry-After', async () => {
    const { taskId } = await video();
    fake.tasks.throttleNext(1, 7);
    const err = await failureOf(client().getTask(taskId));
    expect(err).toMatchObject({ status: 429, code: 'Throttling.RateQuota', retryable: true, retryAfterSeconds: 7 });
  });

  it('a Retry-After on a successful query is surfaced on the snapshot', async () => {
    const { taskId } = await video();
    fake.tasks.retryAfterSeconds = 15;
    try {
      expect((await client().getTask(taskId)).retryAfterSeconds).toBe(15);
    } finally {
      fake.tasks.retryAfterSeconds = undefined;
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('a 500 is retryable', async () => {
    fake.tasks.failNext(1);
    const err = await failureOf(video());
    expect(err).toMatchObject({ status: 500, code: 'InternalError', retryable: true });
  });

  it('a wrong key is a 401 InvalidApiKey, not retryable', async () => {
    const err = await failureOf(client({ apiKey: 'sk-00000000000000000000000000000000' }).getTask('any'));
    expect(err).toMatchObject({ status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.', retryable: false });
  });

  it('a timeout is retryable and takes no longer than the timeout', async () => {
    const { taskId } = await video();
    fake.tasks.hangNext(1);
    const started = Date.now();
    const err = await failureOf(client({ timeoutMs: 200 }).getTask(taskId));
    expect(err).toMatchObject({ status: undefined, code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a refused connection is retryable', async () => {
    const err = await failureOf(client({ baseUrl: await deadUpstreamUrl() }).getTask('any'));
    expect(err).toMatchObject({ status: undefined, code: 'connection', retryable: true });
  });

  it('an answer that is not DashScope\'s format is a typed error, not a crash', async () => {
    const odd = await startFakeServer((_req, res) => sendJson(res, 200, { output: { task_id: 't-1', task_status: 'DONE' } }));
    try {
      const err = await failureOf(client({ baseUrl: odd.url }).getTask('t-1'));
      expect(err).toMatchObject({ status: 200, code: 'invalid_response', retryable: false });
    } finally {
      await odd.close();
    }
  });
});

describe('the API key never leaves in an error', () => {
  it('is cut out of an error body that quotes it everywhere (the fake really does quote it)', async () => {
    fake.tasks.leakKeyNext();
    const raw = await request(`${fake.url}/api/v1/tasks/any`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(await raw.body.text()).toContain(KEY);

    fake.tasks.leakKeyNext();
    const err = await failureOf(client().submitImage({ model: 'wanx-v1', prompt: 'x', size: '1024x1024', n: 1 }));
    expect(err.status).toBe(401);
    for (const text of [err.message, err.code, JSON.stringify(err), String(err.stack)]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(KEY.slice(-4));
      expect(text).not.toContain(KEY.slice(3, 11));
    }
  });

  it('is replaced by *** in a failed task\'s message', async () => {
    fake.tasks.scriptNext([{ status: 'FAILED', code: 'InvalidParameter', message: `Rejected for ${KEY}.` }]);
    const { taskId } = await video();
    const snapshot = await client().getTask(taskId);
    expect(snapshot.error).toEqual({ code: 'InvalidParameter', message: 'Rejected for ***.' });
  });
});

describe('the fake DashScope', () => {
  it('refuses a submit without X-DashScope-Async: enable, as DashScope does', async () => {
    const res = await request(`${fake.url}/api/v1/services/aigc/video-generation/video-synthesis`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'wanx2.1-t2v-turbo', input: { prompt: 'x' }, parameters: { duration: 5 } }),
    });
    expect(res.statusCode).toBe(403);
    expect(await res.body.json()).toMatchObject({ code: 'AccessDenied', message: 'current user api does not support synchronous calls' });
  });

  it('answers an expired result link with OSS\'s 403 XML', async () => {
    const { taskId } = await video();
    const { snapshot } = await pollToEnd(taskId);
    fake.tasks.expireLinks(taskId);
    const res = await download(snapshot.urls[0] as string);
    expect(res).toMatchObject({ status: 403, type: 'application/xml' });
    expect(res.bytes.toString()).toMatch(/<Error>\s*<Code>AccessDenied<\/Code>\s*<Message>Request has expired\.<\/Message>/);
  });

  it('fails a fail-once link with a 500, then serves it, without a second task', async () => {
    const { taskId } = await client().submitImage({ model: 'wanx-v1', prompt: 'x', size: '1024x1024', n: 1 });
    const { snapshot } = await pollToEnd(taskId);
    const url = snapshot.urls[0] as string;
    const submits = fake.tasks.submits.image;
    fake.tasks.failLinkOnce(url);
    expect((await download(url)).status).toBe(500);
    const second = await download(url);
    expect(second).toMatchObject({ status: 200, type: 'image/png' });
    expect(fake.tasks.downloads(url)).toBe(2);
    expect(fake.tasks.submits.image).toBe(submits);
  });
});
