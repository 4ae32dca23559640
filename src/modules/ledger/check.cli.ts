import { inArray } from 'drizzle-orm';
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../platform/db.ts';
import { formatCny } from '../../platform/money.ts';
import { systemClock } from '../../platform/time.ts';
import { chargesToReplay, readJournal } from '../metering/journal.ts';
import { usageRecords } from '../metering/usage.tables.ts';
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
  const unappliedJournal = await unappliedCharges();
  process.stdout.write(`${JSON.stringify({ sound, ...books, openReceivables, unappliedJournal }, null, 2)}\n`);
  process.exitCode = sound ? 0 : 1;
} finally {
  await database.close();
}

/** Journaled charges whose request has no usage record yet: count and sum, per the journal's segments. */
async function unappliedCharges() {
  const journal = readJournal(config.billing.journalDir);
  const charges = chargesToReplay(journal.records);
  const recorded = new Set<string>();
  for (let at = 0; at < charges.length; at += 1000) {
    const ids = charges.slice(at, at + 1000).map((c) => c.charge.requestId);
    const rows = await database.db.select({ requestId: usageRecords.requestId }).from(usageRecords).where(inArray(usageRecords.requestId, ids));
    for (const r of rows) recorded.add(r.requestId);
  }
  const missing = charges.filter((c) => !recorded.has(c.charge.requestId));
  return {
    segments: journal.files.length,
    charges: missing.length,
    cost_cny: formatCny(missing.reduce((sum, c) => sum + c.charge.cost, 0n), 6),
    torn_segments: journal.torn,
  };
}
