import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startStudio, type Creator, type StudioHarness } from '../../../test/helpers/studio.ts';
import { usageRecords } from '../metering/usage.tables.ts';
import { systemClock } from '../../platform/time.ts';
import { createMembershipService } from '../commerce/membership.service.ts';
import { createLedger } from '../ledger/ledger.service.ts';

// Writing tools end to end: credits held, settled once or released on every failure path, through the gateway as
// platform `studio`, and the console's stream (delta…, done | error, heartbeats, a client that leaves).

const ARTICLE = { title: '如何提高工作效率', keywords: ['时间管理', '效率工具'], requirements: '字数2000字,包含实用技巧' };

interface SseEvent {
  event: string;
  data: unknown;
}

function parseSse(text: string): { events: SseEvent[]; pings: number } {
  const events: SseEvent[] = [];
  let pings = 0;
  for (const block of text.split('\n\n')) {
    if (block.startsWith(': ping')) pings += 1;
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = /^data: (.+)$/m.exec(block)?.[1];
    if (event && data) events.push({ event, data: JSON.parse(data) });
  }
  return { events, pings };
}

describe.each(DB_TIERS)('writing tools on $name', (tier) => {
  let s: StudioHarness;
  let base: string;
  const generate = (c: Creator, payload: object, tool = 'wechat_article', key?: string) =>
    s.t.request({ method: 'POST', url: `/api/v1/writing/${tool}/generate`, headers: { ...c.auth, ...(key ? { 'idempotency-key': key } : {}) }, payload });
  const studioRows = async () => (await s.t.database.db.select().from(usageRecords).where(eq(usageRecords.platform, 'studio')));
  const stream = (c: Creator, payload: object, signal?: AbortSignal) =>
    fetch(`${base}/api/v1/writing/wechat_article/generate/stream`, { method: 'POST', headers: { ...c.auth, 'content-type': 'application/json' }, body: JSON.stringify(payload), signal });

  beforeAll(async () => {
    s = await startStudio(tier, { env: { STUDIO_HEARTBEAT_MS: '40', GATEWAY_FIRST_BYTE_TIMEOUT_MS: '1500' } });
    await s.t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(s.t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => s?.close());

  it('lists the 14 tools with their price and input fields, in either locale', async () => {
    const c = await s.creator(0);
    const zh = (await s.t.request({ method: 'GET', url: '/api/v1/writing/tools', headers: c.auth })).json();
    expect(zh.code).toBe(200);
    expect(zh.data).toHaveLength(14);
    expect(zh.data[0]).toMatchObject({ type: 'wechat_article', name: '公众号文章', credits_cost: 10 });
    expect(zh.data[0].fields.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['title', 'keywords', 'requirements']));
    const en = (await s.t.request({ method: 'GET', url: '/api/v1/writing/tools?locale=en', headers: c.auth })).json();
    expect(en.data[0].fields[0].label).toMatch(/[A-Za-z]/);
    expect((await s.t.request({ method: 'GET', url: '/api/v1/writing/tools' })).statusCode).toBe(401);
  });

  it('charges the credits once, saves the creation, and meters the call as platform studio', async () => {
    const c = await s.creator(100);
    const before = (await studioRows()).length;
    const res = await generate(c, { ...ARTICLE, model_id: s.models['qwen-plus'] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ code: 200, message: '生成成功', data: { credits_used: 10 } });
    expect(body.data.content.length).toBeGreaterThan(0);
    expect(await s.balance(c)).toBe(90);
    const creation = (await s.t.request({ method: 'GET', url: `/api/v1/creations/${body.data.creation_id}`, headers: c.auth })).json().data;
    expect(creation).toMatchObject({ type: 'writing', tool_type: 'wechat_article', title: ARTICLE.title, content: body.data.content, status: 'final' });
    const rows = await studioRows();
    expect(rows.length).toBe(before + 1);
    expect(rows.at(-1)).toMatchObject({ status: 'success', model: 'qwen-plus' });
    expect(rows.at(-1)?.tokensOut).toBeGreaterThan(0);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('answers a retry with the same Idempotency-Key with the first result and charges nothing more', async () => {
    const c = await s.creator(100);
    const key = crypto.randomUUID();
    const first = (await generate(c, ARTICLE, 'wechat_article', key)).json().data;
    const calls = s.dashscope.chat.calls;
    const again = (await generate(c, ARTICLE, 'wechat_article', key)).json().data;
    expect(again).toEqual(first);
    expect(s.dashscope.chat.calls).toBe(calls);
    expect(await s.balance(c)).toBe(90);
    const other = await generate(c, { ...ARTICLE, title: '另一个标题' }, 'wechat_article', key);
    expect(other.statusCode).toBe(409);
    expect(await s.balance(c)).toBe(90);
  });

  it('refuses bad input with 400 and an unknown tool with 404, changing nothing', async () => {
    const c = await s.creator(100);
    const calls = s.dashscope.chat.calls;
    const nul = await generate(c, { ...ARTICLE, title: 'bad\u0000title' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json()).toMatchObject({ code: 400, data: null });
    const missing = await generate(c, { keywords: ['x'] }, 'content_rewrite');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toMatch(/content/);
    expect((await generate(c, { ...ARTICLE, title: 42 })).statusCode).toBe(400);
    expect((await generate(c, { ...ARTICLE, title: 'x'.repeat(100_000) })).statusCode).toBe(400);
    const unknown = await generate(c, ARTICLE, 'no_such_tool');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 404, data: null });
    expect((await generate(c, { ...ARTICLE, model_id: 999_999 })).statusCode).toBe(404);
    expect(s.dashscope.chat.calls).toBe(calls);
    expect(await s.balance(c)).toBe(100);
  });

  it('answers 40001 without enough credits, and nothing is held', async () => {
    const c = await s.creator(5);
    const res = await generate(c, ARTICLE);
    expect(res.json()).toMatchObject({ code: 40001, data: null });
    expect(await s.balance(c)).toBe(5);
  });

  it('lets a member generate for 0 credits, still metered', async () => {
    const c = await s.creator(0);
    const membership = createMembershipService({ database: s.t.database, clock: systemClock, ledger: createLedger({ database: s.t.database, clock: systemClock }) });
    await s.t.database.transaction((tx) => membership.extend(tx, c.id, 'monthly'));
    const before = (await studioRows()).length;
    const res = await generate(c, ARTICLE);
    expect(res.json()).toMatchObject({ code: 200, data: { credits_used: 0 } });
    expect((await studioRows()).length).toBe(before + 1);
  });

  it('releases the credits when every upstream try fails (40006), and the retry runs again', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.failNext(1); // the one upstream that serves the model
    const key = crypto.randomUUID();
    const res = await generate(c, ARTICLE, 'wechat_article', key);
    expect(res.json()).toMatchObject({ code: 40006, data: null });
    expect(await s.balance(c)).toBe(100);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('releases the credits when the upstream never answers (timeout, 40006)', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.hangNext(1);
    const res = await generate(c, ARTICLE);
    expect(res.json()).toMatchObject({ code: 40006, data: null });
    expect(await s.balance(c)).toBe(100);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('streams deltas then done with usage, credits and the creation, unbuffered and with heartbeats', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.chunkDelayMs = 25;
    const res = await stream(c, ARTICLE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('cache-control')).toMatch(/no-cache/);
    expect(res.headers.get('content-encoding')).toBeNull();
    const { events, pings } = parseSse(await res.text());
    s.dashscope.chat.chunkDelayMs = 0;
    expect(pings).toBeGreaterThan(0);
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.at(-1) as SseEvent;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ credits_used: 10, usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) } });
    const text = deltas.map((e) => (e.data as { text: string }).text).join('');
    const creation = (await s.t.request({ method: 'GET', url: `/api/v1/creations/${(done.data as { creation_id: number }).creation_id}`, headers: c.auth })).json().data;
    expect(creation.content).toBe(text);
    expect(await s.balance(c)).toBe(90);
  });

  it('ends a failed stream with an error event saying the credits were refunded', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.failNext(1);
    const { events } = parseSse(await (await stream(c, ARTICLE)).text());
    expect(events.at(-1)).toEqual({ event: 'error', data: { code: 40006, message: expect.any(String), refunded: true } });
    expect(await s.balance(c)).toBe(100);
  });

  it('keeps a stream the client left as a truncated creation, never final, and charges no credits', async () => {
    const c = await s.creator(100);
    s.dashscope.chat.chunkDelayMs = 60;
    const abort = new AbortController();
    const res = await stream(c, ARTICLE, abort.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    for (let chunk = await reader.read(); !chunk.done && !seen.includes('event: delta'); chunk = await reader.read()) seen += new TextDecoder().decode(chunk.value);
    expect(seen).toContain('event: delta');
    abort.abort();
    let truncated: { status: string; content: string } | undefined;
    for (let i = 0; i < 100 && !truncated; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const list = (await s.t.request({ method: 'GET', url: '/api/v1/creations', headers: c.auth })).json().data.items;
      truncated = list.find((x: { status: string }) => x.status === 'truncated');
    }
    s.dashscope.chat.chunkDelayMs = 0;
    expect(truncated?.content.length).toBeGreaterThan(0);
    expect(await s.balance(c)).toBe(100);
    expect((await studioRows()).some((r) => r.status === 'aborted')).toBe(true);
    expect(await s.books()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
