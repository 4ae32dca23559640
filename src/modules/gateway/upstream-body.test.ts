import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from '../../../test/fakes/upstream.ts';
import { ClientSignal } from '../../platform/cancel-signal.ts';
import { createUpstreamClient } from './upstream-client.ts';

// An answer read through the dispatcher (upstream-body.ts): whole or chunk by chunk, every byte once, the socket paused
// while a slow reader falls behind, and the connection dropped when the reader stops early or its client goes away.

const TIMEOUTS = { connectTimeoutMs: 2_000, firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000, allowPrivateUpstreams: true };
const CHUNK = Buffer.alloc(16 * 1024, 'a');

describe('upstream answer body', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** Answers with `chunks` chunks of 16 kB, written as fast as the socket takes them; counts what it could write. */
  async function server(chunks: number) {
    const seen = { written: 0, closed: 0, blocked: false };
    const s = http.createServer((req, res) => {
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
    const { url, close } = await listenLocal(s);
    closers.push(close);
    return { url, seen };
  }

  function client() {
    const c = createUpstreamClient(TIMEOUTS);
    closers.push(() => c.close());
    return c;
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
