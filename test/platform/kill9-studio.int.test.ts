import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.ts';
import { stop, useServerProcesses, waitHealthy, type Tollgate } from '../helpers/server-process.ts';

// A studio generation cut by kill -9 between its credit hold and its settle: a real `src/main.ts` streams a slow
// article, is killed mid-stream, and restarts on the same DATA_DIR. The hold must come back to the creator — at the
// boot after its TTL — exactly once, and `npm run ledger:check` must be clean.

const { startTollgate, tempDataDir } = useServerProcesses('tollgate-kill9-studio-');
const OPERATOR = { email: 'studio.kill9@example.com', password: 'kill9 operator 1' };
const CREATOR = { username: 'kill9creator', email: 'kill9creator@example.com', password: 'kill9 creator 123' };
const TTL_SECONDS = 3;

type Headers = Record<string, string>;
const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

async function api(t: Tollgate, method: string, path: string, headers: Headers = {}, body?: object) {
  const res = await fetch(`http://127.0.0.1:${t.port}${path}`, {
    method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { data: Record<string, any> };
}

describe('kill -9 between a studio generation’s hold and its settle', { timeout: 180_000 }, () => {
  let dashscope: FakeDashScope;
  beforeAll(async () => {
    dashscope = await startFakeDashScope();
  });
  afterAll(() => dashscope?.close());

  it('returns the held credits at the next boot past the hold’s TTL, once, with clean books', async () => {
    const dataDir = tempDataDir({ migrated: true });
    const env = {
      DATA_DIR: dataDir, ADMIN_EMAIL: OPERATOR.email, ADMIN_PASSWORD: OPERATOR.password, ALLOW_PRIVATE_UPSTREAMS: 'true',
      STUDIO_HOLD_TTL_SECONDS: String(TTL_SECONDS), LOG_FORMAT: 'json', JOBS_ENABLED: 'false',
    };
    let t = await startTollgate(env);
    await waitHealthy(t, Date.now());
    const operator = bearer((await api(t, 'POST', '/api/v1/auth/login', {}, { username: OPERATOR.email, password: OPERATOR.password })).data.access_token);
    const model = await api(t, 'POST', '/api/v1/models', operator, {
      name: 'kill9 qwen', provider: 'qwen', model_name: 'qwen-plus', api_key: 'sk-kill9-dashscope-0001', api_base: `${dashscope.url}/compatible-mode/v1`, credits_cost: 10,
    });
    const registered = await api(t, 'POST', '/api/v1/auth/register', {}, CREATOR);
    await api(t, 'POST', `/api/v1/admin/users/${registered.data.id}/credits`, operator, { credits: 100, reason: 'kill -9 studio test' });
    const creator = bearer((await api(t, 'POST', '/api/v1/auth/login', {}, { username: CREATOR.username, password: CREATOR.password })).data.access_token);

    dashscope.chat.chunkDelayMs = 200;
    const res = await fetch(`http://127.0.0.1:${t.port}/api/v1/writing/wechat_article/generate/stream`, {
      method: 'POST', headers: { ...creator, 'content-type': 'application/json' }, body: JSON.stringify({ title: '效率', model_id: model.data.id }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    for (let chunk = await reader.read(); !chunk.done && !seen.includes('event: delta'); chunk = await reader.read()) seen += new TextDecoder().decode(chunk.value);
    expect(seen).toContain('event: delta');
    // Held, not settled: the stream is still running.
    expect((await api(t, 'GET', '/api/v1/credit/balance', creator)).data.credit_balance).toBe(90);
    await stop(t, 'SIGKILL');
    await reader.cancel().catch(() => undefined);
    dashscope.chat.chunkDelayMs = 0;

    // Past the TTL, the next boot finds the hold nobody finished and returns it.
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 500));
    t = await startTollgate(env);
    await waitHealthy(t, Date.now());
    const creatorAgain = bearer((await api(t, 'POST', '/api/v1/auth/login', {}, { username: CREATOR.username, password: CREATOR.password })).data.access_token);
    expect((await api(t, 'GET', '/api/v1/credit/balance', creatorAgain)).data.credit_balance).toBe(100);
    await stop(t);

    // Once: another boot changes nothing, and the books agree.
    t = await startTollgate(env);
    await waitHealthy(t, Date.now());
    expect((await api(t, 'GET', '/api/v1/credit/balance', creatorAgain)).data.credit_balance).toBe(100);
    await stop(t);
    const check = await startTollgate(env, 'ledger-check');
    const exit = await check.exited;
    expect(exit.code, check.output()).toBe(0);
  });
});
