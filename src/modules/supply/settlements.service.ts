import type { Database, Db } from '../../platform/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { NO_RECORD, type ResponseRecord } from '../../platform/idempotency.ts';
import { formatCny } from '../../platform/money.ts';
import { addMs, beijingDay, beijingDayStart, type Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { InsufficientFunds, type Ledger } from '../ledger/ledger.service.ts';
import type { PayoutOrder, PayoutProvider, PayoutProviderName } from './payouts.ts';
import type { ProfileService, SupplierRow } from './profile.service.ts';
import { lockedError, newSettlementNo, nextWrongAttempt, phoneChangeHold, planFreeze, withdrawFee, WITHDRAW_RULES } from './settlement-rules.ts';
import * as repo from './settlements.repo.ts';
import type { SmsCodes } from './sms-codes.ts';
import type { PAYMENT_METHODS, SettlementStatus, SupplyEarningRow, SupplySettlementRow } from './supply.tables.ts';

// Withdrawals (DESIGN.md §6). Invariant, kept by every transaction here: the earnings records a settlement holds sum to
// its total, and each supplier's ledger accounts equal their records per status (available, frozen, withdrawn).
// States: pending → processing → completed | failed; a supplier's cancel is `failed` with reason `cancelled`.

/** Which states each action starts from; anything else is 409 SUP_SET_4092. */
const ACTIONS = {
  cancel: ['pending'],
  process: ['pending'],
  complete: ['processing'],
  fail: ['pending', 'processing'],
} as const satisfies Record<string, readonly SettlementStatus[]>;
type Action = keyof typeof ACTIONS;
const DONE: Record<Action, string> = { cancel: 'cancelled', process: 'processed', complete: 'completed', fail: 'failed' };

export interface WithdrawRequest {
  amount: bigint;
  paymentMethod: (typeof PAYMENT_METHODS)[number];
  paymentAccount: string;
  smsCode: string;
}

const snapshot = (r: SupplySettlementRow) => ({
  status: r.status, total: r.totalMicros, fee: r.feeMicros, net: r.netMicros, payout_provider: r.payoutProvider,
  payout_reference: r.payoutReference, failure_reason: r.failureReason,
});

const payoutOrder = (r: SupplySettlementRow): PayoutOrder => ({
  settlementNo: r.settlementNo, netAmount: r.netMicros, paymentMethod: r.paymentMethod, paymentAccount: r.paymentAccount, reference: r.payoutReference,
});

const yuan = (micros: bigint) => `¥${formatCny(micros)}`;

export interface SettlementDeps {
  database: Database;
  clock: Clock;
  ledger: Ledger;
  audit: AuditLog;
  codes: SmsCodes;
  profile: ProfileService;
  payouts: Record<PayoutProviderName, PayoutProvider>;
}

export function createSettlementService(deps: SettlementDeps) {
  const { database, clock, ledger, audit, codes, profile, payouts } = deps;

  /** A wrong code counts against the supplier (nextWrongAttempt). */
  async function countWrongCode(tx: Db, s: SupplierRow, now: Date): Promise<AppError> {
    const next = nextWrongAttempt(s.smsFailures, now);
    await repo.setSmsFailures(tx, s.userId, next.failures, next.lockedUntil, now);
    if (next.lockedUntil) return lockedError(next.lockedUntil);
    return new AppError('SUP_SET_4003', `The SMS code is wrong or has expired; ${next.left} more wrong code(s) lock withdrawals for 15 minutes`, {
      field: 'body.sms_code', attempts_left: next.left,
    });
  }

  async function refuseIfOpen(tx: Db, userId: number): Promise<void> {
    const open = await repo.openOf(tx, userId);
    if (open) throw new AppError('SUP_SET_4091', `Withdrawal ${open.settlementNo} is still ${open.status}; wait until it completes`, { settlement_id: open.id });
  }

  async function checkLimits(tx: Db, userId: number, amount: bigint, now: Date): Promise<void> {
    if (amount > WITHDRAW_RULES.maxEach) {
      throw new AppError('SUP_SET_4002', `A withdrawal may be at most ${yuan(WITHDRAW_RULES.maxEach)}`, { field: 'body.withdraw_amount', limit: 'per_withdrawal' });
    }
    const dayStart = beijingDayStart(beijingDay(now)) as Date;
    const today = await repo.totalSince(tx, userId, dayStart);
    if (today + amount > WITHDRAW_RULES.maxPerDay) {
      const left = WITHDRAW_RULES.maxPerDay - today;
      throw new AppError('SUP_SET_4002', `Withdrawals are limited to ${yuan(WITHDRAW_RULES.maxPerDay)} a day (UTC+8); ${yuan(left > 0n ? left : 0n)} remains today`, {
        field: 'body.withdraw_amount', limit: 'per_day',
      });
    }
    const last = await repo.lastCreatedAt(tx, userId);
    const next = last ? addMs(last, WITHDRAW_RULES.cooldownMs) : undefined;
    if (next && next > now) {
      throw new AppError('SUP_SET_4002', `Withdrawals are at least 15 minutes apart; the next is possible at ${next.toISOString()}`, {
        limit: 'cooldown', retry_after_seconds: Math.ceil((next.getTime() - now.getTime()) / 1000),
      });
    }
  }

  async function insertSettlement(tx: Db, values: Omit<repo.NewSettlement, 'settlementNo'> & { createdAt: Date }): Promise<SupplySettlementRow> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const row = await repo.insert(tx, { ...values, settlementNo: newSettlementNo(values.createdAt) });
      if (row) return row;
      // The unique index on open withdrawals is the last word, whatever raced past the checks above.
      await refuseIfOpen(tx, values.supplierUserId);
    }
    throw new Error('could not draw a free settlement number');
  }

  /** Moves a settlement for `action` if its state allows it, with its money and an audit event, in one transaction. */
  function transition(
    a: { action: Action; id: number; actorUserId: number | null; ownerId?: number; reason?: string; requestId?: string },
    change: (tx: Db, row: SupplySettlementRow, now: Date) => Promise<Partial<SupplySettlementRow>>,
  ): Promise<SupplySettlementRow> {
    return database.transaction(async (tx) => {
      const row = await repo.find(tx, a.id, { ownerId: a.ownerId, lock: true });
      if (!row) throw notFound('Settlement');
      if (!(ACTIONS[a.action] as readonly SettlementStatus[]).includes(row.status)) {
        throw new AppError('SUP_SET_4092', `A ${row.status} withdrawal cannot be ${DONE[a.action]}`, { status: row.status });
      }
      const now = clock.now();
      const after = await repo.update(tx, row.id, { ...(await change(tx, row, now)), updatedAt: now });
      await audit.record(tx, {
        actorUserId: a.actorUserId, tenantUserId: row.supplierUserId, action: `settlement.${a.action}`, objectType: 'supply_settlement',
        objectId: String(row.id), before: snapshot(row), after: snapshot(after), reason: a.reason, requestId: a.requestId,
      });
      return after;
    });
  }

  /** Frozen funds go back to available, and so do the records. */
  async function release(tx: Db, row: SupplySettlementRow, now: Date): Promise<void> {
    const id = row.supplierUserId;
    await ledger.transfer(
      {
        idempotencyKey: `withdraw:${row.id}:release`, kind: 'supply_withdraw_release', reference: row.settlementNo,
        postings: [{ account: ACCOUNTS.supplierFrozen(id), amount: -row.totalMicros }, { account: ACCOUNTS.supplierAvailable(id), amount: row.totalMicros }],
      },
      tx,
    );
    await repo.releaseRecords(tx, row.id, now);
  }

  async function payOut(tx: Db, row: SupplySettlementRow, now: Date): Promise<void> {
    const postings = [
      { account: ACCOUNTS.supplierFrozen(row.supplierUserId), amount: -row.totalMicros },
      { account: ACCOUNTS.supplierWithdrawn(row.supplierUserId), amount: row.netMicros },
      { account: ACCOUNTS.withdrawFeeIncome, amount: row.feeMicros },
    ].filter((p) => p.amount !== 0n);
    await ledger.transfer({ idempotencyKey: `withdraw:${row.id}:complete`, kind: 'supply_withdraw_complete', reference: row.settlementNo, postings }, tx);
    await repo.markWithdrawn(tx, row.id, now);
  }

  const service = {
    /** Sends the withdrawal code to the supplier's verified phone. */
    async sendWithdrawCode(userId: number) {
      const phone = await profile.verifiedPhone(userId);
      const { withdrawLockedUntil, phoneChangedAt } = await profile.get(userId);
      if (withdrawLockedUntil && withdrawLockedUntil > clock.now()) throw lockedError(withdrawLockedUntil);
      const paused = phoneChangeHold(phoneChangedAt, clock.now());
      if (paused) throw paused;
      return { phone, ...(await codes.send(userId, 'withdraw', phone)) };
    },

    /**
     * Checks, in this order: lock → pause after a phone change → SMS code → another open withdrawal → limits and
     * cooldown → available earnings.
     * A wrong code is counted even though the request fails; any later refusal rolls everything back, the code included.
     */
    async withdraw(userId: number, w: WithdrawRequest, requestId: string, response: ResponseRecord<SupplySettlementRow> = NO_RECORD): Promise<SupplySettlementRow> {
      const phone = await profile.verifiedPhone(userId);
      const outcome = await database.transaction(async (tx): Promise<{ refused: AppError } | { settlement: SupplySettlementRow }> => {
        const supplier = (await repo.lockSupplier(tx, userId)) as SupplierRow;
        const now = clock.now();
        if (supplier.withdrawLockedUntil && supplier.withdrawLockedUntil > now) return { refused: lockedError(supplier.withdrawLockedUntil) };
        const paused = phoneChangeHold(supplier.phoneChangedAt, now);
        if (paused) return { refused: paused };
        const verdict = await codes.check(tx, userId, 'withdraw', phone, w.smsCode);
        if (verdict === 'wrong') return { refused: await countWrongCode(tx, supplier, now) };
        // The right code sent twice (a double submit): the first request's withdrawal is the answer, if still open.
        await refuseIfOpen(tx, userId);
        if (verdict === 'used') throw new AppError('SUP_SET_4003', 'This SMS code was already used; request a new one', { field: 'body.sms_code' });
        if (supplier.smsFailures > 0) await repo.setSmsFailures(tx, userId, 0, null, now);
        await checkLimits(tx, userId, w.amount, now);

        const available = await ledger.balance(ACCOUNTS.supplierAvailable(userId), tx);
        const plan = planFreeze(await repo.lockAvailableRecords(tx, userId), w.amount);
        if (w.amount > available || !plan) throw insufficient(w.amount, available);
        const fee = withdrawFee(w.amount);
        const settlement = await insertSettlement(tx, {
          supplierUserId: userId, status: 'pending', totalMicros: w.amount, feeMicros: fee, netMicros: w.amount - fee,
          paymentMethod: w.paymentMethod, paymentAccount: w.paymentAccount, createdAt: now, updatedAt: now,
        });
        await ledger.transfer(
          {
            idempotencyKey: `withdraw:${settlement.id}`, kind: 'supply_withdraw', reference: settlement.settlementNo,
            postings: [{ account: ACCOUNTS.supplierAvailable(userId), amount: -w.amount }, { account: ACCOUNTS.supplierFrozen(userId), amount: w.amount }],
          },
          tx,
        );
        await repo.freezeRecords(tx, settlement.id, plan.take, plan.lastPart, now);
        await audit.record(tx, {
          actorUserId: userId, tenantUserId: userId, action: 'settlement.create', objectType: 'supply_settlement', objectId: String(settlement.id),
          before: null, after: snapshot(settlement), requestId,
        });
        // The Idempotency-Key's response commits with the withdrawal: a retry can never freeze the money twice.
        await response.save(tx, settlement);
        return { settlement };
      }).catch(async (err) => {
        // Earnings refunded between the balance check and the transfer: the ledger's guard refuses the transfer.
        if (err instanceof InsufficientFunds) throw insufficient(w.amount, await ledger.balance(ACCOUNTS.supplierAvailable(userId)));
        throw err;
      });
      if ('refused' in outcome) throw outcome.refused;
      return outcome.settlement;
    },

    list: (userId: number, window: { limit: number; offset: number }, status?: SettlementStatus) => repo.page(database.db, { ownerId: userId, status }, window),

    async get(userId: number, id: number): Promise<SupplySettlementRow> {
      const row = await repo.find(database.db, id, { ownerId: userId });
      if (!row) throw notFound('Settlement');
      return row;
    },

    /** The settlement and the records it holds (for its statement). */
    async statement(id: number) {
      const row = await repo.find(database.db, id);
      if (!row) throw notFound('Settlement');
      return { settlement: row, records: await repo.recordsOf(database.db, id) };
    },

    cancel: (userId: number, id: number, requestId: string) =>
      transition({ action: 'cancel', id, actorUserId: userId, ownerId: userId, reason: 'cancelled by the supplier', requestId }, async (tx, row, now) => {
        await release(tx, row, now);
        return { status: 'failed', failureReason: 'cancelled' };
      }),

    // ---- operators ------------------------------------------------------------------------------

    listAll: (status: SettlementStatus | undefined, window: { limit: number; offset: number }) => repo.page(database.db, { status }, window),

    /** pending → processing, then hands the payout to the provider (after commit: it may call out). */
    async process(actorUserId: number, id: number, providerName: PayoutProviderName, requestId: string): Promise<SupplySettlementRow> {
      const provider = payouts[providerName];
      const row = await transition({ action: 'process', id, actorUserId, requestId }, async () => ({ status: 'processing', payoutProvider: provider.name }));
      let reference: string | undefined;
      try {
        reference = (await provider.submit(payoutOrder(row))).reference;
      } catch (err) {
        return service.fail(null, id, `payout provider ${provider.name} refused the payout: ${(err as Error).message}`.slice(0, 500), requestId);
      }
      return reference ? repo.update(database.db, id, { payoutReference: reference }) : row;
    },

    complete: (actorUserId: number | null, id: number, reference: string, requestId?: string) =>
      transition({ action: 'complete', id, actorUserId, requestId }, async (tx, row, now) => {
        await payOut(tx, row, now);
        return { status: 'completed', payoutReference: reference, completedAt: now };
      }),

    fail: (actorUserId: number | null, id: number, reason: string, requestId?: string) =>
      transition({ action: 'fail', id, actorUserId, reason, requestId }, async (tx, row, now) => {
        await release(tx, row, now);
        return { status: 'failed', failureReason: reason };
      }),

    /** The `supply.payouts` job: asks each polled provider about its processing settlements and closes those it settled. */
    async syncPayouts(limit = 100) {
      const polled = Object.values(payouts).filter((p) => p.polled).map((p) => p.name);
      const counts = { completed: 0, failed: 0, waiting: 0, errors: 0 };
      for (const row of await repo.processingWith(database.db, polled, limit)) {
        try {
          const outcome = await payouts[row.payoutProvider as PayoutProviderName].status(payoutOrder(row));
          if (outcome.state === 'paid') await service.complete(null, row.id, outcome.reference, 'job:supply.payouts');
          else if (outcome.state === 'failed') await service.fail(null, row.id, outcome.reason, 'job:supply.payouts');
          counts[outcome.state === 'paid' ? 'completed' : outcome.state === 'failed' ? 'failed' : 'waiting'] += 1;
        } catch {
          // An operator closed it meanwhile (409), or the provider is unreachable: the next run asks again.
          counts.errors += 1;
        }
      }
      return counts;
    },
  };
  return service;
}

function insufficient(amount: bigint, available: bigint): AppError {
  return new AppError('SUP_SET_4001', `The amount ${yuan(amount)} exceeds your available earnings of ${yuan(available)}`, {
    field: 'body.withdraw_amount', available: Number(formatCny(available)),
  });
}

export type SettlementService = ReturnType<typeof createSettlementService>;
