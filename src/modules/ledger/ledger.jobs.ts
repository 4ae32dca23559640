import type { Logger } from 'pino';
import { formatCny } from '../../platform/money.ts';
import type { JobDefinition } from '../../platform/jobs.ts';
import type { Ledger } from './ledger.service.ts';

/**
 * Nightly reconciliation: every balance recomputed from its postings; any mismatch is logged as an error. Open
 * receivables (what users owe) are reported with it, so debts that no credit has paid yet stay in view.
 */
export function ledgerJobs(deps: { ledger: Ledger; log: Pick<Logger, 'error' | 'warn'> }): JobDefinition<object>[] {
  return [
    {
      name: 'ledger.check',
      cron: '17 3 * * *',
      async handler() {
        const books = await deps.ledger.check();
        const sound = books.balanceMismatches.length === 0 && books.unbalancedTransfers.length === 0;
        if (!sound) deps.log.error(books, 'ledger check found mismatches');
        const receivables = (await deps.ledger.openReceivables()).map((r) => ({ userId: r.userId, owed: formatCny(r.owed, 6) }));
        if (receivables.length > 0) deps.log.warn({ receivables }, 'ledger check: open receivables');
        return { sound, mismatches: books.balanceMismatches.length, unbalanced: books.unbalancedTransfers.length, receivables };
      },
    },
  ];
}
