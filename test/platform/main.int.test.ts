import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stop, useServerProcesses, waitHealthy, type Tollgate } from '../helpers/server-process.ts';

// `npm start` end to end: a real process on embedded PGlite, as a newcomer runs it.

const { startTollgate, tempDataDir } = useServerProcesses();

const init = (t: Tollgate) => fetch(`http://127.0.0.1:${t.port}/1/users/init`, { method: 'POST' });

describe('npm start (src/main.ts)', () => {
  it('boots on embedded PGlite in DATA_DIR with no other service, and exits 0 on SIGTERM leaving no lock', async () => {
    const dataDir = tempDataDir();
    const spawnedAt = Date.now();
    const t = await startTollgate({ DATA_DIR: dataDir });
    const coldStartMs = await waitHealthy(t, spawnedAt);
    console.info(`[main] cold start (spawn → first 200 from /healthz): ${coldStartMs} ms`);

    const ready = await fetch(`http://127.0.0.1:${t.port}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'pglite' });
    // PAYMENT_PROVIDERS defaults to sandbox outside production: said out loud at every start.
    expect(t.output()).toContain('Sandbox payments are enabled');
    expect(fs.readFileSync(path.join(dataDir, 'tollgate.lock'), 'utf8')).toBe(String(t.child.pid));
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    const res = await init(t);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: expect.any(Number), token: expect.any(String) });

    expect(await stop(t)).toEqual({ code: 0, signal: null });
    expect(t.output()).toContain('shutting down');
    // No ADMIN_EMAIL and no operator: the newcomer is handed a link that creates the first one.
    expect(t.output()).toMatch(new RegExp(`No operator yet: open http://localhost:${t.port}/setup\\?token=[\\w-]{43} within 24 hours`));
    expect(fs.existsSync(path.join(dataDir, 'tollgate.lock'))).toBe(false);
  }, 120_000);

  it('keeps its data across a restart and refuses a second process on the same DATA_DIR, naming the holder pid', async () => {
    // The first boot of an empty DATA_DIR is the test above's: this one starts from the database it leaves.
    const dataDir = tempDataDir({ migrated: true });
    const first = await startTollgate({ DATA_DIR: dataDir });
    await waitHealthy(first, Date.now());
    expect((await init(first)).status).toBe(200);
    expect(await stop(first)).toEqual({ code: 0, signal: null });

    const restartedAt = Date.now();
    const restarted = await startTollgate({ DATA_DIR: dataDir });
    console.info(`[main] restart on an existing DATA_DIR (spawn → first 200 from /healthz): ${await waitHealthy(restarted, restartedAt)} ms`);
    const again = await init(restarted);
    expect(again.status).toBe(403);
    expect(await again.json()).toEqual({ error: 'Already initialised' });

    const second = await startTollgate({ DATA_DIR: dataDir });
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    // Refused at the lock, before it built the application or opened a port (a wall-clock bound here failed on a
    // loaded host: 22 s for a refusal that takes 2 s on a quiet one).
    expect(second.output()).not.toContain('bootMs');
    expect(second.output()).toContain(`pid ${restarted.child.pid}`);
    // The refused process must not have disturbed the running one.
    expect((await fetch(`http://127.0.0.1:${restarted.port}/readyz`)).status).toBe(200);

    expect(await stop(restarted, 'SIGINT')).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'tollgate.lock'))).toBe(false);
  }, 180_000);

  it.each([
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://x'],
    ['RATE_LIMIT_AUTH_PER_MIN', '0'],
  ])('refuses to start with %s=%s, naming the variable', async (name, value) => {
    const t = await startTollgate({ DATA_DIR: tempDataDir(), PORT: '1', [name]: value });
    const { code } = await t.exited;
    expect(code).toBe(78);
    expect(t.output()).toContain(name);
    expect(t.output()).not.toContain('listening');
  }, 60_000);

  it('refuses to start in production with sandbox payments, naming PAYMENT_PROVIDERS', async () => {
    const t = await startTollgate({
      DATA_DIR: tempDataDir(), PORT: '1', NODE_ENV: 'production', MASTER_KEY: 'ab'.repeat(32), JWT_SECRET: 'j'.repeat(40), PAYMENT_PROVIDERS: 'sandbox',
    });
    const { code } = await t.exited;
    expect(code).toBe(78);
    expect(t.output()).toContain('PAYMENT_PROVIDERS: sandbox is not allowed when NODE_ENV=production');
    expect(t.output()).not.toContain('listening');
  }, 60_000);

  it('exits non-zero when its port is taken, and leaves DATA_DIR unlocked', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    const dataDir = tempDataDir({ migrated: true });
    try {
      const t = await startTollgate({ DATA_DIR: dataDir, PORT: String(port) });
      const { code } = await t.exited;
      expect(code).toBe(1);
      expect(t.output()).toMatch(/EADDRINUSE/);
      expect(fs.existsSync(path.join(dataDir, 'tollgate.lock'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 120_000);
});
