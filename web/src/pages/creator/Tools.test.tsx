import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import type { Call } from '../../test/render.tsx';
import type { WritingTool } from '../../api/studio.ts';
import { json, ok, renderPage, stubApi } from '../../test/render.tsx';
import Tools from './Tools.tsx';

// The writing tools: the gallery in the console's language with each tool's credit cost and the creator's credits, a
// form built from the tool's fields that checks required ones before sending, and the text streamed into the page as
// it is written — with the outcome of a finished, failed, refused or stopped generation.

const balance: Balance = { credit_balance: 123.4, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };

function tool(locale: string | null): WritingTool {
  const en = locale === 'en';
  return {
    type: 'wechat_article',
    name: en ? 'WeChat article' : '公众号文章',
    description: en ? 'An article for a WeChat official account' : '生成适合微信公众号的文章',
    credits_cost: 10,
    default_model: 'qwen-plus',
    max_output_tokens: 4000,
    version: '1',
    fields: [
      { name: 'title', kind: 'text', label: en ? 'Title' : '标题', required: true, max_length: 100 },
      { name: 'keywords', kind: 'tags', label: en ? 'Keywords' : '关键词', required: false, max_items: 5 },
      { name: 'requirements', kind: 'textarea', label: en ? 'Requirements' : '要求', required: false, max_length: 500 },
    ],
  };
}
const translation: WritingTool = { ...tool('en'), type: 'translation', name: 'Translation', description: 'Into another language', credits_cost: 3, fields: [] };

const STREAM = '/api/v1/writing/wechat_article/generate/stream';
const sse = (name: string, data: unknown) => new TextEncoder().encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
const PING = new TextEncoder().encode(': ping\n\n');

/** A stream the test writes to as it goes; it errors like fetch does when the request is aborted. */
function liveStream(call: Call) {
  let writer!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      writer = controller;
      call.init.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
    },
  });
  return { response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }), write: (bytes: Uint8Array) => writer.enqueue(bytes), close: () => writer.close() };
}

function studioApi(stream?: (call: Call) => Response) {
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/writing/tools') return ok(url.searchParams.get('locale') === 'en' ? [tool('en'), translation] : [tool('zh-CN')]);
    if (url.pathname === '/api/v1/credit/balance') return ok(balance);
    if (url.pathname === '/api/v1/models') return ok([{ id: 1, name: 'Qwen Max', provider: 'qwen', model_name: 'qwen-max', is_active: true, credits_cost: 10 }]);
    if (url.pathname === STREAM && stream) return stream(call);
    return undefined;
  });
}

const SLOW = { timeout: 10_000 };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Form controls by their field's id (AntD gives each the field's name); role and label queries are slow in jsdom. */
const control = async (name: string) => {
  await screen.findByTestId('tool-form', undefined, SLOW);
  return document.getElementById(name) as HTMLElement;
};

async function fillTitle(value: string) {
  fireEvent.change(await control('title'), { target: { value } });
}

/** A body that delivers all its chunks at once. */
const bodyOf = (...chunks: Uint8Array[]) =>
  new Response(new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  }), { headers: { 'content-type': 'text/event-stream' } });

describe('the writing tools gallery', () => {
  it('lists the tools in Chinese with their credit cost, asking the server for zh-CN, beside the creator’s credits', async () => {
    const calls = studioApi();
    renderPage(<Tools />, { locale: 'zh-CN', path: '/studio/tools' });
    const card = await screen.findByTestId('tool-wechat_article', undefined, SLOW);
    expect(card.textContent).toContain('公众号文章');
    expect(card.textContent).toContain('10 积分');
    expect(card.textContent).toContain('生成适合微信公众号的文章');
    expect(card.getAttribute('href')).toBe('/studio/tools?tool=wechat_article');
    expect(calls.find((c) => c.path === '/api/v1/writing/tools')?.url.searchParams.get('locale')).toBe('zh-CN');
    await waitFor(() => expect(screen.getByTestId('studio-credits').textContent).toBe('123 积分'));
    expect(screen.getByTestId('studio-membership').textContent).toBe('非会员');
  }, 30_000);

  it('lists them in English when the console is in English', async () => {
    const calls = studioApi();
    renderPage(<Tools />, { locale: 'en', path: '/studio/tools' });
    expect((await screen.findByTestId('tool-wechat_article', undefined, SLOW)).textContent).toContain('WeChat article');
    expect(screen.getByTestId('tool-translation').textContent).toContain('3 credits');
    expect(calls.find((c) => c.path === '/api/v1/writing/tools')?.url.searchParams.get('locale')).toBe('en');
  }, 30_000);
});

