import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { seedPgliteDataDir } from './database.ts';

// A real service process, as `npm start` runs it (bin/run.mjs and the bundle of src/main.ts, which the global setup
// built): on embedded PGlite in a temporary DATA_DIR, health-checked over HTTP, stopped by a signal. Suites that need
// the process boundary (boot, crash, restart) use it.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// PGlite boots in ~5 s on a 2-core machine; leave room for a busy one.
export const BOOT_TIMEOUT_MS = 60_000;

export interface Tollgate {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment a child gets: this process's, without the test runner's services, then `env` on top. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  // The test runner's services must not leak in: this is the zero-dependency `npm start`.
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'MASTER_KEY', 'JWT_SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD']) delete inherited[name];
  return { ...inherited, HOST: '127.0.0.1', NODE_ENV: 'development', ...env };
}

/**
 * Spawns server processes for the calling test file and kills every one still running (and removes every temporary
 * directory) in that file's afterAll. Call it at the top of a test file: with `isolate: false` this module is loaded
 * once per worker, so the cleanup must be registered by each file, not by the module.
 */
export function useServerProcesses(prefix = 'tollgate-main-') {
  const started: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  return {
    /** A new DATA_DIR; `migrated` starts it with the migrated database a first boot would create (for suites about later boots). */
    tempDataDir({ migrated = false } = {}): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      const dataDir = path.join(dir, 'data');
      return migrated ? seedPgliteDataDir(dataDir) : dataDir;
    },

    /** Spawns `node bin/run.mjs <entry>` in the repository root (default: the service itself, as `npm start`). */
    async startTollgate(env: Record<string, string>, entry: 'main' | 'ledger-check' = 'main'): Promise<Tollgate> {
      const port = Number(env.PORT) || (await freePort());
      const child = spawn(process.execPath, ['bin/run.mjs', entry], { cwd: ROOT, env: childEnv({ PORT: String(port), ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child);
      let output = '';
      child.stdout?.on('data', (chunk) => (output += String(chunk)));
      child.stderr?.on('data', (chunk) => (output += String(chunk)));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      return { child, port, output: () => output, exited };
    },
  };
}

/** Polls /healthz until it answers 200; returns the milliseconds since `since`. */
export async function waitHealthy(t: Tollgate, since: number): Promise<number> {
  const deadline = since + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (t.child.exitCode !== null) throw new Error(`Tollgate exited with ${t.child.exitCode}:\n${t.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${t.port}/healthz`);
      if (res.status === 200) return Date.now() - since;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Tollgate did not become healthy within ${BOOT_TIMEOUT_MS} ms:\n${t.output()}`);
}

export async function stop(t: Tollgate, signal: NodeJS.Signals = 'SIGTERM') {
  t.child.kill(signal);
  return t.exited;
}
