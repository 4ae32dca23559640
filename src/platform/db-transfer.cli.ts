import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database, type DatabaseTarget } from './db.ts';
import { unappliedJournal } from '../modules/metering/journal-replay.ts';
import { describeUsage, ledgerSound, type Figures } from './db-transfer.figures.ts';
import { readDump, type DumpHeader } from './db-transfer.file.ts';
import { LoadRefused, loadSnapshot, writeSnapshot } from './db-transfer.ts';
import { processOutput, type CliOutput } from './cli-output.ts';

// `npm run db:export | db:import | backup | restore`: the commands around db-transfer.ts. `run` is exported so tests
// call it in-process; the npm scripts run this file with the command as its first argument.

const USAGE = `Usage:
  npm run db:export -- --out <file>    the embedded database in DATA_DIR → <file> (stop the service first)
  npm run db:import -- --from <file>   <file> → the empty PostgreSQL database at DATABASE_URL
  npm run backup -- --out <file>       the service's database (DATABASE_URL, else DATA_DIR) → <file>
  npm run restore -- --from <file>     <file> → the service's database, which must be empty

A dump is one consistent snapshot of every table (gzip of JSON lines, with row counts and SHA-256 checksums). On
PostgreSQL a backup runs while the service serves. The embedded database serves one process: stop the service
before db:export, backup or restore on DATA_DIR. db:import and restore load in one transaction and commit only when
every balance, the ledger check and the usage totals are identical to the source's; otherwise they say what differs,
keep nothing and exit with 1.`;

type Command = 'db:export' | 'db:import' | 'backup' | 'restore';
const WRITES: Command[] = ['db:export', 'backup'];
const COMMANDS: Command[] = ['db:export', 'db:import', 'backup', 'restore'];

type Parsed = { help: true } | { help: false; command: Command; file: string } | { error: string };

function parse(argv: string[]): Parsed {
  let parsed: { values: { out?: string; from?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { out: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command) || positionals.length > 1) return { error: `unknown command ${JSON.stringify(positionals.join(' '))}` };
  const option = WRITES.includes(command) ? 'out' : 'from';
  const file = values[option];
  if (!file) return { error: `${command} needs --${option} <file>` };
  if (values[option === 'out' ? 'from' : 'out'] !== undefined) return { error: `${command} takes --${option}, not --${option === 'out' ? 'from' : 'out'}` };
  return { help: false, command, file: path.resolve(file) };
}

/** Runs the command; resolves to the process exit code. */
export async function run(argv: string[], env: Record<string, string | undefined>, output: CliOutput = processOutput): Promise<number> {
  const parsed = parse(argv);
  if ('error' in parsed) {
    output.err(`${parsed.error}\n\n${USAGE}`);
    return 1;
  }
  if (parsed.help) {
    output.out(USAGE);
    return 0;
  }
  const { command, file } = parsed;
  let database: Database | undefined;
  try {
    const config = loadConfig(env);
    const target = databaseOf(command, config);
    if (WRITES.includes(command)) {
      if ('dataDir' in target && !fs.existsSync(path.join(target.dataDir, 'pgdata', 'PG_VERSION'))) {
        throw new Error(`there is no embedded database in ${path.resolve(target.dataDir)} (no pgdata/): set DATA_DIR to the service's`);
      }
      database = await open(command, target);
      if ('dataDir' in target) await refuseUnappliedJournal(database, config);
      const header = await writeSnapshot(database, file);
      output.out(`Wrote ${file} (${size(file)}): ${totalRows(header)} rows in ${header.tables.length} tables, one snapshot of ${where(target)} at ${header.createdAt}.`);
      output.out(`It holds ${describe(header.figures)}; migration level ${header.migrations.count}.`);
      return 0;
    }
    // The whole file checks out before the target is opened: a damaged file does not even create a DATA_DIR.
    const header = await readDump(file);
    database = await open(command, target);
    const report = await loadSnapshot(database, file, header);
    output.out(`Loaded ${file} into ${where(target)}: ${report.rows} rows in ${header.tables.length} tables (written from ${header.source.kind} at ${header.createdAt}).`);
    output.out(`Identical on both sides: ${describe(report.figures)}, and every table's row count.`);
    return 0;
  } catch (err) {
    output.err(`${command}: ${(err as Error).message}`);
    if (err instanceof LoadRefused) for (const line of err.details) output.err(`  ${line}`);
    return 1;
  } finally {
    await database?.close();
  }
}

function databaseOf(command: Command, config: Config): DatabaseTarget {
  if (command === 'db:export') return { dataDir: config.dataDir };
  if (command === 'db:import') {
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: name the empty PostgreSQL database to load into');
    return { databaseUrl: config.databaseUrl };
  }
  return config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir };
}

async function open(command: Command, target: DatabaseTarget): Promise<Database> {
  try {
    return await openDatabase(target);
  } catch (err) {
    const holder = /in use by another Tollgate process \(pid (\d+)\)/.exec((err as Error).message)?.[1];
    if (!holder || !('dataDir' in target)) throw err;
    const dir = path.resolve(target.dataDir);
    throw new Error(
      `${dir} is in use by the running Tollgate (pid ${holder}). The embedded database serves one process, so ${command} works on it ` +
        `with the service stopped: stop it (kill -TERM ${holder}; it checkpoints and releases the directory), run ${command} again, ` +
        'then start the service. On PostgreSQL (npm run db:export, then npm run db:import) backups run while the service serves.',
    );
  }
}

// A service killed before its write-behind leaves charges in DATA_DIR/journal that its next start applies: a dump
// taken now would miss them.
async function refuseUnappliedJournal(database: Database, config: Config): Promise<void> {
  const missing = await unappliedJournal(database.db, config.billing.journalDir);
  if (missing.charges === 0) return;
  throw new Error(
    `${config.billing.journalDir} holds ${missing.charges} ${missing.charges === 1 ? 'charge' : 'charges'} the database does not have yet (the service stopped before writing them): ` +
      'start the service once (it applies them at boot), stop it, and run this again',
  );
}

function where(target: DatabaseTarget): string {
  if ('dataDir' in target) return `the embedded database in ${path.resolve(target.dataDir)}`;
  if (!('databaseUrl' in target)) return 'an in-memory database';
  // Host and database only: the URL may carry a password.
  const url = new URL(target.databaseUrl);
  return `PostgreSQL ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}

function describe(f: Figures): string {
  const wallets = f.balances.byKind.find((k) => k.kind === 'wallet');
  return (
    `balances of ${f.balances.accounts} accounts (${wallets?.accounts ?? 0} wallets), the ledger check (${ledgerSound(f) ? 'sound' : 'NOT sound: run npm run ledger:check'}), ` +
    `usage totals (${describeUsage(f.usage)})`
  );
}

const totalRows = (h: DumpHeader) => h.tables.reduce((sum, t) => sum + t.rows, 0);

function size(file: string): string {
  const bytes = fs.statSync(file).size;
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await run(process.argv.slice(2), process.env);
}