describe('a writing tool', () => {
  it('asks for the required fields and sends nothing until they are filled', async () => {
    const calls = studioApi();
    renderPage(<Tools />, { path: '/studio/tools?tool=wechat_article' });
    fireEvent.click(await screen.findByTestId('generate', undefined, SLOW));
    expect(await screen.findByText('Please fill in Title', undefined, SLOW)).toBeTruthy();
    expect(calls.some((c) => c.path === STREAM)).toBe(false);
  }, 30_000);

  it('shows the text as it streams, ignoring heartbeats, then the credits used and a link to the creation', async () => {
    let live: ReturnType<typeof liveStream> | undefined;
    const calls = studioApi((call) => {
      live = liveStream(call);
      return live.response;
    });
    renderPage(<Tools />, { path: '/studio/tools?tool=wechat_article' });
    await fillTitle('  Time management  ');
    const keywords = await control('keywords');
    fireEvent.change(keywords, { target: { value: 'focus' } });
    fireEvent.keyDown(keywords, { key: 'Enter', keyCode: 13, which: 13 });
    fireEvent.click(screen.getByTestId('generate'));

    await waitFor(() => expect(live).toBeDefined(), SLOW);
    live?.write(PING);
    live?.write(sse('delta', { text: 'Plan your day.\n' }));
    await waitFor(() => expect(screen.getByTestId('writing-output').textContent).toContain('Plan your day.'), SLOW);
    expect(screen.getByTestId('stop')).toBeTruthy();
    live?.write(sse('delta', { text: 'Then do it.' }));
    live?.write(PING);
    live?.write(sse('done', { usage: { prompt_tokens: 20, completion_tokens: 8 }, credits_used: 10, creation_id: 99 }));
    live?.close();

    const done = await screen.findByTestId('writing-done', undefined, SLOW);
    expect(done.textContent).toContain('Done: 10 credits used');
    expect(done.textContent).toContain('20 tokens in · 8 tokens out');
    expect(screen.getByTestId('creation-link').getAttribute('href')).toBe('/studio/creations?id=99');
    expect(screen.getByTestId('writing-output').textContent).toBe('Plan your day.\nThen do it.');
    expect(screen.queryByTestId('stop')).toBeNull();

    const sent = calls.filter((c) => c.path === STREAM);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ title: 'Time management', keywords: ['focus'] });
    expect(sent[0]?.headers['idempotency-key']).toMatch(/^web-/);
  }, 30_000);

  it('explains a failure during the stream and says the credits came back', async () => {
    studioApi(() => bodyOf(sse('delta', { text: 'Half' }), PING, sse('error', { code: 40006, message: 'upstream timed out', refunded: true })));
    renderPage(<Tools />, { path: '/studio/tools?tool=wechat_article' });
    await fillTitle('x');
    fireEvent.click(screen.getByTestId('generate'));
    const error = await screen.findByTestId('generation-error', undefined, SLOW);
    expect(error.textContent).toContain('The AI service failed');
    expect(error.textContent).toContain('upstream timed out');
    expect(screen.getByTestId('error-refunded').textContent).toBe('The credits for this generation were refunded.');
    expect(screen.getByTestId('writing-output').textContent).toBe('Half');
  }, 30_000);

  it('sends a creator without enough credits to recharge', async () => {
    studioApi(() => json({ code: 40001, message: 'insufficient credits', data: null }, 402));
    renderPage(<Tools />, { path: '/studio/tools?tool=wechat_article' });
    await fillTitle('x');
    fireEvent.click(screen.getByTestId('generate'));
    const error = await screen.findByTestId('generation-error', undefined, SLOW);
    expect(error.textContent).toContain('Not enough credits to generate');
    expect(within(error).getByTestId('error-billing-link').getAttribute('href')).toBe('/billing');
    expect(screen.queryByTestId('error-refunded')).toBeNull();
  }, 30_000);

  it('stops the request with Stop and says the text so far is kept as unfinished', async () => {
    let live: ReturnType<typeof liveStream> | undefined;
    let signal: AbortSignal | undefined;
    studioApi((call) => {
      live = liveStream(call);
      signal = call.init.signal ?? undefined;
      return live.response;
    });
    renderPage(<Tools />, { path: '/studio/tools?tool=wechat_article' });
    await fillTitle('x');
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(live).toBeDefined(), SLOW);
    live?.write(sse('delta', { text: 'Some words' }));
    await waitFor(() => expect(screen.getByTestId('writing-output').textContent).toBe('Some words'), SLOW);

    fireEvent.click(screen.getByTestId('stop'));
    expect(await screen.findByTestId('writing-stopped', undefined, SLOW)).toBeTruthy();
    expect(signal?.aborted).toBe(true);
    expect(screen.queryByTestId('generation-error')).toBeNull();
  }, 30_000);
});
