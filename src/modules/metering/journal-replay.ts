import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import type { Billing } from './billing.ts';
import { chargesToReplay, type readJournal } from './journal.ts';

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
