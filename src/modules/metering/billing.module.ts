import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createBroadcast } from '../../platform/broadcast.ts';
import type { Database } from '../../platform/db.ts';
import type { Clock } from '../../platform/time.ts';
import type { BillingConfig } from '../../config.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { createBilling, type RetryPolicy } from './billing.ts';
import { createBillingMetrics } from './billing.metrics.ts';
import { createChargeWriter } from './charge-writer.ts';
import type { ChargeEffect } from './charges.ts';
import { deadLetterRoutes } from './dead-letters.routes.ts';
import { createDeadLetterService } from './dead-letters.service.ts';
import { openJournal, readJournal } from './journal.ts';
import { applyLeftoverJournal } from './journal-replay.ts';
import { createPayerBook, type PayerBook } from './payers.ts';
import { createSharedPayerBook } from './payers-redis.ts';
import type { UsageService } from './usage.service.ts';

// Wires gateway billing: the payer book (this node's memory, or Redis shared by every node), the charge writer, the
// charge journal (or group commit straight to the database), the dead-letter view and its metrics — and keeps the
// book fresh: a credit the ledger commits (a recharge, a gift, a refund, a coupon) is re-read before the payer's next
// request, here and on every other node. A journal left by the last run is applied here, before the port opens.

export interface BillingModuleDeps {
  database: Database;
  clock: Clock;
  ledger: Ledger;
  usage: UsageService;
  redis?: Redis;
  namespace: string;
  effects: ChargeEffect[];
  /** The API key whose spend limit refused a write, if that is what an error is. */
  keyRefusedBy?: (err: unknown) => number | undefined;
  auth: AuthHooks;
  audit: AuditLog;
  /** The app's /metrics registry. */
  metrics?: Registry;
  retry?: Partial<RetryPolicy>;
  config: BillingConfig;
}

export async function billingModule(app: FastifyInstance, d: BillingModuleDeps) {
  const book: PayerBook = d.redis
    ? createSharedPayerBook({ redis: d.redis, namespace: d.namespace, ledger: d.ledger, clock: d.clock, log: app.log })
    : createPayerBook({ ledger: d.ledger, clock: d.clock });
  const writer = createChargeWriter({ database: d.database, ledger: d.ledger, usage: d.usage, effects: d.effects, clock: d.clock, keyRefusedBy: d.keyRefusedBy });
  const deadLetters = createDeadLetterService({ database: d.database, clock: d.clock, writer, book, audit: d.audit });
  let pending = () => 0;
  const metrics = d.metrics ? createBillingMetrics({ registry: d.metrics, pending: () => pending(), openDeadLetters: deadLetters.openCount }) : undefined;
  // Read whatever the durability now: charges journaled before a switch to `database` still owe the database.
  const leftover = readJournal(d.config.journalDir);
  const journal = d.config.durability === 'journal' ? openJournal({ dir: d.config.journalDir, sync: d.config.sync }) : undefined;
  const billing = createBilling({ database: d.database, writer, book, clock: d.clock, log: app.log, metrics, retry: d.retry, journal, writeBehindMs: d.config.writeBehindMs });
  pending = billing.pending;
  await applyLeftoverJournal(billing, leftover, app.log);

  const others = d.redis
    ? await createBroadcast<{ userIds: number[] }>({
        redis: d.redis, channel: `${d.namespace}:payer-balances`, log: app.log, onMessage: (m) => book.forget(m.userIds),
      })
    : undefined;
  const unsubscribe = d.ledger.onUserBalances(async (userIds) => {
    others?.publish({ userIds });
    await book.invalidate(userIds);
  });

  await app.register(deadLetterRoutes, { deadLetters, auth: d.auth });
  app.addHook('onClose', async () => {
    unsubscribe();
    await others?.close();
  });
  /** After the last request: every charge into the database, then the journal closed (and, all applied, removed). */
  const close = async () => {
    await billing.drain();
    journal?.close();
  };
  return { billing, book, deadLetters, close };
}
