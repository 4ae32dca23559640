import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from '../../../test/fakes/upstream.ts';
import { ClientSignal } from '../../platform/cancel-signal.ts';
import { createUpstreamClient, UpstreamTransportError } from './upstream-client.ts';

// The upstream client: its one retry (a request that meets a reset on its connection before any answer is sent once
// more), and an answer read through the dispatcher (upstream-body.ts) — whole or chunk by chunk, every byte once, the
// socket paused while a slow reader falls behind, and the connection dropped when the reader stops early or its
// client goes away.

const TIMEOUTS = { connectTimeoutMs: 2_000, firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000, allowPrivateUpstreams: true };
const CHUNK = Buffer.alloc(16 * 1024, 'a');

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(handler: http.RequestListener): Promise<string> {
  const { url, close } = await listenLocal(http.createServer(handler));
  closers.push(close);
  return url;
}

function client() {
  const c = createUpstreamClient(TIMEOUTS);
  closers.push(() => c.close());
  return c;
}

describe('upstream client', () => {
  /** A server that resets the connection of the requests `reset` picks (by their number, from 1) and answers the rest. */
  async function server(reset: (n: number) => boolean) {
    const seen = { requests: 0, sockets: new Set<Socket>() };
    const url = await serve((req, res) => {
      seen.requests += 1;
      seen.sockets.add(req.socket);
      req.resume();
      req.on('end', () => {
        if (reset(seen.requests)) return req.socket.resetAndDestroy();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    return { url, seen };
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

describe('upstream answer body', () => {
  /** Answers with `chunks` chunks of 16 kB, written as fast as the socket takes them; counts what it could write. */
  async function server(chunks: number) {
    const seen = { written: 0, closed: 0, blocked: false };
    const url = await serve((req, res) => {
      req.resume();
      res.on('close', () => (seen.closed += 1));
      res.writeHead(200, { 'content-type': 'text/plain' });
      const more = () => {
        while (seen.written < chunks) {
          seen.written += 1;
          if (!res.write(CHUNK)) {
            seen.blocked = true;
            return void res.once('drain', more);
          }
        }
        res.end();
      };
      more();
    });
    return { url, seen };
  }

  const get = (url: string) => ({ method: 'GET' as const, url: `${url}/big`, headers: {} });

  it('reads a body of many chunks whole', async () => {
    const { url } = await server(40);
    const res = await client().send(get(url), new ClientSignal());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(await res.body.text()).toBe('a'.repeat(40 * CHUNK.length));
  });

  it('hands a slow reader every byte once, holding the upstream back meanwhile', async () => {
    const { url, seen } = await server(400); // 6.4 MB: more than the sockets' buffers hold
    const res = await client().send(get(url), new ClientSignal());
    let bytes = 0;
    let first = true;
    for await (const chunk of res.body) {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 200));
        // Paused: the server could not write it all while nothing was read.
        expect(seen.blocked).toBe(true);
        expect(seen.written).toBeLessThan(400);
      }
      bytes += chunk.length;
    }
    expect(bytes).toBe(400 * CHUNK.length);
  });

  it('drops the connection when the reader stops early', async () => {
    const { url, seen } = await server(400);
    const res = await client().send(get(url), new ClientSignal());
    for await (const chunk of res.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await expect.poll(() => seen.closed).toBe(1);
    expect(seen.written).toBeLessThan(400);
  });

  it('ends the reading with an AbortError when the client goes away mid-body', async () => {
    const { url, seen } = await server(400);
    const gone = new ClientSignal();
    const res = await client().send(get(url), gone);
    const read = (async () => {
      for await (const chunk of res.body) {
        expect(chunk.length).toBeGreaterThan(0);
        gone.abort();
      }
    })();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => seen.closed).toBe(1);
  });
});
