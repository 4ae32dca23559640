import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpPgliteTemplate, MIGRATIONS_DIR } from '../src/platform/db.ts';
import { CHROMIUM } from './e2e/chromium.ts';

// Migrated PGlite images for the whole run: each suite's in-memory database starts from one instead of running initdb
// and every migration again (about 4x faster per suite on this machine), a spawned service's DATA_DIR from the other.

function migrationsHash(): string {
  const hash = crypto.createHash('sha256');
  for (const file of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(file).update(fs.readFileSync(path.join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** One line per test tier this run skips, with the reason (printed once, here, not by every suite's process). */
function reportSkippedTiers(): void {
  const skipped: string[] = [];
  if (!process.env.DATABASE_URL) skipped.push('PostgreSQL tier skipped: DATABASE_URL is not set, integration suites run on embedded PGlite only (CI sets it).');
  if (!process.env.REDIS_URL) skipped.push('Redis tier skipped: REDIS_URL is not set, the suites that share limits, holds and circuits across two nodes do not run (CI sets it).');
  if (!fs.existsSync(CHROMIUM)) skipped.push(`browser tier skipped: ${CHROMIUM} is missing, the console suites in test/e2e do not run (apt-get install chromium).`);
  for (const line of skipped) console.info(`[tests] ${line}`);
}

/** The bundles `npm start` and the tools run (bin/run.mjs), built once here if src/ changed, not by each spawned process. */
function buildServerBundles(): void {
  const built = spawnSync(process.execPath, ['bin/run.mjs', '--build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bin/run.mjs --build failed:\n${built.stderr}`);
}

export default async function setup() {
  reportSkippedTiers();
  buildServerBundles();
  const hash = migrationsHash();
  const [full, slim] = await Promise.all([pgliteImage(hash, false), pgliteImage(hash, true)]);
  process.env.TOLLGATE_PGLITE_TEMPLATE = full;
  process.env.TOLLGATE_PGLITE_MEMORY_TEMPLATE = slim;
}

/**
 * The image's file, written once per set of migrations: the full one seeds the DATA_DIRs of spawned services (as a
 * first boot leaves them), the slim one the suites' in-memory databases.
 */
async function pgliteImage(migrations: string, slim: boolean): Promise<string> {
  const file = path.join(os.tmpdir(), `tollgate-pglite-${migrations}${slim ? '-slim' : ''}.tar`);
  if (!fs.existsSync(file)) {
    const image = await dumpPgliteTemplate({ slim });
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.from(await image.arrayBuffer()));
    fs.renameSync(tmp, file);
  }
  return file;
}
