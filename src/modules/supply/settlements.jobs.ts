import type { JobDefinition } from '../../platform/jobs.ts';
import type { SettlementService } from './settlements.service.ts';

/** Every minute: polled payout providers (sandbox) report which processing withdrawals they paid or refused. */
export function settlementJobs(deps: { settlements: SettlementService }): JobDefinition<object>[] {
  return [{ name: 'supply.payouts', cron: '* * * * *', handler: () => deps.settlements.syncPayouts() }];
}
