import net from 'node:net';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { buildTestApp } from '../helpers/app.ts';

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(DB_TIERS)('closing the app on $name', (tier) => {
  let database: Database;
  beforeAll(async () => {
    database = await tier.open();
  });
  afterAll(() => database?.close());

  it('finishes an in-flight request while refusing new connections', async () => {
    const { app } = await buildTestApp(database);
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    app.get('/slow', { schema: { hide: true } }, async () => {
      entered();
      await released;
      return { finished: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    const inFlight = request(`http://127.0.0.1:${port}/slow`);
    await handlerEntered;
    let closed = false;
    const closing = app.close().then(() => (closed = true));

    await until(() => !app.server.listening);
    expect(await connectionRefused(port)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);

    release();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ finished: true });
    await closing;
    expect(closed).toBe(true);
    // The database is still usable after the app closed: main.ts closes it only now.
    await database.ping();
  });

  it('finishes a response that was already streaming when closing began, then closes its connection', async () => {
    const { app } = await buildTestApp(database);
    const body = new PassThrough();
    app.get('/stream', { schema: { hide: true } }, async (_req, reply) => reply.type('text/event-stream').send(body));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    body.write('data: first\n\n');
    const res = await request(`http://127.0.0.1:${port}/stream`);
    expect(res.statusCode).toBe(200);
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    body.end('data: last\n\n');
    expect(await res.body.text()).toBe('data: first\n\ndata: last\n\n');
    await closing;
    expect(closed).toBe(true);
  });

  it('closes promptly when idle keep-alive connections are open', async () => {
    const { app } = await buildTestApp(database);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const res = await request(`http://127.0.0.1:${port}/healthz`);
    await res.body.text();
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
