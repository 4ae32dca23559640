import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../platform/db.ts';
import { systemClock } from '../../platform/time.ts';
import { createLedger } from './ledger.service.ts';

// `npm run ledger:check`: recompute every balance from postings and list what does not match. Exit 1 on a mismatch.
// Uses the same DATABASE_URL / DATA_DIR as the service (stop a PGlite service first: it holds the directory).

const config = loadConfig();
const database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
try {
  const books = await createLedger({ database, clock: systemClock }).check();
  const sound = books.balanceMismatches.length === 0 && books.unbalancedTransfers.length === 0;
  process.stdout.write(`${JSON.stringify({ sound, ...books }, null, 2)}\n`);
  process.exitCode = sound ? 0 : 1;
} finally {
  await database.close();
}
