import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from '../../../test/fakes/upstream.ts';
import { createUpstreamClient, UpstreamTransportError } from './upstream-client.ts';

// The client's one retry: a request that meets a reset on its connection before any answer is sent once more.

const TIMEOUTS = { connectTimeoutMs: 2_000, firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000, allowPrivateUpstreams: true };

describe('upstream client', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** A server that resets the connection of the requests `reset` picks (by their number, from 1) and answers the rest. */
  async function server(reset: (n: number) => boolean) {
    const seen = { requests: 0, sockets: new Set<Socket>() };
    const s = http.createServer((req, res) => {
      seen.requests += 1;
      seen.sockets.add(req.socket);
      req.resume();
      req.on('end', () => {
        if (reset(seen.requests)) return req.socket.resetAndDestroy();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    const { url, close } = await listenLocal(s);
    closers.push(close);
    return { url, seen };
  }

  function client() {
    const c = createUpstreamClient(TIMEOUTS);
    closers.push(() => c.close());
    return c;
  }

  const post = (url: string) => ({ url: `${url}/v1/chat/completions`, headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });

  it('sends a request again, on a fresh connection, when its kept-alive connection is reset before any answer', async () => {
    const { url, seen } = await server((n) => n === 2);
    const c = client();
    const first = await c.send(post(url), new AbortController().signal);
    expect(JSON.parse(await first.body.text())).toEqual({ ok: true });
    // The second request goes out on the kept-alive connection, which the server resets.
    const second = await c.send(post(url), new AbortController().signal);
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(await second.body.text())).toEqual({ ok: true });
    expect(seen.requests).toBe(3);
    expect(seen.sockets.size).toBe(2);
  });

  it('sends it once more only: a second reset is a network failure', async () => {
    const { url, seen } = await server(() => true);
    const err = await client().send(post(url), new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTransportError);
    expect(err).toMatchObject({ kind: 'network' });
    expect(seen.requests).toBe(2);
  });

  it('does not send again a request whose client went away', async () => {
    const abort = new AbortController();
    const { url, seen } = await server(() => {
      abort.abort();
      return true;
    });
    const err = await client().send(post(url), abort.signal).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(seen.requests).toBe(1);
  });
});
