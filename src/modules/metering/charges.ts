import type { NamedStatement } from '../../platform/sql-batch.ts';
import type { Payer } from './payers.ts';
import type { NewUsageRecord } from './usage.tables.ts';

// What a gateway charge is, as billing (billing.ts) queues it and the writer (charge-writer.ts) commits it.

export interface Charge {
  /** The request id: the transfer's idempotency key, so a charge can never land twice. */
  requestId: string;
  cost: bigint;
  description: string;
  usage: NewUsageRecord;
  /** Set when a supplier's package served it: the supplier earns `earning` (pending), the platform the rest as fee. */
  packageUse?: PackageUse;
}

export interface PackageUse {
  packageId: number;
  supplierUserId: number;
  /** Tokens sold from the package's quota. */
  tokens: number;
  earning: bigint;
}

/** One charge with its payer, as effects see it. */
export interface ChargeItem {
  payer: Payer;
  charge: Charge;
}

export interface EffectMode {
  /**
   * True: a key's spend passing its limit fails the write (so that the charge is retried on its own, and every node
   * learns the key is spent). False: the spend is recorded as it is — the request was served, its charge must land.
   */
  enforceKeyLimits: boolean;
}

/**
 * Writes that must commit with a batch of charges — API key spend, package quota, supplier earnings — as named
 * data-modifying statements. They run inside the batch's single statement on the fast path, and as one statement in the
 * careful path's transaction, so they land exactly when the charges do.
 */
export type ChargeEffect = (items: ChargeItem[], now: Date, mode: EffectMode) => NamedStatement[];

/** What each API key spent in these charges (for the key-spend effect). */
export function keySpendOf(items: ChargeItem[]): Map<number, bigint> {
  const spend = new Map<number, bigint>();
  for (const q of items) {
    if (q.payer.apiKeyId !== undefined && q.charge.cost > 0n) spend.set(q.payer.apiKeyId, (spend.get(q.payer.apiKeyId) ?? 0n) + q.charge.cost);
  }
  return spend;
}
