import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/platform/db.ts';

// Database tiers for integration tests: embedded PGlite always; real PostgreSQL when DATABASE_URL is set
// (CI sets it). Each test database is private to its suite, so suites run in parallel.

export interface DbTier {
  name: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

const serverUrl = process.env.DATABASE_URL;

async function openFreshPostgres(url: string): Promise<Database> {
  const name = `tollgate_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  // A suite's database is dropped after it: its commits need not wait for the disk (the server's own fsync stays on).
  await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: target.toString() });
  return {
    ...database,
    async close() {
      await database.close();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

// Written once per run by test/global-setup.ts: the full image for DATA_DIRs, the slim one for in-memory databases.
const templateFile = process.env.TOLLGATE_PGLITE_TEMPLATE;
const memoryTemplateFile = process.env.TOLLGATE_PGLITE_MEMORY_TEMPLATE;
let template: Uint8Array | undefined;
function pgliteTemplate(): Uint8Array | undefined {
  if (memoryTemplateFile && !template) template = fs.readFileSync(memoryTemplateFile);
  return template;
}

export const DB_TIERS: DbTier[] = [
  { name: 'pglite', open: () => openDatabase({ memory: true, template: pgliteTemplate() }) },
  ...(serverUrl ? [{ name: 'postgres' as const, open: () => openFreshPostgres(serverUrl) }] : []),
];

/**
 * Fills `dataDir` with the run's migrated PGlite image, as a first boot leaves it (the service opens `<dataDir>/pgdata`).
 * For suites whose subject is not the first boot: an initdb and every migration cost a spawned service ~5 s more.
 */
export function seedPgliteDataDir(dataDir: string): string {
  if (!templateFile) throw new Error('TOLLGATE_PGLITE_TEMPLATE is not set: test/global-setup.ts writes it');
  const pgdata = path.join(dataDir, 'pgdata');
  fs.mkdirSync(pgdata, { recursive: true });
  // The image's member names start with '/', which tar strips (and says so on stderr, kept out of the run's output).
  execFileSync('tar', ['-xf', templateFile, '-C', pgdata], { stdio: 'pipe' });
  return dataDir;
}
