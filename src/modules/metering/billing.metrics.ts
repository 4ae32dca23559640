import client from 'prom-client';
import type { BillingMetrics } from './billing.ts';

// What an operator alerts on (served at /metrics): charges filed as dead letters — money not in the ledger until someone
// looks — and failing or waiting charges, which come before them.

export function createBillingMetrics(deps: { registry: client.Registry; pending: () => number; openDeadLetters: () => Promise<number> }): BillingMetrics {
  const registers = [deps.registry];
  const deadLettered = new client.Counter({
    name: 'tollgate_billing_dead_letters_total',
    help: 'Gateway charges that kept failing and were filed in the dead-letter table',
    registers,
  });
  new client.Gauge({
    name: 'tollgate_billing_dead_letters_open',
    help: 'Dead-lettered gateway charges no operator has retried or resolved yet (alert when above 0)',
    registers,
    async collect() {
      // Read at scrape time: every node files into the same table, and an operator on any node closes letters.
      this.set(await deps.openDeadLetters().catch(() => Number.NaN));
    },
  });
  const failures = new client.Counter({
    name: 'tollgate_billing_charge_failures_total',
    help: 'Gateway charge writes that failed and were retried (or filed)',
    registers,
  });
  const overLimit = new client.Counter({
    name: 'tollgate_billing_key_limit_overruns_total',
    help: 'Gateway charges recorded past their API key spend limit (served before every node knew the limit was reached)',
    registers,
  });
  new client.Gauge({
    name: 'tollgate_billing_pending_charges',
    help: 'Gateway charges not yet in the database on this node (journaled and written behind, or waiting for group commit)',
    registers,
    collect() {
      this.set(deps.pending());
    },
  });
  return {
    flushFailed: (n) => failures.inc(n),
    deadLettered: () => deadLettered.inc(),
    keyOverLimit: () => overLimit.inc(),
  };
}
