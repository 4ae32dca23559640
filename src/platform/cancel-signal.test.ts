import http from 'node:http';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from '../../test/fakes/upstream.ts';
import { ClientSignal } from './cancel-signal.ts';

describe('ClientSignal', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('runs each listener once when aborted, not one that was removed, and stays aborted with an AbortError reason', () => {
    const signal = new ClientSignal();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.removeEventListener('abort', a);
    expect(signal.aborted).toBe(false);
    signal.abort();
    signal.abort();
    expect(calls).toEqual(['b']);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('AbortError');
    // A listener added after the fact is not kept (nothing will fire it).
    signal.addEventListener('abort', a);
    signal.abort();
    expect(calls).toEqual(['b']);
  });

  it('aborts an undici request that waits for its answer, which then answers no one', async () => {
    let arrived!: () => void;
    const waiting = new Promise<void>((resolve) => (arrived = resolve));
    const server = http.createServer((req) => {
      req.resume();
      arrived();
    });
    const { url, close } = await listenLocal(server);
    closers.push(close);
    const agent = new Agent();
    closers.push(() => agent.close());
    const signal = new ClientSignal();
    const pending = agent.request({ origin: url, path: '/', method: 'POST', body: '{}', signal: signal as unknown as AbortSignal });
    await waiting;
    signal.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
