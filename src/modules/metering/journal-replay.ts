import { inArray } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import type { Db } from '../../platform/db.ts';
import type { Billing } from './billing.ts';
import { chargesToReplay, readJournal } from './journal.ts';
import { usageRecords } from './usage.tables.ts';

// Boot (DESIGN.md §5): the charges a journal left by the last run (killed, or stopped before its database writes) are
// written to the database before the port opens, and only then are its segments removed — a crash in between leaves
// them for the next boot, which charges nothing twice (idempotent by request id). Read the journal before this run's
// journal opens in the same directory: that one's segments are not leftover, and removing them would lose its charges.

export type LeftoverJournal = ReturnType<typeof readJournal>;

export async function applyLeftoverJournal(billing: Pick<Billing, 'replay' | 'drain'>, leftover: LeftoverJournal, log: FastifyBaseLogger) {
  if (leftover.files.length === 0) return;
  const charges = chargesToReplay(leftover.records);
  log.info({ charges: charges.length, segments: leftover.files.length, tornSegments: leftover.torn }, 'applying the charge journal the last run left');
  billing.replay(charges);
  await billing.drain();
  for (const file of leftover.files) fs.rmSync(file, { force: true });
}

/**
 * Charges the journal in `journalDir` holds that the database has no usage record for: a service stopped before its
 * write-behind, whose next start applies them (`ledger:check` reports them; a dump refuses to miss them).
 */
export async function unappliedJournal(db: Db, journalDir: string) {
  const journal = readJournal(journalDir);
  const charges = chargesToReplay(journal.records);
  const recorded = new Set<string>();
  for (let at = 0; at < charges.length; at += 1000) {
    const ids = charges.slice(at, at + 1000).map((c) => c.charge.requestId);
    const rows = await db.select({ requestId: usageRecords.requestId }).from(usageRecords).where(inArray(usageRecords.requestId, ids));
    for (const r of rows) recorded.add(r.requestId);
  }
  const missing = charges.filter((c) => !recorded.has(c.charge.requestId));
  return { segments: journal.files.length, torn: journal.torn, charges: missing.length, costMicros: missing.reduce((sum, c) => sum + c.charge.cost, 0n) };
}
