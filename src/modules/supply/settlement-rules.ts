import crypto from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { MICROS_PER_YUAN } from '../../platform/money.ts';
import { addMs, formatStudioTime } from '../../platform/time.ts';
import type { SupplyEarningRow } from './supply.tables.ts';

// The withdrawal rules as data and pure functions (DESIGN.md §6): limits, cooldown, the SMS lock, the pause after a
// phone change, the 1 % fee, the settlement number, and which earnings records a withdrawal freezes.

const MINUTE_MS = 60 * 1000;

export const WITHDRAW_RULES = {
  maxEach: 50_000n * MICROS_PER_YUAN,
  maxPerDay: 200_000n * MICROS_PER_YUAN,
  cooldownMs: 15 * MINUTE_MS,
  /** Fee in basis points of the amount. */
  feeBps: 100n,
  lockAfterFailures: 5,
  lockMs: 15 * MINUTE_MS,
  /** Withdrawals wait this long after the phone changes: a hijacked session that swapped it cannot cash out at once. */
  phoneChangeHoldMs: 24 * 60 * MINUTE_MS,
} as const;

/**
 * One more wrong code (or password, when binding a phone) in a row: the fifth locks withdrawals and phone changes
 * for 15 minutes and starts the count afresh.
 */
export function nextWrongAttempt(failures: number, now: Date): { failures: number; lockedUntil: Date | null; left: number } {
  const count = failures + 1;
  if (count >= WITHDRAW_RULES.lockAfterFailures) return { failures: 0, lockedUntil: addMs(now, WITHDRAW_RULES.lockMs), left: 0 };
  return { failures: count, lockedUntil: null, left: WITHDRAW_RULES.lockAfterFailures - count };
}

export function lockedError(until: Date): AppError {
  return new AppError('SUP_SET_4003', `Too many wrong codes: withdrawals and phone changes are locked until ${until.toISOString()}`, {
    locked_until: until.toISOString(),
  });
}

/** When withdrawals may resume after the phone changed at `phoneChangedAt` (undefined: they may now). */
export function phoneChangeHoldUntil(phoneChangedAt: Date | null, now: Date): Date | undefined {
  const until = phoneChangedAt ? addMs(phoneChangedAt, WITHDRAW_RULES.phoneChangeHoldMs) : undefined;
  return until && until > now ? until : undefined;
}

/** SUP_SET_4002 while withdrawals are paused after a phone change, saying why and until when. */
export function phoneChangeHold(phoneChangedAt: Date | null, now: Date): AppError | undefined {
  const until = phoneChangeHoldUntil(phoneChangedAt, now);
  if (!until || !phoneChangedAt) return undefined;
  return new AppError(
    'SUP_SET_4002',
    `Withdrawals are paused for 24 hours after the withdrawal phone changes: it changed at ${phoneChangedAt.toISOString()}, so withdrawing is possible again at ${until.toISOString()}`,
    { limit: 'phone_changed', phone_changed_at: phoneChangedAt.toISOString(), until: until.toISOString(), retry_after_seconds: Math.ceil((until.getTime() - now.getTime()) / 1000) },
  );
}

const FEN = 10_000n;

/** 1 % of the amount, rounded half-up to the fen. */
export function withdrawFee(amount: bigint): bigint {
  const scale = 10_000n * FEN;
  return ((amount * WITHDRAW_RULES.feeBps + scale / 2n) / scale) * FEN;
}

/** `W20260301120000123456`: UTC+8 wall time and 6 random digits. */
export function newSettlementNo(now: Date): string {
  return `W${formatStudioTime(now).replace(/\D/g, '')}${crypto.randomInt(0, 1_000_000).toString().padStart(6, '0')}`;
}

/**
 * The records a withdrawal of `amount` freezes: every refund (negative) first, then earnings oldest first; the last
 * one gives only `lastPart` when it holds more than is still needed. Undefined when the records do not cover it.
 */
export function planFreeze(records: SupplyEarningRow[], amount: bigint): { take: SupplyEarningRow[]; lastPart?: bigint } | undefined {
  const take = records.filter((r) => r.amountMicros < 0n);
  let need = amount - take.reduce((sum, r) => sum + r.amountMicros, 0n);
  for (const r of records) {
    if (r.amountMicros <= 0n) continue;
    take.push(r);
    if (r.amountMicros >= need) return { take, lastPart: r.amountMicros > need ? need : undefined };
    need -= r.amountMicros;
  }
  return undefined;
}
