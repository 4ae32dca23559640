import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../platform/db.ts';
import { formatCny } from '../../platform/money.ts';
import { systemClock } from '../../platform/time.ts';
import { unappliedJournal as unappliedJournalOf } from '../metering/journal-replay.ts';
import { createLedger } from './ledger.service.ts';

// `npm run ledger:check`: recompute every balance from postings and list what does not match (exit 1 on a mismatch),
// and list every open receivable — who owes how much — for the operators to follow up (not a fault of the books) —
// and the charges the journal in DATA_DIR holds that the database does not have yet (the service applies them at its
// next start; while it runs, the write-behind interval's worth). Uses the same DATABASE_URL / DATA_DIR as the service
// (stop a PGlite service first: it holds the directory).

const config = loadConfig();
const database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
try {
  const ledger = createLedger({ database, clock: systemClock });
  const books = await ledger.check();
  const sound = books.balanceMismatches.length === 0 && books.unbalancedTransfers.length === 0;
  const openReceivables = (await ledger.openReceivables()).map((r) => ({ user_id: r.userId, account: r.code, owed_cny: formatCny(r.owed, 6) }));
  const j = await unappliedJournalOf(database.db, config.billing.journalDir);
  const unappliedJournal = { segments: j.segments, charges: j.charges, cost_cny: formatCny(j.costMicros, 6), torn_segments: j.torn };
  process.stdout.write(`${JSON.stringify({ sound, ...books, openReceivables, unappliedJournal }, null, 2)}\n`);
  process.exitCode = sound ? 0 : 1;
} finally {
  await database.close();
}
