import type { Logger } from 'pino';
import type { JobDefinition } from '../../platform/jobs.ts';
import type { Ledger } from './ledger.service.ts';

/** Nightly reconciliation: every balance recomputed from its postings; any mismatch is logged as an error. */
export function ledgerJobs(deps: { ledger: Ledger; log: Pick<Logger, 'error'> }): JobDefinition<object>[] {
  return [
    {
      name: 'ledger.check',
      cron: '17 3 * * *',
      async handler() {
        const books = await deps.ledger.check();
        const sound = books.balanceMismatches.length === 0 && books.unbalancedTransfers.length === 0;
        if (!sound) deps.log.error(books, 'ledger check found mismatches');
        return { sound, mismatches: books.balanceMismatches.length, unbalanced: books.unbalancedTransfers.length };
      },
    },
  ];
}
