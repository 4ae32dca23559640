import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DB_TIERS, seedPgliteDataDir } from '../../test/helpers/database.ts';
import { acquireDataDirLock, afterCommit, openDatabase } from './db.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const lockFile = (dir: string) => path.join(dir, 'tollgate.lock');

/** A pid that certainly belongs to no process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(child.stdout);
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

describe('acquireDataDirLock', () => {
  it('creates the data directory and a lock file holding our pid', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const release = acquireDataDirLock(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe(String(process.pid));
    release();
  });

  it('refuses a second lock on the same directory, naming the holder pid', () => {
    const dir = tempDir();
    const release = acquireDataDirLock(dir);
    expect(() => acquireDataDirLock(dir)).toThrow(new RegExp(`pid ${process.pid}\\b`));
    expect(() => acquireDataDirLock(dir)).toThrow(path.resolve(dir));
    release();
  });

  it('names a live holder that is another process', () => {
    const dir = tempDir();
    // pid 1 is always alive; refusing it is right even though we may not signal it (EPERM).
    fs.writeFileSync(lockFile(dir), '1');
    expect(() => acquireDataDirLock(dir)).toThrow(/pid 1\b/);
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe('1');
  });

  it.each([
    ['a dead pid', () => String(deadPid())],
    ['pid 999999', () => '999999'],
    ['garbage', () => 'not a pid'],
    ['an empty file', () => ''],
  ])('takes over a lock left with %s', (_name, content) => {
    const dir = tempDir();
    fs.writeFileSync(lockFile(dir), content());
    const release = acquireDataDirLock(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe(String(process.pid));
    release();
  });

  it('removes the lock file on release, so the directory can be locked again', () => {
    const dir = tempDir();
    const release = acquireDataDirLock(dir);
    release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
    acquireDataDirLock(dir)();
  });

  it('does not remove a lock another process took after ours was released', () => {
    const dir = tempDir();
    const release = acquireDataDirLock(dir);
    release();
    fs.writeFileSync(lockFile(dir), '1');
    release();
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe('1');
  });
});

describe('openDatabase on a PGlite data directory', () => {
  it('holds the lock while open, keeps data across reopen, and releases the lock on close', async () => {
    // From the run's migrated image: a first boot's initdb and migrations are the quick-start and main suites' subject.
    const dir = seedPgliteDataDir(tempDir());
    const first = await openDatabase({ dataDir: dir });
    expect(first.kind).toBe('pglite');
    expect(fs.readFileSync(lockFile(dir), 'utf8')).toBe(String(process.pid));
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/in use by another Tollgate process \(pid \d+\)/);
    await first.db.execute('CREATE TABLE lock_probe (v int)');
    await first.db.execute('INSERT INTO lock_probe VALUES (42)');
    await first.close();
    expect(fs.existsSync(lockFile(dir))).toBe(false);

    const second = await openDatabase({ dataDir: dir });
    const result = (await second.db.execute('SELECT v FROM lock_probe')) as unknown as { rows: { v: number }[] };
    expect(result.rows).toEqual([{ v: 42 }]);
    await second.ping();
    await second.close();
    await expect(second.ping()).rejects.toThrow();
  }, 60_000);
});

describe('afterCommit', () => {
  // The run's migrated PGlite image (test/global-setup.ts): a fresh in-memory database costs an initdb and every migration.
  const openMemory = () => DB_TIERS[0]!.open();

  it('runs a hook once its transaction commits, before transaction() returns, and never after a rollback', async () => {
    const database = await openMemory();
    try {
      const heard: string[] = [];
      const result = await database.transaction(async (tx) => {
        afterCommit(tx, () => void heard.push('committed'));
        heard.push('in transaction');
        return 'done';
      });
      expect(result).toBe('done');
      expect(heard).toEqual(['in transaction', 'committed']);

      await expect(
        database.transaction(async (tx) => {
          afterCommit(tx, () => void heard.push('rolled back'));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(heard).toEqual(['in transaction', 'committed']);
    } finally {
      await database.close();
    }
  });

  it('keeps the commit when a hook fails, and reports the failure as a process warning', async () => {
    const database = await openMemory();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const result = await database.transaction(async (tx) => {
        afterCommit(tx, () => {
          throw new Error('listener broke');
        });
        return 1;
      });
      expect(result).toBe(1);
      expect(warn).toHaveBeenCalledWith('after-commit hook failed: listener broke');
    } finally {
      warn.mockRestore();
      await database.close();
    }
  });
});
