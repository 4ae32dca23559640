import crypto from 'node:crypto';
import { MICROS_PER_YUAN } from '../../platform/money.ts';
import { formatStudioTime } from '../../platform/time.ts';
import type { SupplyEarningRow } from './supply.tables.ts';

// The withdrawal rules as data and pure functions (DESIGN.md §6): limits, cooldown, the SMS lock, the 1 % fee, the
// settlement number, and which earnings records a withdrawal freezes.

const MINUTE_MS = 60 * 1000;

export const WITHDRAW_RULES = {
  maxEach: 50_000n * MICROS_PER_YUAN,
  maxPerDay: 200_000n * MICROS_PER_YUAN,
  cooldownMs: 15 * MINUTE_MS,
  /** Fee in basis points of the amount. */
  feeBps: 100n,
  lockAfterFailures: 5,
  lockMs: 15 * MINUTE_MS,
} as const;

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
