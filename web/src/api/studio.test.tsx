import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, ok, stubApi } from '../test/render.tsx';
import { ApiError, useSessionStore } from './client.ts';
import { STREAM_CUT, streamWriting, type StreamFailure } from './studio.ts';

// The writing tools' stream as the console reads it: events in order whatever the chunking, heartbeats ignored, an
// error before or during the stream as the studio's code, a cut stream told apart from a finished one, Stop aborting
// the read, and an expired session refreshed once with the same Idempotency-Key.

/** An SSE body delivered in byte chunks cut at `cuts` (byte offsets), so events and UTF-8 characters can be split. */
function sseBody(text: string, cuts: number[] = []): Response {
  const bytes = new TextEncoder().encode(text);
  const edges = [0, ...cuts, bytes.length];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < edges.length - 1; i++) controller.enqueue(bytes.slice(edges[i], edges[i + 1]));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const DONE = { usage: { prompt_tokens: 12, completion_tokens: 34 }, credits_used: 10, creation_id: 99 };
const PATH = '/api/v1/writing/wechat_article/generate/stream';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  localStorage.clear();
});

describe('streamWriting', () => {
  it('hands over every delta in order across split events and split characters, skips pings, and resolves with done', async () => {
    useSessionStore({ accessToken: () => 'tok-1', refresh: async () => false });
    const text = `: ping\n\n${event('delta', { text: '效率' })}${event('delta', { text: '工具' })}: ping\n\n${event('done', DONE)}`;
    // Cut inside a field name, inside the first Chinese character (3 bytes in UTF-8) and inside the done event.
    const byteAt = (s: string) => new TextEncoder().encode(text.slice(0, text.indexOf(s))).length;
    const cuts = [byteAt('event') + 2, byteAt('效') + 1, byteAt('效') + 2, byteAt('"usage"') + 3];
    const calls = stubApi((url) => (url.pathname === PATH ? sseBody(text, cuts) : undefined));
    const pieces: string[] = [];

    const done = await streamWriting('wechat_article', { title: 'T', keywords: ['a'] }, { idempotencyKey: 'web-1', onDelta: (p) => pieces.push(p) });

    expect(pieces).toEqual(['效率', '工具']);
    expect(done).toEqual(DONE);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.body).toEqual({ title: 'T', keywords: ['a'] });
    expect(calls[0]?.headers).toMatchObject({ 'idempotency-key': 'web-1', authorization: 'Bearer tok-1', accept: 'text/event-stream', 'content-type': 'application/json' });
  });

  it('rejects with the error event’s code and whether the credits were refunded, after the text that came before it', async () => {
    stubApi(() => sseBody(`${event('delta', { text: 'half' })}: ping\n\n${event('error', { code: 40006, message: 'upstream down', refunded: true })}`));
    const pieces: string[] = [];
    const failure = await streamWriting('wechat_article', {}, { idempotencyKey: 'k', onDelta: (p) => pieces.push(p) }).catch((e: unknown) => e);
    expect(pieces).toEqual(['half']);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).code).toBe(40006);
    expect((failure as ApiError).message).toBe('upstream down');
    expect(((failure as ApiError).details as unknown as StreamFailure).refunded).toBe(true);
  });

  it('rejects with the envelope’s business code when the server refuses before streaming', async () => {
    stubApi(() => json({ code: 40001, message: '积分不足', data: null }, 402));
    const failure = (await streamWriting('wechat_article', {}, { idempotencyKey: 'k', onDelta: () => undefined }).catch((e: unknown) => e)) as ApiError;
    expect(failure).toBeInstanceOf(ApiError);
    expect([failure.status, failure.code, failure.message]).toEqual([402, 40001, '积分不足']);
  });

  it('tells a stream cut before done or error from a finished one', async () => {
    stubApi(() => sseBody(event('delta', { text: 'cut here' })));
    const failure = (await streamWriting('wechat_article', {}, { idempotencyKey: 'k', onDelta: () => undefined }).catch((e: unknown) => e)) as ApiError;
    expect(failure.code).toBe(STREAM_CUT);
  });

  it('stops reading when the signal aborts', async () => {
    stubApi((_, call) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(event('delta', { text: 'first' })));
          call.init.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    const abort = new AbortController();
    const pieces: string[] = [];
    const run = streamWriting('wechat_article', {}, { idempotencyKey: 'k', signal: abort.signal, onDelta: (p) => {
      pieces.push(p);
      abort.abort();
    } });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(pieces).toEqual(['first']);
  });

  it('refreshes an expired session once and retries with the new token and the same Idempotency-Key', async () => {
    localStorage.setItem('tollgate.session', JSON.stringify({ access: 'old', refresh: 'r-1' }));
    // The session module reads its tokens when it loads: load fresh copies that see them.
    vi.resetModules();
    await import('../auth/session.tsx');
    const fresh = await import('./studio.ts');
    const calls = stubApi((url, call) => {
      const bearer = call.headers.authorization;
      if (url.pathname === '/api/v1/auth/refresh') return ok({ access_token: 'new' });
      if (bearer === 'Bearer old') return json({ code: 401, message: 'token expired', data: null }, 401);
      if (url.pathname === PATH) return sseBody(event('done', DONE));
      return undefined;
    });

    await expect(fresh.streamWriting('wechat_article', {}, { idempotencyKey: 'web-7', onDelta: () => undefined })).resolves.toEqual(DONE);
    const streams = calls.filter((c) => c.path === PATH);
    expect(streams.map((c) => c.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
    expect(streams.map((c) => c.headers['idempotency-key'])).toEqual(['web-7', 'web-7']);
  });
});
