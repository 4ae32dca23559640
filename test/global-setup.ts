import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpPgliteTemplate, MIGRATIONS_DIR } from '../src/platform/db.ts';
import { CHROMIUM } from './e2e/chromium.ts';

// One migrated PGlite image for the whole run: each suite's in-memory database starts from it instead of running
// initdb and every migration again (about 4x faster per suite on this machine).

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
  const file = path.join(os.tmpdir(), `tollgate-pglite-${migrationsHash()}.tar`);
  if (!fs.existsSync(file)) {
    const image = await dumpPgliteTemplate();
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.from(await image.arrayBuffer()));
    fs.renameSync(tmp, file);
  }
  process.env.TOLLGATE_PGLITE_TEMPLATE = file;
}
