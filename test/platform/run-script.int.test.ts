import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/server-process.ts';

// bin/run.mjs, what `npm start` and the tools run: the bundles in dist/server are rebuilt when a source is newer, and
// left alone otherwise. (Every suite that spawns the service runs through it; the global setup built the bundles.)

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/run.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
const bundle = path.join(ROOT, 'dist', 'server', 'main.js');
const mtime = (file: string) => fs.statSync(file).mtimeMs;

describe('bin/run.mjs', () => {
  it('names its entries when given none or an unknown one, with exit 64', () => {
    for (const args of [[], ['nope']]) {
      const r = run(...args);
      expect(r.status).toBe(64);
      expect(r.stderr).toContain('usage: node bin/run.mjs <main|ledger-check|operator|db-transfer>');
    }
  });

  it('keeps bundles newer than every source, and rebuilds them once a source is newer', () => {
    expect(run('--build').status).toBe(0);
    const built = mtime(bundle);
    expect(run('--build').status).toBe(0);
    expect(mtime(bundle)).toBe(built);

    // A source edited after the build (its time set past the bundle's; its content unchanged).
    const source = path.join(ROOT, 'src', 'config.ts');
    const later = new Date(Math.max(built, Date.now()) + 2_000);
    fs.utimesSync(source, later, later);
    expect(run('--build').status).toBe(0);
    expect(mtime(bundle)).toBeGreaterThanOrEqual(later.getTime() - 2_000);
    expect(mtime(bundle)).toBeGreaterThan(built);
    // Written whole, then renamed into place: no temporary file stays behind.
    expect(fs.readdirSync(path.dirname(bundle)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('runs an entry with its own arguments after it', () => {
    const r = run('operator', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: npm run operator -- --email <address>');
  });
});
